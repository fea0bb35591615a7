// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/cluster/render"
	"github.com/open-sharedroot/osr/framework/clusterstack/fence"
)

// DefaultPostJoinDelay is dlm_controld's post_join_delay osr writes (seconds):
// fencing of a failed node waits this long after the local daemon joined. The
// daemon's own default, 30 s, blocks the survivors that long when a node dies early
// in its boot.
const DefaultPostJoinDelay = 10

// Settings are the build's choices for the chroot (osr.hcl's cluster_stack block).
type Settings struct {
	// AuthKey is the build host's corosync key; "" means DefaultAuthKey.
	AuthKey string
	// TokenMS is corosync's token timeout; 0 takes the cluster configuration's
	// <totem token>, else render.DefaultTokenMS.
	TokenMS int
	// PostJoinDelay is dlm_controld's post_join_delay in seconds; 0 means
	// DefaultPostJoinDelay.
	PostJoinDelay int
	// Extra are more files for the chroot: chroot path → build host path (keys and
	// known_hosts files the fence methods name).
	Extra map[string]string
	// FenceConf renders the fencing lines of dlm.conf; nil means fence.DLMConf
	// with osr's agent at FenceAgentPath.
	FenceConf func(c *cluster.Cluster) (string, error)
	// ClusterFile is the cluster configuration to install in the chroot for the
	// fence agent ("" installs none).
	ClusterFile string
	// ClusterFileDest is where ClusterFile goes inside the chroot.
	ClusterFileDest string
}

// File is one entry of the chroot, at Path relative to its root.
type File struct {
	// Path is the absolute path inside the chroot.
	Path string
	// Dir, when set, makes the entry a directory; Link, when set, a symlink.
	Dir  bool
	Link string
	// Data is a file's content, or Source the build host file to copy.
	Data   []byte
	Source string
	// Mode is the permission bits (0 means 0644 for files, 0755 for directories).
	Mode fs.FileMode
	// Secret files are stored 0600 and their content is never shown.
	Secret bool
}

// Dirs are the chroot's empty directories: mount points and the daemons' state.
var Dirs = []File{
	{Path: "/proc", Dir: true, Mode: 0o555}, {Path: "/sys", Dir: true, Mode: 0o555}, {Path: "/dev", Dir: true},
	{Path: "/run", Dir: true}, {Path: PIDDir, Dir: true}, {Path: "/run/dlm_controld", Dir: true},
	{Path: "/tmp", Dir: true, Mode: 0o777 | fs.ModeSticky}, {Path: "/etc/corosync", Dir: true}, {Path: "/etc/dlm", Dir: true},
	{Path: "/var/lib/corosync", Dir: true, Mode: 0o700}, {Path: "/var/log/cluster", Dir: true},
	{Path: "/var/log/osr", Dir: true}, {Path: "/oldroot", Dir: true}, {Path: "/usr/sbin", Dir: true},
	{Path: "/var/run", Link: "../run"},
}

// Files renders what the chroot needs besides the listfile's programs: the
// configuration of corosync and dlm_controld for this cluster, the authkey, the
// directories and a minimal /etc. It fails, saying what to do, when the cluster
// cannot run corosync (see Check) or the authkey is missing.
func Files(c *cluster.Cluster, s Settings) ([]File, error) {
	if err := Check(c); err != nil {
		return nil, err
	}
	conf, err := CorosyncConf(c, s.TokenMS)
	if err != nil {
		return nil, err
	}
	key := s.AuthKey
	if key == "" {
		key = DefaultAuthKey
	}
	if err := checkAuthKey(key); err != nil {
		return nil, err
	}
	dlm, err := DLMConf(c, s)
	if err != nil {
		return nil, err
	}
	files := append([]File{}, Dirs...)
	files = append(files,
		File{Path: CorosyncConfPath, Data: conf, Mode: 0o644},
		File{Path: AuthKeyPath, Source: key, Mode: 0o600, Secret: true},
		File{Path: DLMConfPath, Data: []byte(dlm), Mode: 0o644},
		// glibc 2.36 has the files NSS backend built in: root is all the
		// daemons look up.
		File{Path: "/etc/passwd", Data: []byte("root:x:0:0:root:/root:/bin/sh\n"), Mode: 0o644},
		File{Path: "/etc/group", Data: []byte("root:x:0:\n"), Mode: 0o644},
		File{Path: "/etc/hosts", Data: hosts(c), Mode: 0o644},
	)
	if s.ClusterFile != "" {
		files = append(files, File{Path: s.ClusterFileDest, Source: s.ClusterFile, Mode: 0o600, Secret: true})
	}
	extra := map[string]string{}
	for dst, src := range s.Extra {
		extra[dst] = src
	}
	// The fence devices' keys, known_hosts and password scripts, from the build
	// host at the same paths unless the files setting names another source.
	fenceFiles, err := fence.Files(c)
	if err != nil {
		return nil, fmt.Errorf("fencing: %w", err)
	}
	for _, p := range fenceFiles {
		if _, ok := extra[p]; !ok {
			extra[p] = p
		}
	}
	var dsts []string
	for dst := range extra {
		dsts = append(dsts, dst)
	}
	sort.Strings(dsts)
	for _, dst := range dsts {
		src := extra[dst]
		if !path.IsAbs(dst) {
			return nil, fmt.Errorf("cluster_stack files: %q: the chroot path must be absolute", dst)
		}
		st, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("file %s for the cluster stack's chroot (a fence device reads it, or cluster_stack files names it): %w; "+
				"create it, or name where it is on this host with cluster_stack { files = { %q = \"PATH\" } } in osr.hcl", dst, err, dst)
		}
		files = append(files, File{Path: dst, Source: src, Mode: st.Mode().Perm(), Secret: st.Mode().Perm()&0o077 == 0})
	}
	return files, nil
}

