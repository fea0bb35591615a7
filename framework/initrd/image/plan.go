// SPDX-License-Identifier: Apache-2.0

package image

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/framework/internal/inroot"
	"github.com/open-sharedroot/osr/framework/internal/unixmode"
)

// record is one header in the archive, in archive order, with what fills its body.
type record struct {
	hdr  header
	file *Entry // the file whose content is the body; nil when the body is empty
	size int64  // body length; 0 for every link of a hardlinked file but the first
	link string // a symlink's target, its body
}

// plan is the archive laid out: records in order, split into chunks that are
// compressed independently.
type plan struct {
	records []record
	chunks  []chunk
	stats   Stats
}

// chunk is a run of records compressed as one frame.
type chunk struct {
	records []record
	rawLen  int64 // the chunk's length as cpio, the trailer included in the last
}

// chunkSize is the amount of cpio data after which a chunk ends (at the next entry
// boundary). It is fixed, not derived from the number of cores, so the output
// does not depend on the machine that writes it; it is a variable only so tests
// can exercise many chunks with little data.
var chunkSize int64 = 16 << 20

// makePlan lays out an archive that has a single segment, as makeSegments
// does.
func (a *Archive) makePlan(ctx context.Context, mtime uint32, workers int) (*plan, error) {
	segs, err := a.makeSegments(ctx, mtime, workers, nil, nil)
	if err != nil {
		return nil, err
	}
	if len(segs) != 1 {
		return nil, fmt.Errorf("internal error: %d segments where one was expected", len(segs))
	}
	return segs[0].plan, nil
}

// makeSegments resolves paths through symlinks in the image, reads file
// metadata, compares duplicate paths, splits the entries into their segments
// (each with the directories above its entries), finds identical contents
// within each segment and lays every segment out. order names the segments
// that come first, in that order; the others follow by name. sums, when set,
// gives the content hash of every file (which identical contents are found
// by); otherwise files of equal size are read and hashed.
func (a *Archive) makeSegments(ctx context.Context, mtime uint32, workers int, order []string, sums *contentSums) ([]*segment, error) {
	nodes, err := a.resolve()
	if err != nil {
		return nil, err
	}
	if err := statSources(ctx, nodes, workers); err != nil {
		return nil, err
	}
	if sums != nil {
		if err := sums.fill(ctx, nodes, workers); err != nil {
			return nil, err
		}
	}
	segs, err := splitSegments(nodes, order)
	if err != nil {
		return nil, err
	}
	for _, sg := range segs {
		links, err := findIdentical(ctx, sg.nodes, workers, sums)
		if err != nil {
			return nil, err
		}
		sg.plan = layout(sg.nodes, links, mtime)
	}
	return segs, nil
}

// resolve returns the archive's nodes with every path rewritten so that no parent
// component is a symlink in the image: with lib -> usr/lib in the image,
// lib/modules/x is stored as usr/lib/modules/x, which is where the kernel (which
// follows the link while unpacking) would put it, and the link exists no matter
// in which order the two were added.
func (a *Archive) resolve() ([]*node, error) {
	links := map[string]string{}
	for p, n := range a.entries {
		if n.Kind == Symlink {
			links[p] = n.Target
		}
	}
	if len(links) == 0 {
		return sortedNodes(a.entries), nil
	}
	b := NewArchive()
	for _, n := range sortedNodes(a.entries) {
		if n.implicit {
			continue // recreated below whatever still needs it
		}
		p, err := resolveParents(n.Path, links)
		if err != nil {
			return nil, err
		}
		for _, e := range append([]*Entry{&n.Entry}, n.alternates...) {
			moved := *e
			moved.Path = p
			if err := b.insert(&moved, false); err != nil {
				return nil, err
			}
		}
	}
	return sortedNodes(b.entries), nil
}

