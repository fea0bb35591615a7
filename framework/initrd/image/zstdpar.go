// SPDX-License-Identifier: Apache-2.0

package image

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// A zstd segment of several frames (osr writes one per 16 MiB chunk) is decoded
// on several cores: frames are found by walking their block headers, decoded by
// a few workers at once, and handed to the reader in order. What is decoded
// ahead is bounded: each frame in flight holds at most zstdAhead pieces.
const (
	zstdPieceSize = 1 << 20
	zstdAhead     = 8
)

type zstdJob struct {
	off, n int64
	out    chan zstdPiece
}

type zstdPiece struct {
	b   []byte
	err error
}

// zstdSegment reads the run of zstd frames starting at the cursor as one stream.
type zstdSegment struct {
	c      *cursor
	cancel context.CancelFunc
	wg     sync.WaitGroup
	order  chan *zstdJob
	free   chan []byte
	cur    *zstdJob
	piece  []byte
	rest   []byte
	end    int64 // the last frame's end, once order is closed
	err    error
}

func newZstdSegment(c *cursor) (*zstdSegment, error) {
	start := c.pos()
	first, err := zstdFrameAt(c.ra, c.size, start)
	if err != nil {
		return nil, err
	}
	workers := min(max(runtime.GOMAXPROCS(0), 1), 4)
	ctx, cancel := context.WithCancel(context.Background())
	s := &zstdSegment{c: c, cancel: cancel, order: make(chan *zstdJob, workers),
		free: make(chan []byte, workers*(zstdAhead+1)), end: start + first}
	work := make(chan *zstdJob)
	s.wg.Add(1)
	go s.dispatch(ctx, work, start, first)
	for range workers {
		s.wg.Add(1)
		go s.decode(ctx, work)
	}
	return s, nil
}

// zstdFrameAt checks the frame at off (its window too) and returns its length.
func zstdFrameAt(ra io.ReaderAt, size, off int64) (int64, error) {
	var head [18]byte
	n, _ := ra.ReadAt(head[:], off)
	if n >= 4 && binary.LittleEndian.Uint32(head[:4]) == zstdMagic {
		w, err := zstdWindow(head[:n])
		if err != nil {
			return 0, err
		}
		if w > MaxWindow {
			return 0, windowError(Zstd, "frame", w)
		}
	}
	return zstdFrameLen(io.NewSectionReader(ra, off, size-off))
}

// dispatch finds the frames one after another and queues them in order.
func (s *zstdSegment) dispatch(ctx context.Context, work chan<- *zstdJob, off, n int64) {
	defer s.wg.Done()
	defer close(work)
	defer close(s.order)
	for {
		job := &zstdJob{off: off, n: n, out: make(chan zstdPiece, zstdAhead)}
		select {
		case s.order <- job:
		case <-ctx.Done():
			return
		}
		select {
		case work <- job:
		case <-ctx.Done():
			return
		}
		s.end = off + n
		// The next frame follows, possibly after zero padding; anything else ends the segment.
		next, ok := nextNonZero(s.c.ra, s.c.size, off+n)
		if !ok {
			return
		}
		var magic [4]byte
		if m, _ := s.c.ra.ReadAt(magic[:], next); m < 4 || binary.LittleEndian.Uint32(magic[:]) != zstdMagic {
			return
		}
		fl, err := zstdFrameAt(s.c.ra, s.c.size, next)
		if err != nil {
			job := &zstdJob{out: make(chan zstdPiece, 1)}
			job.out <- zstdPiece{err: fmt.Errorf("zstd frame at offset %d: %w", next, err)}
			close(job.out)
			select {
			case s.order <- job:
			case <-ctx.Done():
			}
			return
		}
		off, n = next, fl
	}
}

// nextNonZero returns the offset of the first non-zero byte at or after off.
func nextNonZero(ra io.ReaderAt, size, off int64) (int64, bool) {
	var buf [512]byte
	for off < size {
		n, _ := ra.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n == 0 {
			return 0, false
		}
		for i, b := range buf[:n] {
			if b != 0 {
				return off + int64(i), true
			}
		}
		off += int64(n)
	}
	return 0, false
}

// decode decodes whole frames into pieces.
func (s *zstdSegment) decode(ctx context.Context, work <-chan *zstdJob) {
	defer s.wg.Done()
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxWindow(MaxWindow), zstd.WithDecoderMaxMemory(MaxWindow))
	if err != nil {
		panic(err) // only invalid options fail here
	}
	defer d.Close()
	send := func(job *zstdJob, p zstdPiece) bool {
		select {
		case job.out <- p:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for job := range work {
		err := d.Reset(io.NewSectionReader(s.c.ra, job.off, job.n))
		for err == nil {
			var b []byte
			select {
			case b = <-s.free:
			default:
				b = make([]byte, zstdPieceSize)
			}
			var n int
			n, err = io.ReadFull(d, b)
			if n > 0 && !send(job, zstdPiece{b: b[:n]}) {
				return
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = nil
				break
			}
		}
		if err != nil {
			send(job, zstdPiece{err: fmt.Errorf("zstd frame at offset %d: %w", job.off, err)})
		}
		close(job.out)
	}
}

func (s *zstdSegment) Read(p []byte) (int, error) {
	for len(s.rest) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.piece != nil {
			select {
			case s.free <- s.piece[:cap(s.piece)]:
			default:
			}
			s.piece = nil
		}
		if s.cur == nil {
			job, ok := <-s.order
			if !ok {
				s.err = io.EOF
				continue
			}
			s.cur = job
		}
		pc, ok := <-s.cur.out
		if !ok {
			s.cur = nil
			continue
		}
		if pc.err != nil {
			s.err = pc.err
			continue
		}
		s.piece, s.rest = pc.b, pc.b
	}
	n := copy(p, s.rest)
	s.rest = s.rest[n:]
	return n, nil
}

// close stops the workers when the reader is left before the segment's end.
func (s *zstdSegment) close() {
	s.cancel()
	s.wg.Wait()
}