// CorosyncConf is corosync.conf for the chroot: the cluster's totem, nodelist and
// quorum (render.CorosyncConfWith) and logging to standard error, which the init
// points at the console.
func CorosyncConf(c *cluster.Cluster, tokenMS int) ([]byte, error) {
	conf, err := render.CorosyncConfWith(c, render.CorosyncOptions{TokenMS: tokenMS})
	if err != nil {
		return nil, fmt.Errorf("corosync.conf: %w", err)
	}
	return append(conf, "\nlogging {\n\tto_stderr: yes\n\tto_syslog: no\n\tto_logfile: no\n\ttimestamp: hires\n}\n"...), nil
}

// DLMConf is dlm.conf for the chroot: post_join_delay and the fencing lines.
func DLMConf(c *cluster.Cluster, s Settings) (string, error) {
	delay := s.PostJoinDelay
	if delay == 0 {
		delay = DefaultPostJoinDelay
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# written by osr build for cluster %s\npost_join_delay=%d\n", c.Name, delay)
	fenceConf := s.FenceConf
	if fenceConf == nil {
		fenceConf = func(c *cluster.Cluster) (string, error) { return fence.DLMConf(c, FenceAgentPath) }
	}
	f, err := fenceConf(c)
	if err != nil {
		return "", fmt.Errorf("dlm.conf: %w", err)
	}
	b.WriteString(f)
	return b.String(), nil
}

func hosts(c *cluster.Cluster) []byte {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost\n")
	for _, n := range c.Nodes {
		for _, nic := range n.NICs {
			if nic.IP != "" && !nic.IsDHCP() && n.Name != "" {
				fmt.Fprintf(&b, "%s\t%s\n", nic.IP, n.Name)
				break
			}
		}
	}
	return b.Bytes()
}

// Key sizes corosync accepts (totemconfig.c: 1024 to 4096 bits).
const (
	minKeyBytes = 128
	maxKeyBytes = 512
)

func checkAuthKey(p string) error {
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the cluster's corosync key %s does not exist: create it once with corosync-keygen (as root; it writes %s), "+
			"or name the cluster's existing key with authkey in osr.hcl's cluster_stack block; every node must boot with the same key", p, DefaultAuthKey)
	}
	if err != nil {
		return fmt.Errorf("the cluster's corosync key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("the cluster's corosync key %s is not a regular file", p)
	}
	if st.Size() < minKeyBytes || st.Size() > maxKeyBytes {
		return fmt.Errorf("the cluster's corosync key %s has %d bytes; corosync takes %d to %d: make a new one with corosync-keygen", p, st.Size(), minKeyBytes, maxKeyBytes)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("the cluster's corosync key %s is readable by others (mode %04o): chmod 600 %s (and consider making a new key)", p, st.Mode().Perm(), p)
	}
	return nil
}

// Check refuses a cluster whose stack cannot boot: no name, nodes without ids, or
// a two-node cluster whose <cman> says two_node="0" (it could never keep quorum when
// one node fails; osr writes two_node itself).
func Check(c *cluster.Cluster) error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, fmt.Errorf("%s: the cluster has no name; corosync's cluster_name and the GFS2 lock table need one", c.Pos))
	}
	for _, n := range c.Nodes {
		if n.ID < 1 {
			errs = append(errs, fmt.Errorf("%s: node %q has no nodeid; corosync needs one per node", n.Pos, n.Name))
		}
	}
	if len(c.Nodes) == 2 {
		for _, e := range c.Extra {
			if e.Name != "cman" {
				continue
			}
			for _, a := range e.Attrs {
				if a.Name == "two_node" && strings.TrimSpace(a.Value) != "1" {
					errs = append(errs, fmt.Errorf("%s: <cman two_node=%q> in a two-node cluster: the survivor of a node failure would lose quorum and hang; set two_node=\"1\" (osr writes two_node: 1 for corosync)", e.Pos, a.Value))
				}
				if a.Name == "expected_votes" {
					if v, err := strconv.Atoi(strings.TrimSpace(a.Value)); err != nil || v != 1 {
						errs = append(errs, fmt.Errorf("%s: <cman expected_votes=%q> in a two-node cluster: two_node needs expected_votes=\"1\"", e.Pos, a.Value))
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

// CheckLockTable makes sure a GFS2 lock table ("cluster:filesystem") names the
// cluster corosync runs: the kernel DLM refuses lockspaces of another cluster.
func CheckLockTable(table string, c *cluster.Cluster) error {
	cl, _, ok := strings.Cut(table, ":")
	if !ok || c == nil || cl == c.Name {
		return nil
	}
	return fmt.Errorf("lock table %q names cluster %q, but the cluster configuration %s names it %q: the kernel DLM would refuse the lockspace; "+
		"use %s:%s (and tunegfs2 -o locktable=… on the filesystem), or rename the cluster", table, cl, c.Pos.File, c.Name, c.Name, table[len(cl)+1:])
}
