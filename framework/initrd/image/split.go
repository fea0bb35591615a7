// SPDX-License-Identifier: Apache-2.0

package image

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"path"
	"runtime/debug"
	"sort"
	"strings"
)

// segment is one part of the image: a cpio archive of its own, with its own
// trailer, compressed and cached independently of the others. The kernel
// unpacks concatenated archives one after the other; a hardlink never spans
// two of them (the kernel forgets inode numbers at every trailer), so
// identical contents are linked within a segment only.
type segment struct {
	name  string
	nodes []*node // sorted by path; the directories above its entries included
	plan  *plan
}

// splitSegments sorts the resolved nodes into their segments: every node
// that was added goes to its entry's segment, and every segment gets the
// directories above its entries (the same directory, with the same metadata,
// may so appear in several segments; the kernel creates it once and applies
// the same mode again). order names the segments that come first.
func splitSegments(nodes []*node, order []string) ([]*segment, error) {
	byPath := make(map[string]*node, len(nodes))
	for _, n := range nodes {
		byPath[n.Path] = n
	}
	members := map[string]map[*node]bool{}
	for _, n := range nodes {
		if n.implicit {
			continue // present only where an entry below it needs it
		}
		m := members[n.Segment]
		if m == nil {
			m = map[*node]bool{}
			members[n.Segment] = m
		}
		m[n] = true
		for dir := path.Dir(n.Path); dir != "."; dir = path.Dir(dir) {
			parent, ok := byPath[dir]
			if !ok {
				return nil, fmt.Errorf("internal error: %s has no parent directory %s in the image", n.Path, dir)
			}
			if parent.Kind != Dir {
				return nil, fmt.Errorf("internal error: the parent %s of %s is a %s", dir, n.Path, parent.Kind)
			}
			if m[parent] {
				break // its parents are there too
			}
			m[parent] = true
		}
	}
	if len(members) == 0 {
		members[""] = map[*node]bool{} // an empty image is one empty archive
	}
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	rank := map[string]int{}
	for i, name := range order {
		if _, dup := rank[name]; !dup {
			rank[name] = i
		}
	}
	sort.Slice(names, func(i, j int) bool {
		ri, iok := rank[names[i]]
		rj, jok := rank[names[j]]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return names[i] < names[j]
	})
	segs := make([]*segment, 0, len(names))
	for _, name := range names {
		sg := &segment{name: name}
		for _, n := range nodes { // nodes are sorted: so is every segment
			if members[name][n] {
				sg.nodes = append(sg.nodes, n)
			}
		}
		segs = append(segs, sg)
	}
	return segs, nil
}

// keyVersion changes whenever the bytes written for the same entries and
// options change, so no cached segment of an older layout is ever reused.
const keyVersion = "osr image segment 1"

// key is the segment's cache key: a SHA-256 over what decides its bytes,
// the layout's headers, the content hash of every file body, the
// compression, its level and the versions of the compressors (encoder names
// the system's xz and its version when that writes the segment), so equal
// keys mean equal bytes.
func (sg *segment) key(sums *contentSums, comp Compression, level int, encoder string) ([32]byte, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%s\x00%s\x00", keyVersion, comp, level, chunkSize, compressorVersions, encoder)
	var buf []byte
	for i := range sg.plan.records {
		r := &sg.plan.records[i]
		buf = appendHeader(buf[:0], &r.hdr)
		h.Write(buf)
		switch {
		case r.hdr.mode&modeTypeMask == modeSymlink:
			h.Write([]byte(r.link))
		case r.file != nil && r.size > 0:
			sum, ok := sums.get(r.file)
			if !ok {
				return [32]byte{}, fmt.Errorf("internal error: no content hash for %s", r.hdr.name)
			}
			h.Write(sum[:])
		}
		h.Write(binary.BigEndian.AppendUint64(buf[:0], uint64(r.size)))
	}
	var k [32]byte
	h.Sum(k[:0])
	return k, nil
}

// compressorVersions names the module versions of the compressors this
// binary was built with: a new version may compress the same input to other
// bytes, and a cached segment must equal what a fresh build writes.
var compressorVersions = func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var parts []string
	for _, d := range info.Deps {
		switch d.Path {
		case "github.com/klauspost/compress", "github.com/ulikunitz/xz", "github.com/pierrec/lz4/v4":
			parts = append(parts, d.Path+"@"+d.Version)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}()
