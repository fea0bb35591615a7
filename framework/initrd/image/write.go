// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"sync"
)

// Options controls how an image is written.
type Options struct {
	// Compression defaults to DefaultCompression.
	Compression Compression
	// Level is the compression level on the compression's own scale (zstd 1–22,
	// gzip 1–9, xz 0–9, lz4 1–9); 0 picks the compression's default.
	Level int
	// Workers bounds how many files are read and chunks compressed at once;
	// 0 means GOMAXPROCS. The output does not depend on it.
	Workers int
	// ModTime is every entry's mtime in seconds since the Unix epoch: 0, or
	// SOURCE_DATE_EPOCH as SourceDateEpoch reads it.
	ModTime int64
	// FileMode is the image file's permission bits for WriteFile; 0 means 0600,
	// since an initrd may hold secrets.
	FileMode fs.FileMode
}

// Stats describes a written image.
type Stats struct {
	Entries   int // headers in the archive, the trailer not counted
	Files     int // regular files, hardlinks included
	Dirs      int
	Symlinks  int
	Devices   int // device nodes and fifos
	Hardlinks int // files stored as a link to identical content
	// ContentBytes is the file data stored, each shared content once.
	ContentBytes int64
	// RawBytes is the length of the uncompressed cpio stream.
	RawBytes int64
	// CompressedBytes is the length of the image as written.
	CompressedBytes int64
	// Chunks is the number of independently compressed pieces.
	Chunks      int
	Compression Compression
	Level       int
}

// SourceDateEpoch returns $SOURCE_DATE_EPOCH as seconds since the Unix epoch,
// or 0 when it is unset, for Options.ModTime.
func SourceDateEpoch() (int64, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<32-1 {
		return 0, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want whole seconds since 1970 (0 to %d)", v, int64(1<<32-1))
	}
	return n, nil
}

// testHookChunkWritten, when set by a test, runs after each chunk reaches the output.
var testHookChunkWritten func(i int)

