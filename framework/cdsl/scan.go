// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"golang.org/x/sys/unix"
)

// candidate is a symlink that looks like a CDSL's.
type candidate struct {
	src, loc, target string
	typ              inventory.Type
}

// Scan searches the CDSL filesystem for CDSLs the inventory lacks: symlinks
// whose target goes through the link dir (hostdependent) or into the shared tree
// (shared) and that sit where such a CDSL's symlink would. It does not cross into
// other mounted filesystems. The nodes of a found CDSL are those whose tree holds
// its data (hostdependent) or its symlink (shared).
func (r *Repo) Scan() ([]inventory.CDSL, error) {
	s := r.layout.Settings
	var cands []candidate
	skip := map[string]bool{r.layout.TreeDir(): true, r.layout.SharedDir(): true, r.layout.LinkDir(): true}
	top, err := r.fs.Lstat(r.opts.Mountpoint)
	if err != nil {
		return nil, err
	}
	visit := func(loc, target string) {
		t := strings.TrimPrefix(target, "/")
		for strings.HasPrefix(t, "../") || strings.HasPrefix(t, "./") {
			t = t[strings.IndexByte(t, '/')+1:]
		}
		var typ inventory.Type
		switch {
		case strings.HasPrefix(t, s.Link+"/"):
			typ = inventory.Hostdependent
		case strings.HasPrefix(t, s.SharedTree+"/"):
			typ = inventory.Shared
		default:
			return
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(loc, s.Mountpoint), "/")
		cands = append(cands, candidate{src: r.Model().Strip(rel), loc: rel, target: target, typ: typ})
	}
	walks := []string{r.opts.Mountpoint, r.layout.SharedDir()}
	dirs, err := r.nodeDirNames()
	if err != nil {
		return nil, err
	}
	for _, d := range append(dirs, s.DefaultDir) {
		walks = append(walks, r.layout.NodeDir(d))
	}
	for i, w := range walks {
		if err := r.walkLinks(w, top.Dev, skip, i == 0, visit); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		return strings.Count(cands[i].src, "/") < strings.Count(cands[j].src, "/")
	})
	work := r.inv.Clone()
	var found []inventory.CDSL
	for _, cd := range cands {
		if cd.src == "" || work.Find(cd.src) != nil {
			continue
		}
		if err := inventory.CheckPath(cd.src); err != nil {
			fmt.Fprintf(r.notes, "%s looks like a CDSL but the inventory cannot hold its name (%v); rename it to add it\n", r.fs.HostPath(r.at(cd.loc)), err)
			continue
		}
		m := Model{Settings: s, Inv: work}
		c := inventory.CDSL{Src: cd.src, Type: cd.typ, Timestamp: now()}
		if m.Target(c) != cd.target {
			continue
		}
		if c.Type == inventory.Shared && m.Parent(c.Src) == nil {
			continue
		}
		for _, d := range dirs {
			probe := inventory.CDSL{Src: c.Src, Type: c.Type, Nodes: []string{s.NodeOfDir(d)}}
			where := m.NodeData(probe, d)
			if c.Type == inventory.Shared {
				where = m.LinkLocations(probe)[0]
			}
			if r.fs.Exists(r.at(where)) {
				c.Nodes = append(c.Nodes, probe.Nodes[0])
			}
		}
		work.Put(c)
		found = append(found, c)
	}
	return found, nil
}

// walkLinks calls visit for every symlink below dir, staying on the device dev
// and out of the directories in skip (only when top is set: the layout's own
// directories are walked separately).
func (r *Repo) walkLinks(dir string, dev uint64, skip map[string]bool, top bool, visit func(loc, target string)) error {
	names, err := r.fs.ReadDirNames(dir)
	if err != nil {
		return nil // a missing or unreadable directory holds no CDSLs
	}
	sort.Strings(names)
	for _, n := range names {
		if n == JournalFile || n == LockFile || strings.Contains(n, ".osr-trash-") || strings.Contains(n, ".osr-tmp") {
			continue
		}
		p := path.Join(dir, n)
		if top && skip[p] {
			continue
		}
		st, err := r.fs.Lstat(p)
		if err != nil {
			continue
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			if t, err := r.fs.Readlink(p); err == nil {
				visit(p, t)
			}
		case unix.S_IFDIR:
			if st.Dev != dev {
				continue
			}
			if err := r.walkLinks(p, dev, skip, top, visit); err != nil {
				return err
			}
		}
	}
	return nil
}
