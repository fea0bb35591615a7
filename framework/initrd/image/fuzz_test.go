// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzSeeds returns images to start from: one small archive written with every
// compression osr writes, the GNU cpio sample, a hardlink group, nested and
// concatenated layers, and the window bombs' headers.
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	a := NewArchive()
	for _, e := range []Entry{
		{Path: "bin/sh", Kind: File, Data: []byte("#!/bin/sh\necho hi\n"), Mode: 0o755},
		{Path: "bin/ash", Kind: File, Data: []byte("#!/bin/sh\necho hi\n"), Mode: 0o755},
		{Path: "init", Kind: Symlink, Target: "bin/sh"},
		{Path: "dev/console", Kind: CharDevice, Major: 5, Minor: 1, Mode: 0o600},
		{Path: "etc/hostname", Kind: File, Data: []byte("node1\n"), Mode: 0o644},
	} {
		if err := a.Add(e); err != nil {
			f.Fatal(err)
		}
	}
	var seeds [][]byte
	for _, c := range WriteCompressions {
		var out bytes.Buffer
		if _, err := a.Write(context.Background(), &out, Options{Compression: c}); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, out.Bytes())
	}
	sample, err := os.ReadFile("testdata/sample.cpio")
	if err != nil {
		f.Fatal(err)
	}
	plain := seeds[len(seeds)-1]
	seeds = append(seeds,
		sample,
		append(append(append([]byte{}, plain...), make([]byte, 512-len(plain)%512)...), seeds[0]...), // early + main
		testArchive(testEntry{"a", modeRegular | 0o644, 7, 2, ""}, testEntry{"b", modeRegular | 0o644, 7, 2, "data"}),
		append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3}, 0x01, 0x00, 0x00),
	)
	return seeds
}

// goDecoders makes the fuzz targets read with the Go decoders, which parse the
// hostile bytes inside osr (the system tools' path is compared with them in
// TestSystemDecodersReadAlike, and its xz walker is fuzzed in checkWalk).
func goDecoders(f *testing.F) {
	old := systemDecoders
	systemDecoders = false
	f.Cleanup(func() { systemDecoders = old })
}

// checkWalk reads data as an image, with every body, and checks what the reader
// promises whatever the input: no panic, segments inside the file, bounded time.
func checkWalk(t *testing.T, data []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if blocks, ok := xzStreamsTo(bytes.NewReader(data), 0, int64(len(data))); ok {
		for _, b := range blocks {
			if b.off < 12 || b.off >= int64(len(data)) {
				t.Errorf("xz block at %d outside the %d-byte image", b.off, len(data))
			}
		}
	}
	l := &lister{fn: func(*Header) error { return nil }, sizes: map[linkKey]int64{}, waiting: map[linkKey]int{}, archive: -1}
	segs, err := walk(ctx, bytes.NewReader(data), int64(len(data)), func(h *Header, body io.Reader) error {
		if strings.ContainsRune(h.Name, 0) {
			t.Errorf("entry name %q holds a NUL", h.Name)
		}
		if err := readAllBounded(body, h.stored); err != nil {
			return err
		}
		return l.add(h)
	})
	if err != nil {
		return
	}
	if err := l.flush(0); err != nil {
		t.Fatal(err)
	}
	if len(l.pending) != 0 {
		t.Errorf("%d entries left pending", len(l.pending))
	}
	for _, s := range segs {
		if s.Offset < 0 || s.Length <= 0 || s.Offset+s.Length > int64(len(data)) {
			t.Errorf("segment %+v outside the %d-byte image", s, len(data))
		}
	}
}

// FuzzImage feeds arbitrary bytes to the image reader: detection, every
// decompressor, the frame walkers and the newc parser.
func FuzzImage(f *testing.F) {
	goDecoders(f)
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkWalk)
}

// FuzzExtract extracts arbitrary images: nothing may appear outside the target
// directory, whatever names, links and types the archive holds.
func FuzzExtract(f *testing.F) {
	goDecoders(f)
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		dir := filepath.Join(base, "root")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		extract(ctx, bytes.NewReader(data), int64(len(data)), dir)
		ents, err := os.ReadDir(base)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 1 || ents[0].Name() != "root" {
			names := []string{}
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("extraction wrote beside its directory: %v", names)
		}
		// Make everything removable again for TempDir's cleanup.
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
}
