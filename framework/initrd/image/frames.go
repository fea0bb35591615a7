// SPDX-License-Identifier: Apache-2.0

package image

import (
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// zstdMagic starts a zstd frame (as a little-endian number).
const zstdMagic = 0xfd2fb528

// Readers for one frame of the formats whose decoders do not stop exactly at the
// frame's end by themselves.

// zstdFrameLen returns the length of the zstd (or skippable) frame at the start of r,
// per RFC 8878 §3.1.
func zstdFrameLen(r *io.SectionReader) (int64, error) {
	var hdr [18]byte
	n, _ := r.ReadAt(hdr[:], 0)
	if n < 4 {
		return 0, fmt.Errorf("zstd: truncated frame header")
	}
	magic := binary.LittleEndian.Uint32(hdr[:4])
	if magic&0xfffffff0 == 0x184d2a50 { // skippable frame
		if n < 8 {
			return 0, fmt.Errorf("zstd: truncated skippable frame")
		}
		return 8 + int64(binary.LittleEndian.Uint32(hdr[4:8])), nil
	}
	if magic != zstdMagic {
		return 0, fmt.Errorf("zstd: bad magic %#x", magic)
	}
	if n < 5 {
		return 0, fmt.Errorf("zstd: truncated frame header")
	}
	fhd := hdr[4]
	dictIDLen := [4]int64{0, 1, 2, 4}[fhd&3]
	single := fhd&0x20 != 0
	fcsLen := [4]int64{0, 2, 4, 8}[fhd>>6]
	if fhd>>6 == 0 && single {
		fcsLen = 1
	}
	off := 5 + dictIDLen + fcsLen
	if !single {
		off++ // window descriptor
	}
	var bh [3]byte
	for {
		if _, err := r.ReadAt(bh[:], off); err != nil {
			return 0, fmt.Errorf("zstd: truncated block header at frame offset %d", off)
		}
		v := uint32(bh[0]) | uint32(bh[1])<<8 | uint32(bh[2])<<16
		last, typ, size := v&1 == 1, (v>>1)&3, int64(v>>3)
		switch typ {
		case 1: // RLE: one byte repeated
			size = 1
		case 3:
			return 0, fmt.Errorf("zstd: reserved block type at frame offset %d", off)
		}
		off += 3 + size
		if last {
			break
		}
	}
	if fhd&0x04 != 0 {
		off += 4 // content checksum
	}
	if off > r.Size() {
		return 0, fmt.Errorf("zstd: frame of %d bytes is truncated at %d", off, r.Size())
	}
	return off, nil
}

// xzFrame reads one xz stream. With SingleStream set, the xz reader reads one
// byte past the stream to check that nothing follows; that byte is given back.
type xzFrame struct {
	c   *cursor
	r   *xz.Reader
	end bool
}

func (x *xzFrame) Read(p []byte) (int, error) {
	if x.end {
		return 0, io.EOF
	}
	n, err := x.r.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	// The stream footer ends with "YZ"; when it is followed by exactly the one
	// byte the reader looked at, the stream ended cleanly.
	pos := x.c.pos()
	var tail [2]byte
	if _, rerr := x.c.ra.ReadAt(tail[:], pos-3); rerr == nil && string(tail[:]) == "YZ" {
		x.c.seek(pos - 1)
		x.end = true
		return n, io.EOF
	}
	return n, err
}

func (x *xzFrame) Close() error { return nil }

// bzip2Frame reads one bzip2 stream. After a stream the reader reads two bytes to
// look for a following "BZ"; when they are something else, they are given back.
type bzip2Frame struct {
	c   *cursor
	r   io.Reader
	end bool
}

func (b *bzip2Frame) Read(p []byte) (int, error) {
	if b.end {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	var se bzip2.StructuralError
	if errors.As(err, &se) && se == "bad magic value in continuation file" {
		b.c.seek(b.c.pos() - 2)
		b.end = true
		return n, io.EOF
	}
	return n, err
}

func (b *bzip2Frame) Close() error { return nil }

// lz4Legacy reads the legacy lz4 format: the magic, then blocks of a 4-byte
// little-endian length and data, each decompressing to 8 MiB except the last.
// A block that decompresses to less than 8 MiB ends the frame unless the magic
// follows again (concatenated frames).
type lz4Legacy struct {
	c    *cursor
	in   []byte
	out  []byte
	rest []byte
	done bool
}

const (
	lz4LegacyMagic = 0x184c2102
	lz4LegacyBlock = 8 << 20
)

func newLZ4Legacy(c *cursor) (*lz4Legacy, error) {
	if _, err := c.br.Discard(4); err != nil {
		return nil, err
	}
	return &lz4Legacy{c: c, out: make([]byte, lz4LegacyBlock)}, nil
}

func (l *lz4Legacy) Read(p []byte) (int, error) {
	for len(l.rest) == 0 {
		if l.done {
			return 0, io.EOF
		}
		if err := l.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, l.rest)
	l.rest = l.rest[n:]
	return n, nil
}

// next decompresses the following block, or marks the end of the frame.
func (l *lz4Legacy) next() error {
	head, err := l.c.br.Peek(4)
	if len(head) < 4 {
		l.done = true
		if err == io.EOF || len(head) == 0 {
			return nil
		}
		return fmt.Errorf("lz4: %d stray bytes at the end", len(head))
	}
	size := binary.LittleEndian.Uint32(head)
	switch {
	case size == lz4LegacyMagic:
		l.c.br.Discard(4)
		return nil
	case size == 0 || int(size) > lz4.CompressBlockBound(lz4LegacyBlock):
		l.done = true // padding or another format: not ours
		return nil
	}
	l.c.br.Discard(4)
	if cap(l.in) < int(size) {
		l.in = make([]byte, size)
	}
	l.in = l.in[:size]
	if _, err := io.ReadFull(l.c.br, l.in); err != nil {
		return fmt.Errorf("lz4: block of %d bytes: %w", size, unexpected(err))
	}
	n, err := lz4.UncompressBlock(l.in, l.out)
	if err != nil {
		return fmt.Errorf("lz4: %w", err)
	}
	l.rest = l.out[:n]
	if n < lz4LegacyBlock {
		next, _ := l.c.br.Peek(4)
		l.done = len(next) < 4 || binary.LittleEndian.Uint32(next) != lz4LegacyMagic
	}
	return nil
}

func (l *lz4Legacy) Close() error { return nil }
