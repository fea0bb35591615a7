// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// testEntry is one entry of a hand-made newc archive.
type testEntry struct {
	name  string
	mode  uint32
	ino   uint32
	nlink uint32
	data  string
}

// newcArchive encodes entries and the trailer as one newc archive.
func testArchive(entries ...testEntry) []byte {
	var b []byte
	for _, e := range entries {
		nlink := max(e.nlink, 1)
		b = appendHeader(b, &header{ino: e.ino, mode: e.mode, nlink: nlink, size: uint32(len(e.data)), name: e.name})
		b = append(b, e.data...)
		b = append(b, make([]byte, pad4(int64(len(e.data))))...)
	}
	return appendHeader(b, &header{name: trailerName, nlink: 1})
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "initrd.img")
	must(t, os.WriteFile(p, data, 0o644))
	return p
}

// listAll lists the image at p through Stream.List.
func listAll(t *testing.T, p string) ([]Header, []Segment, error) {
	t.Helper()
	s, err := OpenStream(p)
	must(t, err)
	defer s.Close()
	var hs []Header
	segs, err := s.List(context.Background(), func(h *Header) error {
		hs = append(hs, *h)
		return nil
	})
	return hs, segs, err
}

// TestListHardlinkSizes: a hardlink gets its group's content size whether the
// content comes with the first name (osr) or the last (GNU cpio), in order.
func TestListHardlinkSizes(t *testing.T) {
	const file = modeRegular | 0o644
	for _, tc := range []struct {
		name    string
		entries []testEntry
	}{
		{"content first", []testEntry{{"a", file, 7, 2, "hello"}, {"b", file, 7, 2, ""}, {"c", file, 8, 1, "x"}}},
		{"content last", []testEntry{{"a", file, 7, 2, ""}, {"c", file, 8, 1, "x"}, {"b", file, 7, 2, "hello"}}},
		{"three names", []testEntry{{"a", file, 7, 3, ""}, {"b", file, 7, 3, ""}, {"c", file, 8, 1, "x"}, {"d", file, 7, 3, "hello"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTemp(t, testArchive(tc.entries...))
			hs, _, err := listAll(t, p)
			must(t, err)
			im, err := Open(context.Background(), p)
			must(t, err)
			defer im.Close()
			want := im.Entries()
			if len(hs) != len(want) {
				t.Fatalf("List gave %d entries, Open %d", len(hs), len(want))
			}
			for i := range hs {
				if hs[i].Name != want[i].Name || hs[i].Size != want[i].Size {
					t.Errorf("entry %d: List %s size %d; Open %s size %d", i, hs[i].Name, hs[i].Size, want[i].Name, want[i].Size)
				}
			}
			for _, e := range tc.entries {
				if e.data == "" {
					continue
				}
				for _, other := range tc.entries {
					if other.ino == e.ino {
						var out bytes.Buffer
						s, err := OpenStream(p)
						must(t, err)
						must(t, s.Cat(context.Background(), other.name, &out))
						s.Close()
						if out.String() != e.data {
							t.Errorf("Cat %s = %q; want %q", other.name, out.String(), e.data)
						}
					}
				}
			}
		})
	}
}

// TestListUnresolvedHardlinkIsBounded: entries held behind a hardlink whose
// content never comes are let go after maxPendingEntries, in order.
func TestListUnresolvedHardlinkIsBounded(t *testing.T) {
	entries := []testEntry{{"orphan", modeRegular | 0o644, 1, 2, ""}}
	for i := range maxPendingEntries + 10 {
		entries = append(entries, testEntry{name: fmt.Sprintf("f%06d", i), mode: modeRegular | 0o644, ino: uint32(i + 2)})
	}
	s, err := OpenStream(writeTemp(t, testArchive(entries...)))
	must(t, err)
	defer s.Close()
	n, seenBeforeEnd := 0, false
	_, err = s.List(context.Background(), func(h *Header) error {
		if h.Name != entries[n].name {
			t.Fatalf("entry %d is %s; want %s", n, h.Name, entries[n].name)
		}
		if n == 0 && !seenBeforeEnd {
			seenBeforeEnd = true
		}
		n++
		return nil
	})
	must(t, err)
	if n != len(entries) {
		t.Errorf("listed %d entries; want %d", n, len(entries))
	}
}

// manyEntries returns a zstd-compressed newc archive of n empty files with short names.
func manyEntries(t testing.TB, n int) []byte {
	var out bytes.Buffer
	enc, err := zstd.NewWriter(&out, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for i := range n {
		b = appendHeader(b[:0], &header{ino: uint32(i + 1), mode: modeRegular | 0o644, nlink: 1, name: fmt.Sprintf("d%d/f%d", i%1000, i)})
		enc.Write(b)
	}
	enc.Write(appendHeader(b[:0], &header{name: trailerName, nlink: 1}))
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestStreamMemoryIsBounded lists, cats and extracts nothing from an image of
// 300,000 tiny entries: the heap in use stays far below what holding the entries takes.
func TestStreamMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 300,000-entry image")
	}
	const n = 300_000
	p := writeTemp(t, manyEntries(t, n))
	var peak uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	runtime.GC()
	s, err := OpenStream(p)
	must(t, err)
	defer s.Close()
	count := 0
	_, err = s.List(context.Background(), func(h *Header) error {
		if count++; count%10_000 == 0 {
			sample()
		}
		return nil
	})
	must(t, err)
	if count != n {
		t.Fatalf("listed %d entries; want %d", count, n)
	}
	var out bytes.Buffer
	if err := s.Cat(context.Background(), fmt.Sprintf("d%d/f%d", (n-1)%1000, n-1), &out); err != nil {
		t.Fatal(err)
	}
	sample()
	// Held in memory, the entries take about 200 bytes each (60 MB here).
	const limit = 40 << 20
	if peak > limit {
		t.Errorf("heap in use peaked at %d MB listing %d entries; want under %d MB", peak>>20, n, limit>>20)
	}
	t.Logf("peak heap in use %.1f MB for %d entries", float64(peak)/(1<<20), n)
}

// TestWindowBombsAreRefused: frames declaring windows or dictionaries above
// MaxWindow are refused before any allocation, with a message naming the size.
func TestWindowBombsAreRefused(t *testing.T) {
	cpioData := testArchive(testEntry{"a", modeRegular | 0o644, 1, 1, "hello"})

	// A zstd frame whose window descriptor declares 2 GiB (exponent 21), holding
	// one raw block with the archive.
	zst := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3}
	blk := uint32(len(cpioData))<<3 | 1 // raw block, last
	zst = append(zst, byte(blk), byte(blk>>8), byte(blk>>16))
	zst = append(zst, cpioData...)

	// An xz stream whose first block declares a 1 GiB LZMA2 dictionary.
	var xzBuf bytes.Buffer
	w, err := xz.WriterConfig{CheckSum: xz.CRC32, DictCap: 1 << 20}.NewWriter(&xzBuf)
	must(t, err)
	w.Write(cpioData)
	must(t, w.Close())
	xzData := xzBuf.Bytes()
	hsize := (int(xzData[12]) + 1) * 4
	if xzData[12+2] != 0x21 || xzData[12+3] != 1 {
		t.Fatalf("unexpected xz block header % x", xzData[12:12+hsize])
	}
	xzData[12+4] = 36 // 2 << (18 + 11) = 1 GiB
	crc := crc32.ChecksumIEEE(xzData[12 : 12+hsize-4])
	xzData[12+hsize-4], xzData[12+hsize-3], xzData[12+hsize-2], xzData[12+hsize-1] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)

	// A legacy lzma stream whose header declares 1.5 GiB.
	var lzBuf bytes.Buffer
	lw, err := lzma.NewWriter(&lzBuf)
	must(t, err)
	lw.Write(cpioData)
	must(t, lw.Close())
	lzData := lzBuf.Bytes()
	lzData[1], lzData[2], lzData[3], lzData[4] = 0, 0, 0, 0x60

	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"zstd", "the zstd frame declares 2.0 GiB; osr reads at most 128.0 MiB", zst},
		{"xz", "the xz stream's first block declares 1.0 GiB", xzData},
		{"lzma", "the lzma header declares 1.5 GiB", lzData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := listAll(t, writeTemp(t, tc.data))
			if !errors.Is(err, ErrWindowTooLarge) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want ErrWindowTooLarge with %q", err, tc.want)
			}
		})
	}

	// Within the bound, the same archive reads.
	ok := append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 10 << 3}, zst[6:]...)
	hs, _, err := listAll(t, writeTemp(t, ok))
	if err != nil || len(hs) != 1 || hs[0].Name != "a" {
		t.Errorf("1 MiB window: %v, %v", hs, err)
	}
}

