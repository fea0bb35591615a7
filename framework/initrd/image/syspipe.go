// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// The zstd and xz tools decompress about twice as fast as the Go decoders (xz
// several times), so when the system has them a zstd or xz segment is piped
// through them; without them, the Go decoders read it. The Go code still finds
// the segment's extent and checks every frame's window or block's dictionary
// against MaxWindow before a byte of it reaches the tool, and the tool is given
// the same limit (zstd --memory, xz --memlimit-decompress).

// systemDecoders turns the system tools on; tests turn it off to read with the
// Go decoders.
var systemDecoders = true

var (
	toolOnce  sync.Once
	toolPaths map[Compression]string
)

// systemTool returns the path of the decompressor for comp, or "".
func systemTool(comp Compression) string {
	if !systemDecoders {
		return ""
	}
	toolOnce.Do(func() {
		toolPaths = map[Compression]string{}
		for c, name := range map[Compression]string{Zstd: "zstd", XZ: "xz"} {
			if p, err := exec.LookPath(name); err == nil {
				toolPaths[c] = p
			}
		}
	})
	return toolPaths[comp]
}

// toolArgs are the arguments that make the tool decompress standard input to
// standard output within MaxWindow.
func toolArgs(comp Compression) []string {
	if comp == Zstd {
		return []string{"-dcq", "--memory=" + strconv.Itoa(MaxWindow>>20) + "MiB"}
	}
	// xz counts the decoder's own tables too: a little above the dictionary.
	return []string{"-dcq", "--memlimit-decompress=" + strconv.Itoa(MaxWindow+(16<<20))}
}

// toolSegment is a segment decompressed by a system tool. feed writes the
// segment's compressed bytes to the tool and returns where the segment ends.
type toolSegment struct {
	comp   Compression
	cmd    *exec.Cmd
	out    io.ReadCloser
	stderr limitedBuffer
	fed    chan error
	end    int64
	err    error
	done   bool
}

// startTool runs the tool for comp. When direct is set the tool reads the
// image file itself from offset start to its end; otherwise feed writes the
// segment to the tool's standard input and returns where the segment ends.
func startTool(path string, comp Compression, ra io.ReaderAt, start int64, direct bool, feed func(w io.Writer) (int64, error)) (*toolSegment, error) {
	t := &toolSegment{comp: comp, fed: make(chan error, 1)}
	t.cmd = exec.Command(path, toolArgs(comp)...)
	t.cmd.Stderr = &t.stderr
	var in io.WriteCloser
	if f := reopenAt(ra, start); direct && f != nil {
		defer f.Close()
		t.cmd.Stdin = f
		t.end = fileSize(f)
		t.fed <- nil
	} else {
		if f != nil {
			f.Close()
		}
		var err error
		if in, err = t.cmd.StdinPipe(); err != nil {
			return nil, err
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	// A larger pipe lets the tool write, and osr read, in fewer system calls.
	if rc, err := w.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, 1<<20) })
	}
	t.cmd.Stdout = w
	t.out = r
	err = t.cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		if in != nil {
			in.Close()
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if in != nil {
		go func() {
			end, err := feed(in)
			t.end = end
			in.Close()
			t.fed <- err
		}()
	}
	return t, nil
}

// reopenAt opens the image file ra anew (its own file offset, so the tool can
// read it while osr reads it with ReadAt) at offset off, or returns nil.
func reopenAt(ra io.ReaderAt, off int64) *os.File {
	f, ok := ra.(*os.File)
	if !ok {
		return nil
	}
	g, err := os.Open("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil {
		return nil
	}
	if _, err := g.Seek(off, io.SeekStart); err != nil {
		g.Close()
		return nil
	}
	return g
}

func fileSize(f *os.File) int64 {
	st, err := f.Stat()
	if err != nil {
		return 0
	}
	return st.Size()
}

func (t *toolSegment) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.out.Read(p)
	if err == io.EOF {
		t.err = t.finish()
		if t.err == nil {
			t.err = io.EOF
		}
		return n, t.err
	}
	if err != nil {
		t.err = err
	}
	return n, err
}

