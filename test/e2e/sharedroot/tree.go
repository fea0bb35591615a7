// SPDX-License-Identifier: Apache-2.0

// Package sharedroot makes the tiny shared roots the boot tests use: a
// busybox tree whose /sbin/init prints the node's hostname and marker file
// and powers off, filesystem images of it (ext3 directly, GFS2 and OCFS2
// through a populate boot, since the host can mount neither), and the
// OCFS2 heartbeat parameters a node needs to join the o2cb cluster.
package sharedroot

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-sharedroot/osr/test/e2e/busybox"
)

//go:embed init.sh
var initScript []byte

// The lines /sbin/init of the shared root prints on the console.
const (
	MarkerHostname = "OSR-HOSTNAME: " // followed by /etc/hostname
	MarkerFile     = "OSR-MARKER: "   // followed by /etc/osr-marker
	MarkerRoot     = "OSR-ROOT: "     // followed by the mount entry of /
	MarkerExtra    = "OSR-EXTRA: "    // followed by "source mountpoint type;" of each mount below /srv
	MarkerPeers    = "OSR-PEERS: "    // followed by what the peers wrote
	MarkerDone     = "OSR-INIT-DONE"  // last line before power-off
)

// Paths inside the shared root.
const (
	// HostnameFile and MarkerPath are the files a test makes hostdependent.
	HostnameFile = "etc/hostname"
	MarkerPath   = "etc/osr-marker"
	// SharedDir is where nodes write for each other (osr.e2e.peers).
	SharedDir = "osr-shared"
	// CDSLTree holds the per-node trees and CDSLLink is where a node's tree
	// is bind-mounted at boot (the CDSL v2 layout).
	CDSLTree = ".cluster/cdsl"
	CDSLLink = ".cdsl.local"
)

// PeersParams returns the kernel parameters that make /sbin/init wait on
// the shared filesystem until peers nodes of run have written their file.
func PeersParams(peers int, run string) []string {
	return []string{fmt.Sprintf("osr.e2e.peers=%d", peers), "osr.e2e.run=" + run}
}

// Tree is a shared root being assembled in a host directory.
type Tree struct {
	Dir string
	// KeepOwners keeps the files' numeric owners in MakeTar (a real OS's
	// tree); false makes root own everything (the busybox tree).
	KeepOwners bool
}

// NewTree creates a shared root in dir (which must not exist or be empty):
// the usual top directories, a static busybox with its applets as symlinks
// in /bin, and the /sbin/init described in the package documentation.
func NewTree(ctx context.Context, dir, busyboxPath string) (*Tree, error) {
	t := &Tree{Dir: dir}
	for _, d := range []string{"bin", "sbin", "etc", "proc", "sys", "dev", "run", "tmp", "root", "var/tmp", CDSLTree, CDSLLink} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("shared root %s: %w", dir, err)
		}
	}
	for _, d := range []string{"tmp", "var/tmp", SharedDir} {
		p := filepath.Join(dir, d)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, fmt.Errorf("shared root %s: %w", dir, err)
		}
		if err := os.Chmod(p, 0o777|os.ModeSticky); err != nil {
			return nil, fmt.Errorf("shared root %s: %w", dir, err)
		}
	}
	data, err := os.ReadFile(busyboxPath)
	if err != nil {
		return nil, fmt.Errorf("shared root %s: read busybox: %w", dir, err)
	}
	if err := t.WriteFile("bin/busybox", data, 0o755); err != nil {
		return nil, err
	}
	applets, err := busybox.Applets(ctx, busyboxPath)
	if err != nil {
		return nil, fmt.Errorf("shared root %s: %w", dir, err)
	}
	for _, a := range applets {
		if a == "init" {
			continue // /sbin/init is ours
		}
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil && !os.IsExist(err) {
			return nil, fmt.Errorf("shared root %s: applet %s: %w", dir, a, err)
		}
	}
	if err := t.WriteFile("sbin/init", initScript, 0o755); err != nil {
		return nil, err
	}
	return t, nil
}

// Path returns the host path of rel inside the tree.
func (t *Tree) Path(rel string) string {
	return filepath.Join(t.Dir, filepath.FromSlash(rel))
}

// WriteFile writes a file inside the tree, creating its directory.
func (t *Tree) WriteFile(rel string, data []byte, perm os.FileMode) error {
	p := t.Path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("shared root %s: %w", t.Dir, err)
	}
	if err := os.WriteFile(p, data, perm); err != nil {
		return fmt.Errorf("shared root %s: %w", t.Dir, err)
	}
	return nil
}

// LinkHostDependent lays out rel as a hostdependent file in the CDSL v2
// layout by hand: each node's copy at .cluster/cdsl/<id>/<rel> and rel a
// relative symlink to .cdsl.local/<rel>, where the initrd binds the
// booting node's tree. The end-to-end tests make their CDSLs with
// `osr cdsl`; this lets the lab be tested without osr.
func (t *Tree) LinkHostDependent(rel string, perNode map[int]string) error {
	rel = filepath.ToSlash(filepath.Clean(rel))
	for id, content := range perNode {
		if err := t.WriteFile(fmt.Sprintf("%s/%d/%s", CDSLTree, id, rel), []byte(content), 0o644); err != nil {
			return err
		}
	}
	up := strings.Repeat("../", strings.Count(rel, "/"))
	link := t.Path(rel)
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return fmt.Errorf("shared root %s: %w", t.Dir, err)
	}
	if err := os.Remove(link); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("shared root %s: replace %s: %w", t.Dir, rel, err)
	}
	if err := os.Symlink(up+CDSLLink+"/"+rel, link); err != nil {
		return fmt.Errorf("shared root %s: link %s: %w", t.Dir, rel, err)
	}
	return nil
}
