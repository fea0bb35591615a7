package image

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
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

// Open reads the initrd at path and lists its segments and entries.
func Open(ctx context.Context, path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	im := &Image{path: path, f: f, size: fi.Size()}
	if err := im.walk(ctx, func(h *Header, _ io.Reader) error {
		im.entries = append(im.entries, *h)
		return nil
	}); err != nil {
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
	err := im.walk(ctx, func(e *Header, body io.Reader) error {
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

// walk reads the whole image and calls fn for every entry with a reader of its
// stored body (empty for everything but files). It records the segments.
func (im *Image) walk(ctx context.Context, fn func(h *Header, body io.Reader) error) error {
	c := newCursor(im.f, im.size)
	var segs []Segment
	index, archive := 0, 0
	for {
		more, err := c.skipZeros()
		if err != nil {
			return err
		}
		if !more {
			break
		}
		start := c.pos()
		comp, err := c.detect()
		if err != nil {
			return fmt.Errorf("offset %d: %w", start, err)
		}
		seg := Segment{Index: len(segs), Offset: start, Compression: comp}
		p := &archiveParser{ctx: ctx, seg: &seg, index: &index, archive: &archive, fn: fn}
		if comp == None {
			// An uncompressed archive ends at its trailer; what follows is another segment.
			err = p.parse(c.br, true)
		} else {
			var fr frameReader
			fr, err = c.openFrame(comp)
			if err == nil {
				sr := &segmentReader{c: c, comp: comp, cur: fr}
				err = p.parse(bufio.NewReaderSize(sr, 256<<10), false)
			}
		}
		if err != nil {
			return fmt.Errorf("segment %d (%s at offset %d): %w", seg.Index, comp, start, err)
		}
		seg.Length = c.pos() - start
		segs = append(segs, seg)
		archive++
	}
	if len(segs) == 0 {
		return errors.New("empty image: no cpio archive found")
	}
	im.segments = segs
	return nil
}

// archiveParser reads the cpio archives of one segment.
type archiveParser struct {
	ctx     context.Context
	seg     *Segment
	index   *int
	archive *int
	fn      func(h *Header, body io.Reader) error
	last    string // the previous entry's name, for messages
}

// parse reads headers and bodies from r. With stopAtTrailer it returns after the
// first trailer; otherwise it reads archives until r ends.
func (p *archiveParser) parse(r *bufio.Reader, stopAtTrailer bool) error {
	for {
		if !stopAtTrailer {
			// Between archives of a compressed segment: zero padding, then more or the end.
			for {
				b, err := r.ReadByte()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				if b != 0 {
					r.UnreadByte()
					break
				}
				p.seg.RawBytes++
			}
		}
		if err := p.ctx.Err(); err != nil {
			return err
		}
		h, n, err := readHeader(r)
		if err != nil {
			if p.last == "" {
				return fmt.Errorf("first header: %w", err)
			}
			return fmt.Errorf("header after %s: %w", p.last, err)
		}
		p.last = h.name
		p.seg.RawBytes += n
		if h.name == trailerName {
			*p.archive++
			if stopAtTrailer {
				return nil
			}
			continue
		}
		if err := p.entry(r, h); err != nil {
			return err
		}
	}
}

// entry hands one entry to fn and skips what fn left of its body.
func (p *archiveParser) entry(r *bufio.Reader, h *header) error {
	e := headerInfo(h)
	e.Segment, e.index, e.archive = p.seg.Index, *p.index, *p.archive
	body := int64(h.size)
	if e.Kind == Symlink {
		if body == 0 || body > maxNameLen {
			return fmt.Errorf("%s: symlink target of %d bytes", e.Name, body)
		}
		target := make([]byte, body)
		if _, err := io.ReadFull(r, target); err != nil {
			return fmt.Errorf("%s: %w", e.Name, unexpected(err))
		}
		e.Linkname = string(target)
		e.Size = body
		body = 0
	} else if e.Kind != File && body != 0 {
		return fmt.Errorf("%s: a %s with %d bytes of content", e.Name, e.Kind, body)
	}
	if e.Kind != Symlink {
		e.Size = body
	}
	e.stored = body
	lr := &io.LimitedReader{R: r, N: body}
	if err := p.fn(&e, lr); err != nil {
		return err
	}
	skip := lr.N + pad4(int64(h.size))
	if n, err := r.Discard(int(skip)); err != nil {
		got := int64(h.size) - skip + int64(n)
		return fmt.Errorf("%s: content truncated at %d of %d bytes: %w", e.Name, min(got, int64(h.size)), h.size, unexpected(err))
	}
	p.seg.RawBytes += int64(h.size) + pad4(int64(h.size))
	p.seg.Entries++
	*p.index++
	return nil
}

// headerInfo converts a raw header to a Header.
func headerInfo(h *header) Header {
	e := Header{
		Name: cleanName(h.name), Mode: goMode(h.mode), UID: int(h.uid), GID: int(h.gid),
		Links: int(h.nlink), Inode: h.ino, ModTime: time.Unix(int64(h.mtime), 0).UTC(),
		dev: [2]uint32{h.devMajor, h.devMinor},
	}
	switch h.mode & modeTypeMask {
	case modeRegular, 0:
		e.Kind = File
	case modeDir:
		e.Kind = Dir
	case modeSymlink:
		e.Kind = Symlink
	case modeChar:
		e.Kind, e.Major, e.Minor = CharDevice, h.rdevMajor, h.rdevMinor
	case modeBlock:
		e.Kind, e.Major, e.Minor = BlockDevice, h.rdevMajor, h.rdevMinor
	case modeFifo, modeSocket:
		e.Kind = Fifo
	}
	return e
}

// Perm returns the permission, setuid, setgid and sticky bits in chmod's form (0o4755).
func (h *Header) Perm() uint32 {
	m := uint32(h.Mode.Perm())
	if h.Mode&fs.ModeSetuid != 0 {
		m |= 0o4000
	}
	if h.Mode&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	if h.Mode&fs.ModeSticky != 0 {
		m |= 0o1000
	}
	return m
}

// goMode converts cpio permission bits to fs.FileMode permission bits.
func goMode(m uint32) fs.FileMode {
	fm := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		fm |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= fs.ModeSticky
	}
	return fm
}

// cleanName strips the "./" and "/" prefixes archivers put before names and
// cleans the rest; the archive root is ".". A name reaching above the root keeps
// its leading "..", which extraction refuses.
func cleanName(name string) string {
	for {
		switch {
		case strings.HasPrefix(name, "./"):
			name = name[2:]
		case strings.HasPrefix(name, "/"):
			name = name[1:]
		default:
			return path.Clean(name)
		}
	}
}