// finish waits for the feeder and the tool and returns the first failure.
func (t *toolSegment) finish() error {
	t.done = true
	ferr := <-t.fed
	werr := t.cmd.Wait()
	if ferr != nil && !errors.Is(ferr, errToolClosed) {
		return ferr
	}
	if werr != nil {
		msg := strings.TrimSpace(t.stderr.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return fmt.Errorf("%s: %s -d: %v: %s", t.comp, t.cmd.Path, werr, msg)
	}
	return ferr
}

// close stops the tool when the reader leaves before the segment's end.
func (t *toolSegment) close() {
	if t.done {
		return
	}
	t.done = true
	t.out.Close()
	_ = t.cmd.Process.Kill()
	<-t.fed
	_ = t.cmd.Wait()
}

// errToolClosed is the feeder's error when the tool stopped reading.
var errToolClosed = errors.New("the decompressor stopped reading")

// copyRange writes length bytes of ra at off to w.
func copyRange(w io.Writer, ra io.ReaderAt, off, length int64) error {
	if _, err := io.Copy(w, io.NewSectionReader(ra, off, length)); err != nil {
		return fmt.Errorf("%w: %v", errToolClosed, err)
	}
	return nil
}

// limitedBuffer keeps the first 4 KiB written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// newZstdTool pipes the run of zstd frames at the cursor through the zstd tool,
// finding and checking the frames as the Go reader does (newZstdSegment).
func newZstdTool(c *cursor, path string) (*toolSegment, error) {
	start := c.pos()
	first, err := zstdFrameAt(c.ra, c.size, start)
	if err != nil {
		return nil, err
	}
	// Frames that run to the end of the file without padding go to the tool as
	// the file itself; otherwise they are fed one by one.
	direct, end := true, start+first
	for {
		next, ok := nextNonZero(c.ra, c.size, end)
		if !ok {
			direct = direct && end == c.size
			break
		}
		var magic [4]byte
		if m, _ := c.ra.ReadAt(magic[:], next); m < 4 || binary.LittleEndian.Uint32(magic[:]) != zstdMagic {
			direct = false
			break
		}
		fl, err := zstdFrameAt(c.ra, c.size, next)
		if err != nil {
			direct = false
			break // the feeder reports it once the frames before are read
		}
		direct = direct && next == end
		end = next + fl
	}
	return startTool(path, Zstd, c.ra, start, direct, func(w io.Writer) (int64, error) {
		off, n := start, first
		for {
			if err := copyRange(w, c.ra, off, n); err != nil {
				return off + n, err
			}
			next, ok := nextNonZero(c.ra, c.size, off+n)
			if !ok {
				return off + n, nil
			}
			var magic [4]byte
			if m, _ := c.ra.ReadAt(magic[:], next); m < 4 || binary.LittleEndian.Uint32(magic[:]) != zstdMagic {
				return off + n, nil
			}
			fl, err := zstdFrameAt(c.ra, c.size, next)
			if err != nil {
				return off + n, fmt.Errorf("zstd frame at offset %d: %w", next, err)
			}
			off, n = next, fl
		}
	})
}

// newXZTool pipes the xz streams from the cursor to the end of the image
// through the xz tool. ok is false when what follows the cursor is not xz
// streams up to the end (then the Go reader takes the segment).
func newXZTool(c *cursor, path string) (t *toolSegment, ok bool, err error) {
	start := c.pos()
	blocks, ok := xzStreamsTo(c.ra, start, c.size)
	if !ok {
		return nil, false, nil
	}
	for _, b := range blocks {
		var head [12 + 1024]byte
		n, _ := c.ra.ReadAt(head[12:], b.off)
		dict, err := xzFirstDict(head[:12+n])
		if err != nil {
			return nil, true, fmt.Errorf("block at offset %d: %w", b.off, err)
		}
		if dict > MaxWindow {
			what := fmt.Sprintf("block at offset %d", b.off)
			if b.first {
				what = "stream's first block"
			}
			return nil, true, windowError(XZ, what, dict)
		}
	}
	t, err = startTool(path, XZ, c.ra, start, true, func(w io.Writer) (int64, error) {
		return c.size, copyRange(w, c.ra, start, c.size-start)
	})
	return t, true, err
}

// xzMaxBlocks bounds the blocks whose headers are checked before the xz tool
// runs; an image with more is left to the Go reader.
const xzMaxBlocks = 100_000

// xzBlock is where an xz block starts, and whether it is its stream's first.
type xzBlock struct {
	off   int64
	first bool
}

// xzStreamsTo walks xz streams backwards from end (footer, index, blocks,
// header, with stream padding between them) and reports whether they reach back
// exactly to start; blocks are their blocks.
func xzStreamsTo(ra io.ReaderAt, start, end int64) (blocks []xzBlock, ok bool) {
	for end > start {
		z := prevNonZero(ra, start, end)
		if (end-z)%4 != 0 || z-start < 12+12 {
			return nil, false
		}
		end = z
		var foot [12]byte
		if _, err := ra.ReadAt(foot[:], end-12); err != nil || string(foot[10:]) != "YZ" {
			return nil, false
		}
		indexSize := (int64(binary.LittleEndian.Uint32(foot[4:8])) + 1) * 4
		indexStart := end - 12 - indexSize
		// The smallest index is 8 bytes: indicator, count, padding, CRC32.
		if indexSize < 8 || indexStart < start+12 || indexSize > 16<<20 {
			return nil, false
		}
		index := make([]byte, indexSize-4) // without its CRC32
		if _, err := ra.ReadAt(index, indexStart); err != nil || index[0] != 0 {
			return nil, false
		}
		b := index[1:]
		count, n := binary.Uvarint(b)
		if n <= 0 || count > xzMaxBlocks-uint64(len(blocks)) {
			return nil, false
		}
		b = b[n:]
		sizes := make([]int64, 0, count)
		var total int64
		for range count {
			unpadded, n := binary.Uvarint(b)
			if n <= 0 || unpadded > uint64(end) {
				return nil, false
			}
			b = b[n:]
			if _, n = binary.Uvarint(b); n <= 0 {
				return nil, false
			}
			b = b[n:]
			size := (int64(unpadded) + 3) &^ 3
			sizes = append(sizes, size)
			total += size
		}
		streamStart := indexStart - total - 12
		if streamStart < start {
			return nil, false
		}
		var head [6]byte
		if _, err := ra.ReadAt(head[:], streamStart); err != nil || string(head[:]) != "\xfd7zXZ\x00" {
			return nil, false
		}
		off := streamStart + 12
		for i, s := range sizes {
			blocks = append(blocks, xzBlock{off: off, first: i == 0})
			off += s
		}
		end = streamStart
	}
	return blocks, end == start
}

// prevNonZero returns the offset just past the last non-zero byte in
// [start, end), or start when there is none.
func prevNonZero(ra io.ReaderAt, start, end int64) int64 {
	var buf [512]byte
	for end > start {
		n := min(int64(len(buf)), end-start)
		if _, err := ra.ReadAt(buf[:n], end-n); err != nil {
			return end
		}
		for i := n - 1; i >= 0; i-- {
			if buf[i] != 0 {
				return end - n + i + 1
			}
		}
		end -= n
	}
	return start
}
