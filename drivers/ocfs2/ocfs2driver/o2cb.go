// SPDX-License-Identifier: Apache-2.0

package ocfs2driver

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
)

// The in-kernel o2cb stack is configured through configfs, as o2cb_ctl and
// ocfs2_hb_ctl do (and the lab's initrd does from the shell):
//
//	cluster/<name>/                        mkdir; timeouts, heartbeat/dead_threshold
//	cluster/<name>/node/<node>/            mkdir; ipv4_address, ipv4_port, then num (last)
//	cluster/<name>/node/<this node>/local  1
//	cluster/<name>/heartbeat/<UUID>/       mkdir; block_bytes, start_block, blocks,
//	                                       then dev = an open fd of the device (starts o2hb)

const (
	// o2nm's defaults for the attributes whose writes depend on each other.
	defaultKeepaliveMs = 2000
	// o2nm node numbers are below O2NM_MAX_NODES.
	maxNodeNum = 254
	// O2NM_MAX_NAME_LEN: longest configfs node directory name.
	maxNodeName = 64
)

// o2cb configures one o2cb cluster under a configfs root.
type o2cb struct {
	root    string // where configfs is mounted
	cluster string
	// trace, when set, is told of every configfs operation after it succeeded.
	trace func(op, path, value string)
	log   hclog.Logger
}

// o2node is a cluster member as o2nm needs it.
type o2node struct {
	num  int
	dir  string // the node's directory name under node/
	addr string
}

// o2nodes turns the cluster members into o2nm nodes and checks what o2nm would refuse.
// Without a member list the node itself is the only member.
func o2nodes(self driver.ClusterNode, members []driver.ClusterNode) ([]o2node, error) {
	if len(members) == 0 {
		members = []driver.ClusterNode{self}
	}
	if !slices.ContainsFunc(members, func(n driver.ClusterNode) bool { return n.ID == self.ID }) {
		return nil, fmt.Errorf("this node (id %d, %q) is not among the cluster members %v: check the cluster configuration", self.ID, self.Name, memberIDs(members))
	}
	var out []o2node
	seenNum, seenDir := map[int]bool{}, map[string]bool{}
	for _, n := range members {
		if n.ID < 0 || n.ID > maxNodeNum {
			return nil, fmt.Errorf("node %q has id %d; o2cb node numbers run from 0 to %d", n.Name, n.ID, maxNodeNum)
		}
		if seenNum[n.ID] {
			return nil, fmt.Errorf("node id %d is used twice in the cluster configuration", n.ID)
		}
		seenNum[n.ID] = true
		if len(n.Addresses) == 0 || net.ParseIP(n.Addresses[0]).To4() == nil {
			return nil, fmt.Errorf("node %q (id %d) has no IPv4 address (addresses %v); o2net connects nodes over IPv4: give it a static address in the cluster configuration", n.Name, n.ID, n.Addresses)
		}
		dir := n.Name
		if dir == "" || dir == "." || dir == ".." || strings.ContainsAny(dir, "/\x00") || len(dir) > maxNodeName ||
			strings.ContainsFunc(dir, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			dir = "node" + strconv.Itoa(n.ID)
		}
		if seenDir[dir] {
			dir = "node" + strconv.Itoa(n.ID)
		}
		seenDir[dir] = true
		out = append(out, o2node{num: n.ID, dir: dir, addr: n.Addresses[0]})
	}
	slices.SortFunc(out, func(a, b o2node) int { return a.num - b.num })
	return out, nil
}

func memberIDs(ns []driver.ClusterNode) []int {
	var ids []int
	for _, n := range ns {
		ids = append(ids, n.ID)
	}
	return ids
}

// timeouts are the cluster-wide o2cb timing values; every node must use the same.
type timeouts struct {
	deadThreshold, idleMs, keepaliveMs, reconnectMs int
}

