// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sampleArchive builds an archive with every kind of entry, host files among them.
func sampleArchive(t *testing.T) *Archive {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string, mode fs.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	busybox := write("busybox", "#!/bin/sh\necho busybox\n", 0o755)
	conf := write("cluster.conf", "<cluster fence_password=\"secret\"/>\n", 0o644)
	a := NewArchive()
	must(t, a.AddFile("usr/bin/busybox", busybox, 0))
	must(t, a.AddFile("bin/sh", busybox, 0)) // same content: stored once
	must(t, a.Add(Entry{Path: "/etc/cluster/cluster.conf", Kind: File, Source: conf, Secret: true}))
	must(t, a.AddBytes("etc/hostname", []byte("node1\n"), 0o644))
	must(t, a.AddBytes("etc/empty", nil, 0o644))
	must(t, a.AddSymlink("init", "usr/bin/busybox"))
	must(t, a.AddDevice("dev/console", CharDevice, 5, 1, 0o600))
	must(t, a.AddDevice("dev/sda", BlockDevice, 8, 0, 0o660))
	must(t, a.Add(Entry{Path: "run/initctl", Kind: Fifo, Mode: 0o600}))
	must(t, a.AddDir("tmp", 0o777|fs.ModeSticky))
	must(t, a.Add(Entry{Path: "usr/bin/su", Kind: File, Data: []byte("su"), Mode: 0o755 | fs.ModeSetuid, UID: 0, GID: 0}))
	must(t, a.Add(Entry{Path: "home/user/file", Kind: File, Data: []byte("mine"), UID: 1000, GID: 1000}))
	return a
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantSample is what sampleArchive lists as, in archive order.
func wantSample(mtime time.Time) []Header {
	h := func(name string, kind Kind, mode fs.FileMode, size int64, links int) Header {
		return Header{Name: name, Kind: kind, Mode: mode, Size: size, Links: links, ModTime: mtime}
	}
	busybox := int64(len("#!/bin/sh\necho busybox\n"))
	hs := []Header{
		h("bin", Dir, 0o755, 0, 2),
		h("bin/sh", File, 0o755, busybox, 2),
		h("dev", Dir, 0o755, 0, 2),
		h("dev/console", CharDevice, 0o600, 0, 1),
		h("dev/sda", BlockDevice, 0o660, 0, 1),
		h("etc", Dir, 0o755, 0, 2),
		h("etc/cluster", Dir, 0o755, 0, 2),
		h("etc/cluster/cluster.conf", File, 0o600, int64(len("<cluster fence_password=\"secret\"/>\n")), 1),
		h("etc/empty", File, 0o644, 0, 1),
		h("etc/hostname", File, 0o644, 6, 1),
		h("home", Dir, 0o755, 0, 2),
		h("home/user", Dir, 0o755, 0, 2),
		h("home/user/file", File, 0o644, 4, 1),
		h("init", Symlink, 0o777, int64(len("usr/bin/busybox")), 1),
		h("run", Dir, 0o755, 0, 2),
		h("run/initctl", Fifo, 0o600, 0, 1),
		h("tmp", Dir, 0o777|fs.ModeSticky, 0, 2),
		h("usr", Dir, 0o755, 0, 2),
		h("usr/bin", Dir, 0o755, 0, 2),
		h("usr/bin/busybox", File, 0o755, busybox, 2),
		h("usr/bin/su", File, 0o755|fs.ModeSetuid, 2, 1),
	}
	hs[3].Major, hs[3].Minor = 5, 1
	hs[4].Major, hs[4].Minor = 8, 0
	hs[12].UID, hs[12].GID = 1000, 1000
	hs[13].Linkname = "usr/bin/busybox"
	return hs
}

var headerCmp = cmp.Options{
	cmpopts.IgnoreUnexported(Header{}),
	cmpopts.IgnoreFields(Header{}, "Inode", "Segment"),
}

func TestRoundTrip(t *testing.T) {
	for _, c := range WriteCompressions {
		t.Run(string(c), func(t *testing.T) {
			a := sampleArchive(t)
			out := filepath.Join(t.TempDir(), "initrd.img")
			stats, err := a.WriteFile(context.Background(), out, Options{Compression: c, ModTime: 1700000000})
			must(t, err)
			want := Stats{Entries: 21, Files: 7, Dirs: 10, Symlinks: 1, Devices: 3, Hardlinks: 1,
				ContentBytes: stats.ContentBytes, RawBytes: stats.RawBytes, CompressedBytes: stats.CompressedBytes,
				Chunks: 1, Compression: c, Level: levels[c].def, Encoder: stats.Encoder,
				Segments: []SegmentStats{{Entries: 21, RawBytes: stats.RawBytes, CompressedBytes: stats.CompressedBytes}}}
			if diff := cmp.Diff(want, stats); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			fi, err := os.Stat(out)
			must(t, err)
			if fi.Size() != stats.CompressedBytes || fi.Mode().Perm() != 0o600 {
				t.Errorf("image is %d bytes, mode %v; want %d bytes, 0600", fi.Size(), fi.Mode(), stats.CompressedBytes)
			}
			im, err := Open(context.Background(), out)
			must(t, err)
			defer im.Close()
			if diff := cmp.Diff(wantSample(time.Unix(1700000000, 0).UTC()), im.Entries(), headerCmp); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			segs := im.Segments()
			if len(segs) != 1 || segs[0].Compression != c || segs[0].Length != fi.Size() || segs[0].RawBytes != stats.RawBytes {
				t.Errorf("segments = %+v; want one %s segment of %d bytes, %d raw", segs, c, fi.Size(), stats.RawBytes)
			}
			for name, want := range map[string]string{
				"usr/bin/busybox": "#!/bin/sh\necho busybox\n",
				"bin/sh":          "#!/bin/sh\necho busybox\n",
				"/etc/hostname":   "node1\n",
				"etc/empty":       "",
			} {
				got, err := im.ReadFile(context.Background(), name)
				must(t, err)
				if string(got) != want {
					t.Errorf("ReadFile(%s) = %q; want %q", name, got, want)
				}
			}
		})
	}
}

func TestReproducible(t *testing.T) {
	write := func(opts Options) []byte {
		t.Helper()
		var buf bytes.Buffer
		_, err := sampleArchive(t).Write(context.Background(), &buf, opts)
		must(t, err)
		return buf.Bytes()
	}
	for _, c := range WriteCompressions {
		t.Run(string(c), func(t *testing.T) {
			first := write(Options{Compression: c, ModTime: 1000})
			if again := write(Options{Compression: c, ModTime: 1000, Workers: 1}); !bytes.Equal(first, again) {
				t.Error("two writes of the same entries differ")
			}
			if other := write(Options{Compression: c, ModTime: 2000}); bytes.Equal(first, other) {
				t.Error("a different mtime gives the same bytes")
			}
		})
	}
}

// TestChunks writes enough data for many chunks and checks that every compression
// gives back the same cpio stream, in the same order, whatever the worker count.
func TestChunks(t *testing.T) {
	defer func(old int64) { chunkSize = old }(chunkSize)
	chunkSize = 64 << 10
	a := NewArchive()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 60 {
		data := make([]byte, 5000+rng.IntN(20000))
		for j := range data {
			data[j] = byte('a' + rng.IntN(4)) // compressible, not trivially
		}
		must(t, a.AddBytes(filepath.Join("lib/modules", string(rune('a'+i%26)), "m"+string(rune('a'+i/26))+".ko"), data, 0o644))
	}
	var plain bytes.Buffer
	st, err := a.Write(context.Background(), &plain, Options{Compression: None})
	must(t, err)
	if st.Chunks < 5 {
		t.Fatalf("%d chunks; the test wants several", st.Chunks)
	}
	for _, c := range WriteCompressions {
		t.Run(string(c), func(t *testing.T) {
			var one, many bytes.Buffer
			_, err := a.Write(context.Background(), &one, Options{Compression: c, Workers: 1})
			must(t, err)
			st, err := a.Write(context.Background(), &many, Options{Compression: c, Workers: 4})
			must(t, err)
			if !bytes.Equal(one.Bytes(), many.Bytes()) {
				t.Fatal("output depends on the number of workers")
			}
			if st.RawBytes != int64(plain.Len()) || st.CompressedBytes != int64(many.Len()) {
				t.Errorf("stats raw %d compressed %d; want %d and %d", st.RawBytes, st.CompressedBytes, plain.Len(), many.Len())
			}
			img := filepath.Join(t.TempDir(), "img")
			must(t, os.WriteFile(img, many.Bytes(), 0o600))
			im, err := Open(context.Background(), img)
			must(t, err)
			defer im.Close()
			if n := len(im.Segments()); n != 1 {
				t.Errorf("%d segments; consecutive frames of one compression are one segment", n)
			}
			if got := im.Segments()[0].RawBytes; got != int64(plain.Len()) {
				t.Errorf("decompressed %d bytes; want %d", got, plain.Len())
			}
			if len(im.Entries()) != 60+2+26 { // files, lib, lib/modules, 26 directories
				t.Errorf("%d entries; want 88", len(im.Entries()))
			}
		})
	}
}

func TestSourceDateEpoch(t *testing.T) {
	for _, tc := range []struct {
		env     string
		want    int64
		wantErr bool
	}{
		{"", 0, false},
		{"1700000000", 1700000000, false},
		{"-1", 0, true},
		{"yesterday", 0, true},
		{"99999999999", 0, true},
	} {
		t.Setenv("SOURCE_DATE_EPOCH", tc.env)
		got, err := SourceDateEpoch()
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("SOURCE_DATE_EPOCH=%q: got %d, %v; want %d, error %v", tc.env, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestWriteOptionErrors(t *testing.T) {
	a := NewArchive()
	must(t, a.AddBytes("x", []byte("x"), 0))
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Compression: "brotli"}, `compression "brotli" cannot be written`},
		{Options{Compression: Zstd, Level: 30}, "zstd level 30 is out of range 1–22"},
		{Options{Compression: None, Level: 3}, "compression none takes no level"},
		{Options{Compression: LZMA}, `compression "lzma" cannot be written`},
		{Options{ModTime: -5}, "mtime -5 does not fit"},
	} {
		_, err := a.Write(context.Background(), &bytes.Buffer{}, tc.opts)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%+v: error %v; want one containing %q", tc.opts, err, tc.want)
		}
	}
}

func TestSourceChangedWhileWriting(t *testing.T) {
	src := filepath.Join(t.TempDir(), "grows")
	must(t, os.WriteFile(src, []byte("short"), 0o644))
	a := NewArchive()
	must(t, a.AddFile("f", src, 0))
	p, err := a.makePlan(context.Background(), 0, 1)
	must(t, err)
	must(t, os.WriteFile(src, []byte("much longer now"), 0o644))
	r := p.buildChunk(context.Background(), 0, noneCompressor{}, newChunkBuffers(1))
	if r.err == nil || !bytes.Contains([]byte(r.err.Error()), []byte("changed while the image was being written")) {
		t.Errorf("error %v; want a changed-source error", r.err)
	}
}

// TestContentHash checks the helper dedupe relies on against a plain SHA-256.
func TestContentHash(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(p, []byte("content"), 0o644))
	e := &Entry{Path: "f", Source: p, statSize: 7}
	got, err := e.contentHash()
	must(t, err)
	if got != sha256.Sum256([]byte("content")) {
		t.Error("hash of a source differs from its SHA-256")
	}
}