// TestNestedCompressionIsNamed: a compressed segment that holds compressed data
// again, or something else than cpio, says what it found.
func TestNestedCompressionIsNamed(t *testing.T) {
	cpioData := testArchive(testEntry{"a", modeRegular | 0o644, 1, 1, "hello"})
	gz := func(b []byte) []byte {
		var out bytes.Buffer
		w := gzip.NewWriter(&out)
		w.Write(b)
		w.Close()
		return out.Bytes()
	}
	zs := func(b []byte) []byte {
		enc, _ := zstd.NewWriter(nil)
		defer enc.Close()
		return enc.EncodeAll(b, nil)
	}
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"gzip in gzip", "segment 0 (gzip at offset 0): decompressed gzip data is itself gzip-compressed, not a cpio archive", gz(gz(cpioData))},
		{"zstd in gzip", "decompressed gzip data is itself zstd-compressed", gz(zs(cpioData))},
		{"gzip in zstd", "decompressed zstd data is itself gzip-compressed", zs(gz(cpioData))},
		{"text in zstd", "decompressed zstd data is not a cpio archive: unknown format (first bytes 6a 75 73 74", zs([]byte("just some text"))},
		{"short", "decompressed gzip data is 2 bytes, too short for a cpio header", gz([]byte("07"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := listAll(t, writeTemp(t, tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want %q", err, tc.want)
			}
		})
	}
	hs, _, err := listAll(t, writeTemp(t, gz(cpioData)))
	if err != nil || len(hs) != 1 {
		t.Errorf("gzip(cpio): %v, %v", hs, err)
	}
}

// readAllBounded reads r to the end, failing past limit bytes.
func readAllBounded(r io.Reader, limit int64) error {
	n, err := io.Copy(io.Discard, io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		return fmt.Errorf("body larger than %d bytes", limit)
	}
	return err
}

// TestExtractNeverWritesThroughReplacedLink: a hardlink group's first name
// replaced by a device node must not let a later name of the group write into
// the device.
func TestExtractNeverWritesThroughReplacedLink(t *testing.T) {
	data := testArchive(
		testEntry{"x", modeRegular | 0o644, 7, 2, "first"},
		testEntry{"x", modeFifo | 0o644, 8, 1, ""},
		testEntry{"y", modeRegular | 0o644, 7, 2, "second"},
	)
	dir := t.TempDir()
	st, err := extract(context.Background(), bytes.NewReader(data), int64(len(data)), dir)
	must(t, err)
	fi, err := os.Lstat(filepath.Join(dir, "x"))
	must(t, err)
	if fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("x is %v; want the fifo that replaced it", fi.Mode())
	}
	if len(st.Skipped) != 1 || !strings.Contains(st.Skipped[0], "y: hardlink to x, which is no longer a regular file") {
		t.Errorf("skipped %q", st.Skipped)
	}
}
