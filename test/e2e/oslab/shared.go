package oslab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-sharedroot/osr/test/e2e/guestssh"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// HostKeyTypes are the ssh host keys Debian's openssh-server makes, one set per node.
var HostKeyTypes = []string{"rsa", "ecdsa", "ed25519"}

// HostDependent are the paths of the Debian root that differ per node: who the
// node is, its ssh identity, and the state systemd, the journal and the NFS
// client keep about this one machine.
var HostDependent = []string{
	"/etc/hostname",
	"/etc/machine-id",
	"/var/log",
	"/var/lib/systemd",
	"/var/lib/nfs",
	"/var/tmp",
}

// hostKeyPaths are the ssh host key files, private and public.
func hostKeyPaths() []string {
	var paths []string
	for _, t := range HostKeyTypes {
		p := "/etc/ssh/ssh_host_" + t + "_key"
		paths = append(paths, p, p+".pub")
	}
	return paths
}

// makeShared turns the unpacked root into a shared root for the lab's nodes: the
// CDSL infrastructure, the hostdependent paths, and each node's own hostname (its
// name in the cluster configuration), machine-id and ssh host keys.
func (l *Lab) makeShared(ctx context.Context) error {
	// /tmp is emptied at every boot (tmpfiles' "D /tmp"): one node's boot must
	// not empty another's, so each node has its own in memory.
	if err := appendFile(filepath.Join(l.RootDir, "etc", "fstab"), "tmpfs /tmp tmpfs mode=1777,nosuid,nodev 0 0\n"); err != nil {
		return err
	}
	if _, err := l.Kit.OSR(ctx, "cdsl", "init", "-r", l.RootDir, "--nodes", fmt.Sprint(len(l.Nodes))); err != nil {
		return err
	}
	paths := append(append([]string(nil), HostDependent...), hostKeyPaths()...)
	for _, p := range paths {
		if _, err := os.Lstat(filepath.Join(l.RootDir, p)); err != nil {
			return fmt.Errorf("shared root %s: hostdependent path %s: %w", l.RootDir, p, err)
		}
	}
	if _, err := l.Kit.OSR(ctx, append([]string{"cdsl", "add", "-r", l.RootDir, "-a"}, paths...)...); err != nil {
		return err
	}
	for _, n := range l.Nodes {
		if err := l.personalize(ctx, n.ID); err != nil {
			return err
		}
	}
	return nil
}

// personalize writes node id's own hostname, machine-id and ssh host keys into
// its CDSL tree.
func (l *Lab) personalize(ctx context.Context, id int) error {
	tree := filepath.Join(l.RootDir, sharedroot.CDSLTree, fmt.Sprint(id))
	name := osrlab.NodeName(id)
	mid, err := newMachineID()
	if err != nil {
		return err
	}
	l.MachineIDs[id] = mid
	for rel, content := range map[string]string{"etc/hostname": name, "etc/machine-id": mid} {
		if err := os.WriteFile(filepath.Join(tree, rel), []byte(content+"\n"), 0o644); err != nil {
			return fmt.Errorf("node %d: %w", id, err)
		}
	}
	for _, t := range HostKeyTypes {
		if err := guestssh.HostKey(ctx, filepath.Join(tree, "etc", "ssh", "ssh_host_"+t+"_key"), t, "root@"+name); err != nil {
			return fmt.Errorf("node %d: %w", id, err)
		}
	}
	return nil
}

func appendFile(path, text string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if len(old) > 0 && !strings.HasSuffix(string(old), "\n") {
		old = append(old, '\n')
	}
	return os.WriteFile(path, append(old, text...), 0o644)
}
