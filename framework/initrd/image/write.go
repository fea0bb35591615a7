// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strconv"
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
	// SegmentOrder names the segments (Entry.Segment) written first, in this
	// order; the others follow sorted by name.
	SegmentOrder []string
	// Cache, when set, supplies segments written before: a segment whose key
	// (its headers, the SHA-256 of every file's content, the compression and
	// its level) is in the cache is copied from there, any other is
	// compressed and added. The output is the same bytes either way.
	Cache *Cache
	// Force compresses every segment even when the cache has it (and
	// replaces the cached copy).
	Force bool
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
	// Encoder names what compressed the image: "xz (XZ Utils) 5.4.1; liblzma
	// 5.4.1" for the system's xz, else "built-in".
	Encoder string
	// Segments describes each segment in image order.
	Segments []SegmentStats
}

// SegmentStats describes one segment of a written image.
type SegmentStats struct {
	Name            string
	Entries         int
	RawBytes        int64
	CompressedBytes int64
	// Key is the hex SHA-256 the segment is cached under ("" without a cache).
	Key string
	// Cached is set when the segment was copied from the cache.
	Cached bool
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
// order. An archive whose entries name segments is written as one archive per
// segment, concatenated (see Entry.Segment); with opts.Cache, segments that an
// earlier build wrote are copied from the cache.
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
	var xzt *xzTool
	encoder := "built-in"
	if comp == XZ {
		if xzt, err = findXZTool(); err != nil {
			return Stats{}, err
		}
		if xzt != nil {
			xzt = xzt.withLevel(level)
			encoder = xzt.id()
			workers = min(workers, xzt.maxProcs())
		}
	}
	var sums *contentSums
	if opts.Cache != nil {
		sums = newContentSums(opts.Cache.memo)
	}
	segs, err := a.makeSegments(ctx, uint32(opts.ModTime), workers, opts.SegmentOrder, sums)
	if err != nil {
		return Stats{}, err
	}
	stats := Stats{Compression: comp, Level: level, Encoder: encoderName(comp, xzt)}
	jobs := make([]*segmentJob, 0, len(segs))
	defer func() {
		for _, j := range jobs {
			if j.cached != nil {
				j.cached.Close()
			}
		}
	}()
	for _, sg := range segs {
		ps := sg.plan.stats
		stats.Entries += ps.Entries
		stats.Files += ps.Files
		stats.Dirs += ps.Dirs
		stats.Symlinks += ps.Symlinks
		stats.Devices += ps.Devices
		stats.Hardlinks += ps.Hardlinks
		stats.ContentBytes += ps.ContentBytes
		stats.Chunks += len(sg.plan.chunks)
		j := &segmentJob{sg: sg, st: SegmentStats{Name: sg.name, Entries: ps.Entries}}
		jobs = append(jobs, j)
		if opts.Cache == nil {
			continue
		}
		if j.key, err = sg.key(sums, comp, level, encoder); err != nil {
			return stats, err
		}
		j.st.Key = hex.EncodeToString(j.key[:])
		if !opts.Force {
			if j.cached, err = opts.Cache.open(j.key); err != nil {
				return stats, err
			}
		}
	}
	newCC := func() (chunkCompressor, error) { return newChunkCompressor(comp, level, workers, xzt) }
	err = writeSegments(ctx, w, jobs, opts.Cache, newCC, workers)
	for _, j := range jobs {
		stats.RawBytes += j.st.RawBytes
		stats.CompressedBytes += j.st.CompressedBytes
		stats.Segments = append(stats.Segments, j.st)
	}
	if err != nil {
		return stats, err
	}
	return stats, nil
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