// resolveParents rewrites p's parent directories through the image's symlinks
// (framework/internal/inroot, over the image's own links: a path that is no
// link is taken as a directory).
func resolveParents(p string, links map[string]string) (string, error) {
	dir, base := path.Split(p)
	r, err := inroot.Resolver{FS: imageLinks(links)}.Resolve("/"+dir, true)
	if err != nil {
		if errors.Is(err, inroot.ErrTooManyLinks) {
			return "", fmt.Errorf("%s: too many levels of symlinks in the image", p)
		}
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return strings.TrimPrefix(path.Join(r, base), "/"), nil
}

// imageLinks is the image's tree as inroot reads it: its symlinks by path
// (no leading slash), everything else a directory.
type imageLinks map[string]string

func (l imageLinks) Lstat(p string) (fs.FileMode, string, error) {
	if target, ok := l[strings.TrimPrefix(p, "/")]; ok {
		return fs.ModeSymlink, target, nil
	}
	return fs.ModeDir, "", nil
}

func sortedNodes(m map[string]*node) []*node {
	out := make([]*node, 0, len(m))
	for _, n := range m {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// layout assigns inode numbers in path order, turns nodes into headers and cuts
// the record list into chunks.
func layout(nodes []*node, links map[*node]*node, mtime uint32) *plan {
	p := &plan{records: make([]record, 0, len(nodes))}
	nlink := map[*node]uint32{}
	for _, target := range links {
		nlink[target]++
	}
	ino := map[*node]uint32{}
	for i, n := range nodes {
		h := header{ino: uint32(i + 1), mode: cpioMode(&n.Entry), uid: uint32(n.UID), gid: uint32(n.GID),
			nlink: 1, mtime: mtime, name: n.Path}
		r := record{}
		switch n.Kind {
		case Dir:
			h.nlink = 2
			p.stats.Dirs++
		case Symlink:
			h.size = uint32(len(n.Target))
			r.link = n.Target
			p.stats.Symlinks++
		case CharDevice, BlockDevice:
			h.rdevMajor, h.rdevMinor = n.Major, n.Minor
			p.stats.Devices++
		case Fifo:
			p.stats.Devices++
		case File:
			p.stats.Files++
			if target, ok := links[n]; ok {
				h.ino, h.nlink = ino[target], nlink[target]+1
				p.stats.Hardlinks++
				break
			}
			ino[n] = h.ino
			h.nlink += nlink[n]
			r.file, r.size = &n.Entry, n.size()
			h.size = uint32(r.size)
			p.stats.ContentBytes += r.size
		}
		r.hdr = h
		p.records = append(p.records, r)
	}
	p.stats.Entries = len(p.records)
	start, acc := 0, int64(0)
	for i := range p.records {
		acc += p.records[i].rawLen()
		if acc >= chunkSize {
			p.chunks = append(p.chunks, chunk{p.records[start : i+1], acc})
			start, acc = i+1, 0
		}
	}
	if start < len(p.records) || len(p.chunks) == 0 {
		p.chunks = append(p.chunks, chunk{p.records[start:], acc})
	}
	last := &p.chunks[len(p.chunks)-1]
	last.rawLen += int64(len(appendHeader(nil, &header{name: trailerName})))
	return p
}

// rawLen is the number of bytes r takes in the cpio stream.
func (r *record) rawLen() int64 {
	nameEnd := int64(newcHeader + len(r.hdr.name) + 1)
	body := r.bodyLen()
	return nameEnd + pad4(nameEnd) + body + pad4(body)
}

// bodyLen is the length of r's body in the archive.
func (r *record) bodyLen() int64 {
	if r.hdr.mode&modeTypeMask == modeSymlink {
		return int64(r.hdr.size)
	}
	return r.size
}

// cpioMode is e's type and permission bits as the cpio header carries them.
func cpioMode(e *Entry) uint32 {
	m := unixmode.ToUnix(e.Mode)
	switch e.Kind {
	case File:
		m |= modeRegular
	case Dir:
		m |= modeDir
	case Symlink:
		m |= modeSymlink
	case CharDevice:
		m |= modeChar
	case BlockDevice:
		m |= modeBlock
	case Fifo:
		m |= modeFifo
	}
	return m
}
