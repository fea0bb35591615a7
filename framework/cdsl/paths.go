// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"path"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
)

// Model answers the path questions of one CDSL filesystem from its settings and
// inventory alone, without touching the disk. All names it returns are relative to
// the CDSL filesystem's root (the mountpoint is not included).
type Model struct {
	Settings inventory.Settings
	Inv      *inventory.Inventory
}

// Parent returns the nearest ancestor of src that is a CDSL, or nil.
func (m Model) Parent(src string) *inventory.CDSL {
	for p := path.Dir(src); p != "." && p != "/" && p != ""; p = path.Dir(p) {
		if c := m.Inv.Find(p); c != nil {
			return c
		}
	}
	return nil
}

// Children returns the CDSLs below src, deepest first.
func (m Model) Children(src string) []inventory.CDSL {
	var out []inventory.CDSL
	for _, c := range m.Inv.Sorted() {
		if strings.HasPrefix(c.Src, src+"/") {
			out = append(out, c)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Expand returns the name under which a CDSL of type t at src keeps its data
// inside the trees. Walking up the parent CDSLs, every parent that has a parent of
// its own and whose type differs from t gets its last component renamed to
// "<expandstring>.<name>": inside a node's tree the real parent path is already a
// symlink, so deeper data needs a different real directory.
func (m Model) Expand(src string, t inventory.Type) string {
	comps := strings.Split(src, "/")
	for p := m.Parent(src); p != nil; p = m.Parent(p.Src) {
		if m.Parent(p.Src) == nil || p.Type == t {
			continue
		}
		i := strings.Count(p.Src, "/")
		comps[i] = m.Settings.ExpandString + "." + comps[i]
	}
	return strings.Join(comps, "/")
}

// Unexpand removes the expansion prefix from every component of name.
func (m Model) Unexpand(name string) string {
	pre := m.Settings.ExpandString + "."
	comps := strings.Split(name, "/")
	for i, c := range comps {
		if strings.HasPrefix(c, pre) && len(c) > len(pre) {
			comps[i] = strings.TrimPrefix(c, pre)
		}
	}
	return strings.Join(comps, "/")
}

// NodeDir is the name of a node's directory in the tree (the prefix applies in
// node id mode only).
func (m Model) NodeDir(node string) string { return m.Settings.NodeDirName(node) }

// Dirs returns the node directory names of nodes followed by the default dir.
func (m Model) Dirs(nodes []string) []string {
	out := make([]string, 0, len(nodes)+1)
	for _, n := range nodes {
		out = append(out, m.NodeDir(n))
	}
	return append(out, m.Settings.DefaultDir)
}

func (m Model) tree(dir string, rest ...string) string {
	return path.Join(append([]string{m.Settings.Tree, dir}, rest...)...)
}

// LinkLocations returns where the CDSL c has its symlinks: the path itself for a
// top-level hostdependent CDSL, its place in the shared tree for a nested
// hostdependent one, and its place in every node's (and default's) tree for a
// shared one.
func (m Model) LinkLocations(c inventory.CDSL) []string {
	p := m.Parent(c.Src)
	if p == nil {
		return []string{c.Src}
	}
	tail := strings.TrimPrefix(c.Src, p.Src+"/")
	if c.Type == inventory.Hostdependent {
		return []string{path.Join(m.Settings.SharedTree, m.Expand(p.Src, p.Type), tail)}
	}
	var out []string
	for _, d := range m.Dirs(c.Nodes) {
		out = append(out, m.tree(d, m.Expand(p.Src, p.Type), tail))
	}
	return out
}

// DataLocations returns where the CDSL c keeps its data: one copy per node and
// default for a hostdependent CDSL, one in the shared tree for a shared one.
func (m Model) DataLocations(c inventory.CDSL) []string {
	if c.Type == inventory.Shared {
		return []string{path.Join(m.Settings.SharedTree, m.Expand(c.Src, c.Type))}
	}
	var out []string
	for _, d := range m.Dirs(c.Nodes) {
		out = append(out, m.NodeData(c, d))
	}
	return out
}

// NodeData is the data location of hostdependent c in node directory dir.
func (m Model) NodeData(c inventory.CDSL, dir string) string {
	return m.tree(dir, m.Expand(c.Src, c.Type))
}

// Target returns the relative symlink target every link location of c holds.
// The depth follows the originals: d = depth(src)-1; when d > 0 a shared CDSL adds
// depth(tree)+1 (the node component) and a nested hostdependent one depth(sharedtree).
func (m Model) Target(c inventory.CDSL) string {
	d := strings.Count(c.Src, "/")
	if d > 0 {
		if c.Type == inventory.Shared {
			d += depth(m.Settings.Tree) + 1
		} else if m.Parent(c.Src) != nil {
			d += depth(m.Settings.SharedTree)
		}
	}
	prefix := strings.Repeat("../", d)
	if c.Type == inventory.Shared {
		return prefix + path.Join(m.Settings.SharedTree, m.Expand(c.Src, c.Type))
	}
	return prefix + path.Join(m.Settings.Link, m.Expand(c.Src, c.Type))
}

// Physical returns where the content of name (a canonical path that is not itself
// a CDSL's link) lives for node directory dir, without going through the link dir.
func (m Model) Physical(name, dir string) string {
	a := m.Inv.Find(name)
	if a == nil {
		a = m.Parent(name)
	}
	if a == nil {
		return name
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(name, a.Src), "/")
	if a.Type == inventory.Shared {
		return path.Join(m.Settings.SharedTree, m.Expand(a.Src, a.Type), rest)
	}
	return path.Join(m.tree(dir, m.Expand(a.Src, a.Type)), rest)
}

// Strip turns a name inside the layout's own directories into the CDSL path it
// stands for: it removes a leading link dir, shared tree or <tree>/<node>, and the
// expansion prefixes.
func (m Model) Strip(name string) string {
	s := m.Settings
	n := rootfs.Clean(name)
	switch {
	case n == s.Link || n == s.SharedTree || n == s.Tree:
		return ""
	case strings.HasPrefix(n, s.Link+"/"):
		n = strings.TrimPrefix(n, s.Link+"/")
	case strings.HasPrefix(n, s.SharedTree+"/"):
		n = strings.TrimPrefix(n, s.SharedTree+"/")
	case strings.HasPrefix(n, s.Tree+"/"):
		n = strings.TrimPrefix(n, s.Tree+"/")
		if i := strings.IndexByte(n, '/'); i >= 0 {
			n = n[i+1:]
		} else {
			return ""
		}
	}
	return m.Unexpand(n)
}

func depth(p string) int {
	p = strings.Trim(p, "/")
	if p == "" {
		return 0
	}
	return strings.Count(p, "/") + 1
}