// Write writes the archive as a compressed newc cpio stream to w. Entries appear
// sorted by path with parents first, owners as given (0:0 by default), every mtime
// set to opts.ModTime, and identical file contents stored once as hardlinks, so the
// same entries and options give the same bytes. Files are read, and chunks of
// about 16 MiB compressed, by opts.Workers goroutines; the chunks are written in
// order.
func (a *Archive) Write(ctx context.Context, w io.Writer, opts Options) (Stats, error) {
	comp := opts.Compression
	if comp == "" {
		comp = DefaultCompression
	}
	level, err := comp.level(opts.Level)
	if err != nil {
		return Stats{}, err
	}
	if opts.ModTime < 0 || opts.ModTime > 1<<32-1 {
		return Stats{}, fmt.Errorf("mtime %d does not fit a newc header (0 to %d)", opts.ModTime, int64(1<<32-1))
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p, err := a.makePlan(ctx, uint32(opts.ModTime), workers)
	if err != nil {
		return Stats{}, err
	}
	cc, err := newChunkCompressor(comp, level, workers)
	if err != nil {
		return Stats{}, err
	}
	defer cc.close()
	stats := p.stats
	stats.Compression, stats.Level, stats.Chunks = comp, level, len(p.chunks)
	err = p.emit(ctx, w, cc, workers, &stats)
	return stats, err
}

type chunkResult struct {
	out *bytes.Buffer
	raw int64
	err error
}

// buffers is a free list of chunk buffers. Chunks are large and short-lived;
// reusing their memory avoids faulting fresh pages in for every chunk (a
// sync.Pool is emptied by every garbage collection, which chunk-sized
// allocations trigger often).
type buffers chan *bytes.Buffer

func (b buffers) get() *bytes.Buffer {
	select {
	case buf := <-b:
		return buf
	default:
		return new(bytes.Buffer)
	}
}

func (b buffers) put(buf *bytes.Buffer) {
	buf.Reset()
	select {
	case b <- buf:
	default:
	}
}

// emit builds and compresses chunks on up to workers goroutines and writes them to
// w in order. At most workers chunks are held in memory at once.
func (p *plan) emit(ctx context.Context, w io.Writer, cc chunkCompressor, workers int, stats *Stats) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	bufs := make(buffers, 2*workers+1)
	slots := make(chan struct{}, workers)
	results := make([]chan chunkResult, len(p.chunks))
	for i := range results {
		results[i] = make(chan chunkResult, 1)
	}
	wg.Go(func() {
		for i := range p.chunks {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Go(func() { results[i] <- p.buildChunk(ctx, i, cc, bufs) })
		}
	})
	for i := range p.chunks {
		var r chunkResult
		select {
		case r = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		n, err := w.Write(r.out.Bytes())
		stats.RawBytes += r.raw
		stats.CompressedBytes += int64(n)
		bufs.put(r.out)
		if err != nil {
			return fmt.Errorf("writing image: %w", err)
		}
		<-slots
		if testHookChunkWritten != nil {
			testHookChunkWritten(i)
		}
	}
	return nil
}

// buildChunk lays out chunk i as cpio bytes (the last chunk ends with the trailer)
// and compresses them.
func (p *plan) buildChunk(ctx context.Context, i int, cc chunkCompressor, bufs buffers) chunkResult {
	c := &p.chunks[i]
	raw := bufs.get()
	raw.Grow(int(c.rawLen) + bytes.MinRead) // ReadFrom wants MinRead spare bytes
	for j := range c.records {
		if err := ctx.Err(); err != nil {
			bufs.put(raw)
			return chunkResult{err: err}
		}
		if err := c.records[j].appendTo(raw); err != nil {
			bufs.put(raw)
			return chunkResult{err: err}
		}
	}
	if i == len(p.chunks)-1 {
		raw.Write(appendHeader(raw.AvailableBuffer(), &header{nlink: 1, name: trailerName}))
	}
	if int64(raw.Len()) != c.rawLen {
		bufs.put(raw)
		return chunkResult{err: fmt.Errorf("internal error: chunk %d is %d bytes, planned %d", i, raw.Len(), c.rawLen)}
	}
	if _, ok := cc.(noneCompressor); ok {
		return chunkResult{out: raw, raw: c.rawLen}
	}
	defer bufs.put(raw)
	out := bufs.get()
	out.Grow(raw.Len()/2 + 4096)
	if err := cc.compress(out, raw.Bytes()); err != nil {
		bufs.put(out)
		return chunkResult{err: err}
	}
	return chunkResult{out: out, raw: c.rawLen}
}

// appendTo writes r's header, body and padding to buf.
func (r *record) appendTo(buf *bytes.Buffer) error {
	buf.Write(appendHeader(buf.AvailableBuffer(), &r.hdr))
	start := buf.Len()
	switch {
	case r.hdr.mode&modeTypeMask == modeSymlink:
		buf.WriteString(r.link)
	case r.file != nil && r.file.Source == "":
		buf.Write(r.file.Data)
	case r.file != nil:
		if err := readSource(buf, r.file); err != nil {
			return err
		}
	}
	body := int64(buf.Len() - start)
	buf.Write(make([]byte, pad4(body)))
	return nil
}

// readSource appends the content of e.Source to buf, checking it still has the
// size the plan recorded.
func readSource(buf *bytes.Buffer, e *Entry) error {
	f, err := os.Open(e.Source)
	if err != nil {
		return fmt.Errorf("%s: %w", e.Path, err)
	}
	defer f.Close()
	n, err := buf.ReadFrom(io.LimitReader(f, e.statSize+1))
	if err != nil {
		return fmt.Errorf("%s: reading %s: %w", e.Path, e.Source, err)
	}
	if n != e.statSize {
		buf.Truncate(buf.Len() - int(n))
		return fmt.Errorf("%s: %s changed while the image was being written (%d bytes, then %d or more)",
			e.Path, e.Source, e.statSize, n)
	}
	return nil
}
