// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Segment is one archive region of an image file: an uncompressed cpio archive,
// or a run of compressed frames holding one or more archives.
type Segment struct {
	Index       int         `json:"index"`
	Offset      int64       `json:"offset"` // where it starts in the file
	Length      int64       `json:"length"` // its length in the file
	Compression Compression `json:"compression"`
	RawBytes    int64       `json:"raw_bytes"` // its cpio data once decompressed
	Entries     int         `json:"entries"`
}

// Header describes one entry of an image as its archive records it.
type Header struct {
	Name string // as stored, without a leading "./" or "/"
	Kind Kind
	// Mode is the permission bits with fs.ModeSetuid, fs.ModeSetgid, fs.ModeSticky.
	Mode     fs.FileMode
	UID, GID int
	// Size is the file's content length; for a hardlink whose content is stored
	// with another name, the length of that content; for a symlink, the length
	// of its target (as ls -l shows it).
	Size    int64
	Links   int // the header's link count
	Inode   uint32
	ModTime time.Time
	// Linkname is a symlink's target.
	Linkname string
	// Major and Minor are a device's numbers.
	Major, Minor uint32
	// Segment is the index of the segment holding the entry.
	Segment int

	index   int   // position among all entries of the image
	archive int   // archive number within the image, for hardlink groups
	stored  int64 // body length in the archive (0 for a link whose data is elsewhere)
	dev     [2]uint32
}

// Image is an initrd opened for reading. Its entries are listed when it is opened;
// content is read again from the file on demand.
type Image struct {
	path     string
	f        *os.File
	size     int64
	segments []Segment
	entries  []Header
}

// Open reads the initrd at path and lists its segments and entries. The list is
// held in memory; OpenStream reads an image of any size one entry at a time.
func Open(ctx context.Context, path string) (*Image, error) {
	f, err := OpenStream(path)
	if err != nil {
		return nil, err
	}
	im := &Image{path: path, f: f.f, size: f.size}
	im.segments, err = walk(ctx, f.f, f.size, func(h *Header, _ io.Reader) error {
		im.entries = append(im.entries, *h)
		return nil
	})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	im.fillLinkSizes()
	return im, nil
}

// Close releases the image file.
func (im *Image) Close() error { return im.f.Close() }

// Segments lists the image's segments in file order.
func (im *Image) Segments() []Segment { return im.segments }

// Entries lists every entry in archive order; a path may appear more than once
// (a later entry replaces an earlier one when the kernel unpacks the image).
func (im *Image) Entries() []Header { return im.entries }

// Size is the image file's length.
func (im *Image) Size() int64 { return im.size }

// ErrNotFound is returned by ReadFile for a path the image does not hold.
var ErrNotFound = errors.New("no such entry in the image")

// errStop ends a walk early.
var errStop = errors.New("stop")

// ReadFile returns the content of the file at name as the kernel would leave it:
// the last entry of that name wins, and a hardlink's content is found wherever
// its archive stored it. Symlinks are not followed.
func (im *Image) ReadFile(ctx context.Context, name string) ([]byte, error) {
	name = cleanName(name)
	want := -1
	for i := range im.entries {
		if im.entries[i].Name == name {
			want = i
		}
	}
	if want < 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	h := &im.entries[want]
	if h.Kind != File {
		return nil, fmt.Errorf("%s is a %s, not a file", name, h.Kind)
	}
	if holder := im.linkHolder(h); holder != nil {
		want = holder.index
	}
	var data []byte
	_, err := walk(ctx, im.f, im.size, func(e *Header, body io.Reader) error {
		if e.index != want {
			return nil
		}
		var err error
		data, err = io.ReadAll(body)
		if err != nil {
			return err
		}
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("%s: %w", im.path, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// linkHolder returns the entry that stores the content of hardlink h when h
// itself stores none, or nil.
func (im *Image) linkHolder(h *Header) *Header {
	if h.Links < 2 || h.stored > 0 {
		return nil
	}
	for i := range im.entries {
		e := &im.entries[i]
		if e.archive == h.archive && e.Inode == h.Inode && e.dev == h.dev && e.Kind == File && e.stored > 0 {
			return e
		}
	}
	return nil
}

// fillLinkSizes gives every hardlink the size of the content its group stores.
func (im *Image) fillLinkSizes() {
	type key struct {
		archive int
		ino     uint32
		dev     [2]uint32
	}
	sizes := map[key]int64{}
	for _, e := range im.entries {
		if e.Kind == File && e.Links > 1 && e.stored > 0 {
			sizes[key{e.archive, e.Inode, e.dev}] = e.stored
		}
	}
	for i := range im.entries {
		e := &im.entries[i]
		if e.Kind == File && e.Links > 1 && e.stored == 0 {
			e.Size = sizes[key{e.archive, e.Inode, e.dev}]
		}
	}
}

// walk reads the image in ra (size bytes) front to back and calls fn for every
// entry with a reader of its stored body (empty for everything but files). It
// returns the image's segments.
func walk(ctx context.Context, ra io.ReaderAt, size int64, fn func(h *Header, body io.Reader) error) ([]Segment, error) {
	c := newCursor(ra, size)
	var segs []Segment
	index, archive := 0, 0
	for {
		more, err := c.skipZeros()
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		start := c.pos()
		comp, err := c.detect()
		if err != nil {
			return nil, fmt.Errorf("offset %d: %w", start, err)
		}
		seg := Segment{Index: len(segs), Offset: start, Compression: comp}
		p := &archiveParser{ctx: ctx, seg: &seg, index: &index, archive: &archive, fn: fn}
		switch comp {
		case None:
			// An uncompressed archive ends at its trailer; what follows is another segment.
			err = p.parse(c.br, true)
		case Zstd:
			if tool := systemTool(Zstd); tool != "" {
				err = p.parseTool(c, func() (*toolSegment, bool, error) {
					ts, err := newZstdTool(c, tool)
					return ts, true, err
				})
				break
			}
			var zs *zstdSegment
			zs, err = newZstdSegment(c)
			if err == nil {
				err = p.parse(bufio.NewReaderSize(zs, 256<<10), false)
				zs.close()
				if err == nil {
					c.seek(zs.end)
				}
			}
		default:
			if tool := systemTool(comp); tool != "" && comp == XZ {
				if err = p.parseTool(c, func() (*toolSegment, bool, error) { return newXZTool(c, tool) }); !errors.Is(err, errNoTool) {
					break
				}
			}
			var fr frameReader
			fr, err = c.openFrame(comp)
			if err == nil {
				sr := &segmentReader{c: c, comp: comp, cur: fr}
				err = p.parse(bufio.NewReaderSize(sr, 256<<10), false)
				sr.close()
			}
		}
		if err != nil {
			return nil, fmt.Errorf("segment %d (%s at offset %d): %w", seg.Index, comp, start, err)
		}
		seg.Length = c.pos() - start
		segs = append(segs, seg)
		archive++
	}
	if len(segs) == 0 {
		return nil, errors.New("empty image: no cpio archive found")
	}
	return segs, nil
}

// errNoTool: the system tool cannot take this segment; the Go decoder reads it.
var errNoTool = errors.New("left to the Go decoder")

// parseTool parses the segment a system tool decompresses and moves the
// cursor to the segment's end.
func (p *archiveParser) parseTool(c *cursor, start func() (*toolSegment, bool, error)) error {
	ts, ok, err := start()
	if !ok {
		return errNoTool
	}
	if err != nil {
		return err
	}
	err = p.parse(bufio.NewReaderSize(ts, 256<<10), false)
	ts.close()
	if err == nil {
		c.seek(ts.end)
	}
	return err
}
