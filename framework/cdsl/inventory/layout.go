// SPDX-License-Identifier: Apache-2.0

package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
)

// Layout says where a CDSL filesystem keeps its trees. All names are relative to the
// root the filesystem was found in, mountpoint included ("mnt/data/.cluster/cdsl").
type Layout struct {
	Settings
	// File is the inventory's logical name (what the tools call it), Physical the
	// name it was read from: they differ when the inventory lies inside a CDSL
	// (the v1 location var/lib/cdsl under a hostdependent /var).
	File     string
	Physical string
	// Version is the format version of the inventory that was read.
	Version string
}

// At returns name (relative to the CDSL filesystem) relative to the root.
func (l *Layout) At(name string) string { return rootfs.Clean(path.Join(l.Mountpoint, name)) }

// TreeDir is the tree holding every node's directory.
func (l *Layout) TreeDir() string { return l.At(l.Tree) }

// NodeDir is node's directory in the tree; the init bind-mounts it onto LinkDir.
func (l *Layout) NodeDir(node string) string { return l.At(path.Join(l.Tree, node)) }

// DefaultNodeDir is the template directory new nodes are copied from.
func (l *Layout) DefaultNodeDir() string { return l.NodeDir(l.DefaultDir) }

// SharedDir is the shared tree.
func (l *Layout) SharedDir() string { return l.At(l.SharedTree) }

// LinkDir is the directory every CDSL symlink goes through.
func (l *Layout) LinkDir() string { return l.At(l.Link) }

// ErrNoInventory is returned when a root has no inventory in any known place.
var ErrNoInventory = errors.New("no CDSL inventory")

// FindLayout finds the CDSL layout of the filesystem mounted at mountpoint below
// root (mountpoint "" for the root filesystem itself) from its inventory. It is what
// the init uses on the mounted root before it bind-mounts the node's tree.
func FindLayout(root, mountpoint string) (*Layout, error) {
	fsys, err := rootfs.Open(root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	l, _, err := Locate(fsys, mountpoint, "")
	return l, err
}

// Locate finds and reads the inventory of the CDSL filesystem at mountpoint. file,
// if not empty, is the inventory's name relative to that filesystem; otherwise the
// v2 place (.cdsl_inventory.xml) is tried, then the v1 place
// (var/lib/cdsl/cdsl_inventory.xml). The search looks through an unmounted link dir
// into the node tree that would be mounted there (the bound node's, else default).
func Locate(fsys *rootfs.FS, mountpoint, file string) (*Layout, *Inventory, error) {
	mp := rootfs.Clean(mountpoint)
	candidates := []string{V2File, V1File}
	if file != "" {
		file = strings.TrimLeft(file, "/")
		if e := relPath(settingInventory, file, false); e != nil {
			return nil, nil, e
		}
		candidates = []string{file}
	}
	guesses := []Settings{V2Defaults(), V1Defaults()}
	for _, c := range candidates {
		logical := rootfs.Clean(path.Join(mp, c))
		for _, g := range guesses {
			g.Mountpoint = mp
			l := &Layout{Settings: g, File: logical}
			phys, err := fsys.Resolve(logical, l.LinkSubst(fsys))
			if err != nil {
				return nil, nil, err
			}
			data, err := fsys.ReadFile(phys)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, nil, fmt.Errorf("read inventory: %w", err)
			}
			inv, err := Parse(fsys.HostPath(phys), data)
			if err != nil {
				return nil, nil, err
			}
			s := inv.Settings
			s.Mountpoint = mp
			return &Layout{Settings: s, File: logical, Physical: phys, Version: inv.Version}, inv, nil
		}
	}
	where := make([]string, len(candidates))
	for i, c := range candidates {
		where[i] = fsys.HostPath(path.Join(mp, c))
	}
	return nil, nil, fmt.Errorf("%w at %v: create one with 'osr cdsl init' (or name it with --inventory)", ErrNoInventory, where)
}

// BoundNode returns the node whose tree is bind-mounted on the link dir, or "" when
// the link dir is a plain directory.
func (l *Layout) BoundNode(fsys *rootfs.FS) string {
	link, err := fsys.Stat(l.LinkDir())
	if err != nil {
		return ""
	}
	names, err := fsys.ReadDirNames(l.TreeDir())
	if err != nil {
		return ""
	}
	for _, n := range names {
		st, err := fsys.Lstat(path.Join(l.TreeDir(), n))
		if err == nil && st.Dev == link.Dev && st.Ino == link.Ino {
			return n
		}
	}
	return ""
}

// LinkSubst returns a substitution for rootfs.Resolve that reads through an unbound
// link dir into the default node's tree, so paths behind CDSL symlinks can be found
// on a root that is not booted. When a node's tree is bound there, it returns nil.
func (l *Layout) LinkSubst(fsys *rootfs.FS) func(string) string {
	if l.BoundNode(fsys) != "" {
		return nil
	}
	return l.SubstFor(l.DefaultDir)
}

// SubstFor returns a substitution for rootfs.Resolve that reads through the link
// dir into node's tree.
func (l *Layout) SubstFor(node string) func(string) string {
	link, tree := l.LinkDir(), l.NodeDir(node)
	return func(name string) string {
		if name == link {
			return tree
		}
		return ""
	}
}
