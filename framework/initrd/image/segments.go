// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bufio"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// cursor reads an image file sequentially and always knows its exact offset, so a
// segment's end can be found even though decompressors read through a buffer.
type cursor struct {
	ra   io.ReaderAt
	size int64
	base int64 // file offset where br's source starts
	src  countingReader
	br   *bufio.Reader
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func newCursor(ra io.ReaderAt, size int64) *cursor {
	c := &cursor{ra: ra, size: size, br: bufio.NewReaderSize(nil, 256<<10)}
	c.seek(0)
	return c
}

// pos is the offset of the next byte a read returns.
func (c *cursor) pos() int64 { return c.base + c.src.n - int64(c.br.Buffered()) }

// seek moves to an absolute offset, dropping what was buffered.
func (c *cursor) seek(off int64) {
	c.base = off
	c.src = countingReader{r: io.NewSectionReader(c.ra, off, c.size-off)}
	c.br.Reset(&c.src)
}

// skipZeros consumes zero bytes (padding between segments) and reports whether
// anything follows.
func (c *cursor) skipZeros() (bool, error) {
	for {
		b, err := c.br.ReadByte()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if b != 0 {
			return true, c.br.UnreadByte()
		}
	}
}

// detect names the compression of the bytes at the cursor.
func (c *cursor) detect() (Compression, error) {
	head, _ := c.br.Peek(8)
	return Detect(head)
}

// frameReader decompresses one frame (gzip member, zstd frame, xz stream, …) that
// starts at the cursor. After it returns io.EOF the cursor is at the frame's end.
type frameReader interface {
	io.Reader
	Close() error
}

// openFrame starts decompressing the frame of kind c at the cursor.
func (c *cursor) openFrame(comp Compression) (frameReader, error) {
	switch comp {
	case Gzip:
		// Given an io.ByteReader, the gzip reader consumes exactly one member.
		z, err := gzip.NewReader(c.br)
		if err != nil {
			return nil, err
		}
		z.Multistream(false)
		return z, nil
	case Zstd:
		return c.openZstd()
	case XZ:
		head, _ := c.br.Peek(12 + 1024)
		dict, err := xzFirstDict(head)
		if err != nil {
			return nil, err
		}
		if dict > MaxWindow {
			return nil, windowError(XZ, "stream's first block", dict)
		}
		x, err := xz.ReaderConfig{SingleStream: true}.NewReader(c.br)
		if err != nil {
			return nil, err
		}
		return &xzFrame{c: c, r: x}, nil
	case LZMA:
		l, err := lzma.ReaderConfig{DictCap: MaxWindow}.NewReader(c.br)
		var big *lzma.ErrDictSize
		if errors.As(err, &big) {
			return nil, windowError(LZMA, "header", uint64(big.HeaderDictSize))
		}
		if err != nil {
			return nil, err
		}
		return io.NopCloser(l).(frameReader), nil
	case LZ4:
		return newLZ4Legacy(c)
	case Bzip2:
		return &bzip2Frame{c: c, r: bzip2.NewReader(c.br)}, nil
	}
	return nil, fmt.Errorf("no decoder for %s", comp)
}

// openZstd finds the frame's length by walking its block headers, then decodes
// exactly that range: the zstd decoder reads ahead and would not stop at the end.
func (c *cursor) openZstd() (frameReader, error) {
	start := c.pos()
	n, err := zstdFrameLen(io.NewSectionReader(c.ra, start, c.size-start))
	if err != nil {
		return nil, err
	}
	if head, _ := c.br.Peek(18); binary.LittleEndian.Uint32(head[:4]) == zstdMagic {
		w, err := zstdWindow(head)
		if err != nil {
			return nil, err
		}
		if w > MaxWindow {
			return nil, windowError(Zstd, "frame", w)
		}
	}
	d, err := zstd.NewReader(io.NewSectionReader(c.ra, start, n), zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxWindow(MaxWindow), zstd.WithDecoderMaxMemory(MaxWindow))
	if err != nil {
		return nil, err
	}
	c.seek(start + n)
	return zstdFrame{d}, nil
}

type zstdFrame struct{ d *zstd.Decoder }

func (z zstdFrame) Read(p []byte) (int, error) { return z.d.Read(p) }
func (z zstdFrame) Close() error               { z.d.Close(); return nil }

// segmentReader decompresses a run of frames of one compression that follow each
// other (possibly with zero padding between them) as one stream.
type segmentReader struct {
	c    *cursor
	comp Compression
	cur  frameReader
	err  error
}

func (s *segmentReader) Read(p []byte) (int, error) {
	for s.err == nil {
		if s.cur == nil {
			return 0, io.EOF
		}
		n, err := s.cur.Read(p)
		if err == io.EOF {
			s.cur.Close()
			s.cur = nil
			s.err = s.nextFrame() // leaves cur nil when the segment ends
			if n > 0 || s.err != nil {
				return n, s.err
			}
			continue
		}
		if err != nil {
			s.err = fmt.Errorf("%s: %w", s.comp, err)
		}
		return n, s.err
	}
	return 0, s.err
}

// nextFrame opens the following frame when it has the same compression.
func (s *segmentReader) nextFrame() error {
	start := s.c.pos()
	more, err := s.c.skipZeros()
	if err != nil || !more {
		return err
	}
	if comp, err := s.c.detect(); err != nil || comp != s.comp || comp == LZ4 {
		s.c.seek(start) // lz4 continues inside its own reader; anything else starts a new segment
		return nil
	}
	s.cur, err = s.c.openFrame(s.comp)
	if err != nil {
		return fmt.Errorf("%s frame at offset %d: %w", s.comp, start, err)
	}
	return nil
}

// close ends the frame being read, when the reader is left before the segment's end.
func (s *segmentReader) close() {
	if s.cur != nil {
		s.cur.Close()
		s.cur = nil
	}
}
