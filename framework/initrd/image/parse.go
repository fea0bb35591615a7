// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/framework/internal/unixmode"
)

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
		if p.last == "" && !stopAtTrailer {
			if err := p.checkInner(r); err != nil {
				return err
			}
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

// checkInner makes sure a compressed segment decompresses to a cpio archive and
// names what it holds instead: the kernel unpacks one layer of compression only,
// so gzip inside gzip (or anything else inside a compressed segment) is no initrd.
func (p *archiveParser) checkInner(r *bufio.Reader) error {
	head, _ := r.Peek(8)
	if len(head) < 6 {
		return fmt.Errorf("decompressed %s data is %d bytes, too short for a cpio header", p.seg.Compression, len(head))
	}
	inner, err := Detect(head)
	switch {
	case err != nil:
		return fmt.Errorf("decompressed %s data is not a cpio archive: %w", p.seg.Compression, err)
	case inner != None:
		return fmt.Errorf("decompressed %s data is itself %s-compressed, not a cpio archive: "+
			"the kernel unpacks one layer of compression only (decompress the inner layer, or compress the cpio archive once)",
			p.seg.Compression, inner)
	}
	return nil
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
		Name: cleanName(h.name), Mode: unixmode.FromUnix(h.mode), UID: int(h.uid), GID: int(h.gid),
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
func (h *Header) Perm() uint32 { return unixmode.ToUnix(h.Mode) }

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
