// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// segmentJob is one segment on its way into the image: copied from the
// cache (cached is set) or compressed chunk by chunk.
type segmentJob struct {
	sg     *segment
	st     SegmentStats
	key    [32]byte
	cached *os.File
}

// chunkJob is one chunk of a segment to compress.
type chunkJob struct {
	plan *plan
	i    int
}

// writeSegments writes the segments to w in order. The chunks of every
// segment that is not copied from the cache are compressed on up to workers
// goroutines as one queue, so a small segment's chunks are compressed while a
// big one's last chunk still is, and no core waits at a segment's end. At
// most workers chunks are held in memory at once. With c, each compressed
// segment is also written to a new cache file, named once it is complete.
// newCC makes the compressor, when a chunk needs one.
func writeSegments(ctx context.Context, w io.Writer, jobs []*segmentJob, c *Cache, newCC func() (chunkCompressor, error), workers int) error {
	var work []chunkJob
	for _, j := range jobs {
		if j.cached == nil {
			for i := range j.sg.plan.chunks {
				work = append(work, chunkJob{j.sg.plan, i})
			}
		}
	}
	var cc chunkCompressor
	if len(work) > 0 {
		var err error
		if cc, err = newCC(); err != nil {
			return err
		}
		defer cc.close() // after the workers are done (deferred below)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	bufs := newChunkBuffers(workers)
	slots := make(chan struct{}, workers)
	results := make([]chan chunkResult, len(work))
	for i := range results {
		results[i] = make(chan chunkResult, 1)
	}
	wg.Go(func() {
		for k, cj := range work {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Go(func() { results[k] <- cj.plan.buildChunk(ctx, cj.i, cc, bufs) })
		}
	})
	next := 0 // the next chunk of work to write
	for _, j := range jobs {
		if j.cached != nil {
			if err := copyCached(ctx, w, j); err != nil {
				return err
			}
			c.use(j.key)
			continue
		}
		out := w
		var t *atomicfile.File
		if c != nil {
			var err error
			if t, err = c.create(j.key); err != nil {
				return err
			}
			out = teeWriter{w, t}
		}
		err := func() error {
			for range j.sg.plan.chunks {
				var r chunkResult
				select {
				case r = <-results[next]:
				case <-ctx.Done():
					return ctx.Err()
				}
				if r.err != nil {
					return r.err
				}
				n, err := out.Write(r.out.Bytes())
				j.st.RawBytes += r.raw
				j.st.CompressedBytes += int64(n)
				bufs.out.put(r.out)
				if err != nil {
					return fmt.Errorf("writing image: %w", err)
				}
				<-slots
				if testHookChunkWritten != nil {
					testHookChunkWritten(next)
				}
				next++
			}
			return nil
		}()
		if t != nil {
			if err == nil {
				if err = t.Commit(); err != nil {
					err = fmt.Errorf("image cache: %w", err)
				} else {
					c.use(j.key)
				}
			}
			t.Discard() // nothing after Commit
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// copyCached copies the job's cached segment to w.
func copyCached(ctx context.Context, w io.Writer, j *segmentJob) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := io.Copy(w, j.cached)
	if err != nil {
		return fmt.Errorf("writing image from cached segment %s: %w", j.cached.Name(), err)
	}
	j.st.Cached, j.st.CompressedBytes = true, n
	for _, ch := range j.sg.plan.chunks {
		j.st.RawBytes += ch.rawLen
	}
	return nil
}

// teeWriter writes to the image and to the cache file; a failure to write
// the image is the error reported.
type teeWriter struct {
	image io.Writer
	cache io.Writer
}

func (t teeWriter) Write(p []byte) (int, error) {
	n, err := t.image.Write(p)
	if err != nil {
		return n, err
	}
	if _, err := t.cache.Write(p); err != nil {
		return n, fmt.Errorf("image cache: %w", err)
	}
	return n, nil
}

type chunkResult struct {
	out *bytes.Buffer
	raw int64
	err error
}

// buffers is a free list of chunk buffers. Chunks are large and short-lived;
// reusing their memory avoids faulting fresh pages in, and clearing them, for
// every chunk (a sync.Pool is emptied by every garbage collection, which
// chunk-sized allocations trigger often). The cpio bytes and the compressed
// bytes have lists of their own, so a buffer is reused for what it was sized.
type buffers chan *bytes.Buffer

// get returns an empty buffer with room for n bytes. One too small is
// replaced, not grown: bytes.Buffer.Grow would double it and clear the lot.
func (b buffers) get(n int) *bytes.Buffer {
	select {
	case buf := <-b:
		if buf.Cap() >= n {
			return buf
		}
	default:
	}
	return bytes.NewBuffer(make([]byte, 0, n))
}

func (b buffers) put(buf *bytes.Buffer) {
	buf.Reset()
	select {
	case b <- buf:
	default:
	}
}

// chunkBuffers are the free lists for the cpio and the compressed bytes.
type chunkBuffers struct{ raw, out buffers }

func newChunkBuffers(workers int) chunkBuffers {
	return chunkBuffers{raw: make(buffers, workers+1), out: make(buffers, 2*workers+1)}
}

// compressBound is room for any compressor's output of n bytes, incompressible
// input included (zstd's bound is n + n/256 + a little; gzip's and xz's are
// smaller), so the output never has to be moved to a bigger buffer.
func compressBound(n int) int { return n + n/64 + 64<<10 }

// buildChunk lays out chunk i as cpio bytes (the last chunk ends with the trailer)
// and compresses them.
func (p *plan) buildChunk(ctx context.Context, i int, cc chunkCompressor, bufs chunkBuffers) chunkResult {
	c := &p.chunks[i]
	if _, ok := cc.(noneCompressor); ok {
		// The cpio bytes are the output.
		raw := bufs.out.get(int(c.rawLen) + bytes.MinRead) // ReadFrom wants MinRead spare bytes
		if err := p.layOut(ctx, i, raw); err != nil {
			bufs.out.put(raw)
			return chunkResult{err: err}
		}
		return chunkResult{out: raw, raw: c.rawLen}
	}
	raw := bufs.raw.get(int(c.rawLen) + bytes.MinRead)
	defer bufs.raw.put(raw)
	if err := p.layOut(ctx, i, raw); err != nil {
		return chunkResult{err: err}
	}
	out := bufs.out.get(compressBound(raw.Len()))
	if err := cc.compress(out, raw.Bytes()); err != nil {
		bufs.out.put(out)
		return chunkResult{err: err}
	}
	return chunkResult{out: out, raw: c.rawLen}
}

// layOut writes chunk i's cpio bytes to raw.
func (p *plan) layOut(ctx context.Context, i int, raw *bytes.Buffer) error {
	c := &p.chunks[i]
	for j := range c.records {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.records[j].appendTo(raw); err != nil {
			return err
		}
	}
	if i == len(p.chunks)-1 {
		raw.Write(appendHeader(raw.AvailableBuffer(), &header{nlink: 1, name: trailerName}))
	}
	if int64(raw.Len()) != c.rawLen {
		return fmt.Errorf("internal error: chunk %d is %d bytes, planned %d", i, raw.Len(), c.rawLen)
	}
	return nil
}