// configure creates the cluster with its timeouts and nodes and marks the local node.
// A cluster of the same name that exists already (a retried mount) is left as it is.
func (c *o2cb) configure(t timeouts, nodes []o2node, self int, port int) error {
	base := filepath.Join(c.root, "cluster")
	entries, err := os.ReadDir(base)
	if err != nil {
		return fmt.Errorf("read %s: %w; configfs must be mounted at %s (mount -t configfs none %s) and the ocfs2_nodemanager module loaded", base, err, c.root, c.root)
	}
	for _, e := range entries {
		if e.Name() == c.cluster {
			c.logf("o2cb cluster %s exists already; using it as it is", c.cluster)
			return nil
		}
		if e.IsDir() {
			return fmt.Errorf("o2cb holds cluster %q already and the kernel allows one; the configured cluster is %q: set cluster_name to %q or remove %s", e.Name(), c.cluster, e.Name(), filepath.Join(base, e.Name()))
		}
	}
	dir := filepath.Join(base, c.cluster)
	if err := c.mkdir(dir); err != nil {
		return err
	}
	if err := c.write(filepath.Join(dir, "heartbeat", "dead_threshold"), t.deadThreshold); err != nil {
		return err
	}
	// o2nm refuses an idle timeout not above the keepalive delay and a keepalive delay
	// not below the idle timeout, checking each write against the current other value.
	idle := func() error { return c.write(filepath.Join(dir, "idle_timeout_ms"), t.idleMs) }
	keep := func() error { return c.write(filepath.Join(dir, "keepalive_delay_ms"), t.keepaliveMs) }
	order := []func() error{idle, keep}
	if t.idleMs <= defaultKeepaliveMs {
		order = []func() error{keep, idle}
	}
	for _, w := range order {
		if err := w(); err != nil {
			return err
		}
	}
	if err := c.write(filepath.Join(dir, "reconnect_delay_ms"), t.reconnectMs); err != nil {
		return err
	}
	var local string
	for _, n := range nodes {
		nd := filepath.Join(dir, "node", n.dir)
		if err := c.mkdir(nd); err != nil {
			return err
		}
		// The address and port must be set before num: num adds the node to the cluster.
		for _, a := range []struct {
			name  string
			value any
		}{{"ipv4_address", n.addr}, {"ipv4_port", port}, {"num", n.num}} {
			if err := c.write(filepath.Join(nd, a.name), a.value); err != nil {
				return err
			}
		}
		if n.num == self {
			local = nd
		}
	}
	if err := c.write(filepath.Join(local, "local"), 1); err != nil {
		return err
	}
	c.logf("o2cb cluster %s: %d nodes, this node %s (num %d), port %d, dead_threshold %d, idle %d ms",
		c.cluster, len(nodes), filepath.Base(local), self, port, t.deadThreshold, t.idleMs)
	return nil
}

// startHeartbeat creates the local heartbeat region and hands the kernel an open fd
// of the device, which starts o2hb; the write returns once the region heartbeats (a
// few seconds). A region already heartbeating is left alone.
func (c *o2cb) startHeartbeat(device string, r *heartbeatRegion) error {
	dir := filepath.Join(c.root, "cluster", c.cluster, "heartbeat", r.UUID)
	if dev, err := os.ReadFile(filepath.Join(dir, "dev")); err == nil && strings.TrimSpace(string(dev)) != "" {
		c.logf("heartbeat region %s is active already on %s", r.UUID, strings.TrimSpace(string(dev)))
		return nil
	}
	if err := c.mkdir(dir); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	for _, a := range []struct {
		name  string
		value int64
	}{{"block_bytes", r.BlockBytes}, {"start_block", r.StartBlock}, {"blocks", r.Blocks}} {
		if err := c.write(filepath.Join(dir, a.name), a.value); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(device, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open %s read-write for the heartbeat: %w", device, err)
	}
	defer f.Close()
	start := time.Now()
	if err := c.write(filepath.Join(dir, "dev"), int(f.Fd())); err != nil {
		return fmt.Errorf("%w; o2hb could not start on %s (region of %d blocks of %d bytes from block %d): the kernel log (dmesg) says why", err, device, r.Blocks, r.BlockBytes, r.StartBlock)
	}
	c.logf("heartbeat region %s on %s: %d blocks of %d bytes from block %d, started in %v",
		r.UUID, device, r.Blocks, r.BlockBytes, r.StartBlock, time.Since(start).Round(100*time.Millisecond))
	return nil
}

func (c *o2cb) mkdir(path string) error {
	if err := os.Mkdir(path, 0o755); err != nil {
		return fmt.Errorf("create o2cb configuration %s: %w", path, err)
	}
	c.traced("mkdir", path, "")
	return nil
}

// write sets one configfs attribute, as `echo value > path` does.
func (c *o2cb) write(path string, value any) error {
	s := fmt.Sprint(value)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		_, err = f.WriteString(s + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		hint := ""
		if errors.Is(err, unix.EINVAL) {
			hint = " (the kernel refused the value; dmesg says why)"
		}
		return fmt.Errorf("set o2cb %s = %s: %w%s", path, s, err, hint)
	}
	c.traced("write", path, s)
	return nil
}

func (c *o2cb) traced(op, path, value string) {
	if c.trace != nil {
		rel, err := filepath.Rel(c.root, path)
		if err != nil {
			rel = path
		}
		c.trace(op, rel, value)
	}
}

func (c *o2cb) logf(format string, args ...any) { c.log.Info(fmt.Sprintf(format, args...)) }

// sectorSize is the logical sector size of a block device, the unit of o2hb's
// region; 512 for anything else (an image file).
func sectorSize(f *os.File) int64 {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&fs.ModeDevice == 0 || fi.Mode()&fs.ModeCharDevice != 0 {
		return 512
	}
	n, err := unix.IoctlGetInt(int(f.Fd()), unix.BLKSSZGET)
	if err != nil || n < 512 {
		return 512
	}
	return int64(n)
}
