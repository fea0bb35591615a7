// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// segmentedArchive is an archive of three segments whose files live in dir:
// a big "kernel" one (several chunks), a "system" one and a small "config".
func segmentedArchive(t *testing.T, dir string) *Archive {
	t.Helper()
	a := NewArchive()
	for i := range 6 {
		p := filepath.Join(dir, fmt.Sprintf("mod%d.ko", i))
		if _, err := os.Stat(p); err != nil {
			must(t, os.WriteFile(p, bytes.Repeat([]byte(fmt.Sprintf("module %d ", i)), 4000+i), 0o644))
		}
		must(t, a.Add(Entry{Path: fmt.Sprintf("usr/lib/modules/6.1/kernel/mod%d.ko", i), Kind: File, Source: p, Mode: 0o644, Segment: "kernel"}))
	}
	sys := a.Segment("system")
	must(t, sys.AddSymlink("lib", "usr/lib"))
	must(t, sys.AddDir("etc", 0o755))
	must(t, sys.AddDevice("dev/console", CharDevice, 5, 1, 0o600))
	must(t, sys.AddBytes("usr/lib/libc.so.6", []byte("libc"), 0o755))
	must(t, sys.AddBytes("usr/lib/libc-copy.so.6", []byte("libc"), 0o755)) // a hardlink within the segment
	conf := filepath.Join(dir, "cluster.conf")
	if _, err := os.Stat(conf); err != nil {
		must(t, os.WriteFile(conf, []byte("<cluster name=\"a\"/>\n"), 0o644))
	}
	cfg := a.Segment("config")
	must(t, cfg.Add(Entry{Path: "etc/cluster/cluster.conf", Kind: File, Source: conf, Mode: 0o644, Secret: true}))
	must(t, cfg.AddBytes("lib/modules/6.1/manifest.json", []byte("{}\n"), 0o644)) // below the link: stored under usr/lib
	return a
}

var segOrder = []string{"kernel", "system", "config"}

func writeImage(t *testing.T, a *Archive, opts Options) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	opts.SegmentOrder, opts.Compression, opts.ModTime = segOrder, Zstd, 1700000000
	st, err := a.Write(context.Background(), &buf, opts)
	must(t, err)
	return buf.Bytes(), st
}

func cachedNames(st Stats) string {
	var hit []string
	for _, s := range st.Segments {
		if s.Cached {
			hit = append(hit, s.Name)
		}
	}
	return strings.Join(hit, ",")
}

func openCache(t *testing.T, dir string, keep int) *Cache {
	t.Helper()
	c, err := OpenCache(dir, keep)
	must(t, err)
	return c
}

// TestSegmentsCached: a second write takes every segment from the cache; a
// changed configuration file recompresses its segment only; every output is
// the bytes a write without cache, and a forced write, give.
func TestSegmentsCached(t *testing.T) {
	defer func(old int64) { chunkSize = old }(chunkSize)
	chunkSize = 16 << 10
	src, cdir := t.TempDir(), t.TempDir()

	plain, _ := writeImage(t, segmentedArchive(t, src), Options{})
	c := openCache(t, cdir, 0)
	first, st := writeImage(t, segmentedArchive(t, src), Options{Cache: c})
	if cachedNames(st) != "" || len(st.Segments) != 3 || st.Segments[0].Name != "kernel" || st.Chunks < 4 {
		t.Fatalf("first write: segments %+v, chunks %d; want 3 new ones, kernel first, several chunks", st.Segments, st.Chunks)
	}
	again, st := writeImage(t, segmentedArchive(t, src), Options{Cache: c})
	if cachedNames(st) != "kernel,system,config" {
		t.Errorf("second write took %q from the cache; want every segment", cachedNames(st))
	}
	must(t, c.Close())
	if !bytes.Equal(plain, first) || !bytes.Equal(first, again) {
		t.Fatal("the image written through the cache differs from the one written without")
	}
	checkImage(t, again, map[string]string{
		"usr/lib/modules/6.1/kernel/mod3.ko": strings.Repeat("module 3 ", 4003),
		"etc/cluster/cluster.conf":           "<cluster name=\"a\"/>\n",
		"usr/lib/modules/6.1/manifest.json":  "{}\n",
		"usr/lib/libc-copy.so.6":             "libc",
	})

	// The cluster configuration changes (same size, so only its content tells).
	must(t, os.WriteFile(filepath.Join(src, "cluster.conf"), []byte("<cluster name=\"b\"/>\n"), 0o644))
	c = openCache(t, cdir, 0)
	changed, st := writeImage(t, segmentedArchive(t, src), Options{Cache: c})
	if cachedNames(st) != "kernel,system" {
		t.Errorf("after the change %q came from the cache; want kernel,system", cachedNames(st))
	}
	forced, st := writeImage(t, segmentedArchive(t, src), Options{Cache: c, Force: true})
	if cachedNames(st) != "" {
		t.Errorf("--force took %q from the cache", cachedNames(st))
	}
	must(t, c.Close())
	plain, _ = writeImage(t, segmentedArchive(t, src), Options{})
	if !bytes.Equal(changed, forced) || !bytes.Equal(changed, plain) {
		t.Error("the rebuild from the cache differs from a forced build of the same inputs")
	}
	checkImage(t, changed, map[string]string{"etc/cluster/cluster.conf": "<cluster name=\"b\"/>\n"})
}

// checkImage reads the image back and checks file contents, that every
// segment is an archive of its own, and that no path but a directory
// appears twice.
func checkImage(t *testing.T, img []byte, want map[string]string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "img")
	must(t, os.WriteFile(p, img, 0o600))
	im, err := Open(context.Background(), p)
	must(t, err)
	defer im.Close()
	seen := map[string]int{}
	for _, h := range im.Entries() {
		if h.Kind != Dir {
			seen[h.Name]++
		}
	}
	for name, n := range seen {
		if n > 1 {
			t.Errorf("%s is stored %d times", name, n)
		}
	}
	for name, content := range want {
		got, err := im.ReadFile(context.Background(), name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != content {
			t.Errorf("%s = %.40q…; want %.40q…", name, got, content)
		}
	}
}

// TestSegmentsHashMemo: a file changed in place (same size, new content) is
// read again even though the memo knew it.
func TestSegmentsHashMemo(t *testing.T) {
	defer func(old time.Duration) { memoSettle = old }(memoSettle)
	memoSettle = 0
	src, cdir := t.TempDir(), t.TempDir()
	c := openCache(t, cdir, 0)
	writeImage(t, segmentedArchive(t, src), Options{Cache: c})
	must(t, c.Close())
	if fi, err := os.Stat(filepath.Join(cdir, "hashes.json")); err != nil || fi.Size() == 0 {
		t.Fatalf("no hash memo: %v", err)
	}
	mod := filepath.Join(src, "mod0.ko")
	data, err := os.ReadFile(mod)
	must(t, err)
	data[0] = 'M'
	must(t, os.WriteFile(mod, data, 0o644))
	c = openCache(t, cdir, 0)
	img, st := writeImage(t, segmentedArchive(t, src), Options{Cache: c})
	must(t, c.Close())
	if cachedNames(st) != "system,config" {
		t.Errorf("after a module changed %q came from the cache; want system,config", cachedNames(st))
	}
	checkImage(t, img, map[string]string{"usr/lib/modules/6.1/kernel/mod0.ko": string(data)})
}

// TestSegmentsConcurrent: builds sharing one cache at once all write the
// right image.
func TestSegmentsConcurrent(t *testing.T) {
	defer func(old int64) { chunkSize = old }(chunkSize)
	chunkSize = 16 << 10
	src, cdir := t.TempDir(), t.TempDir()
	want, _ := writeImage(t, segmentedArchive(t, src), Options{})
	var wg sync.WaitGroup
	outs := make([][]byte, 4)
	errs := make([]error, 4)
	for i := range outs {
		wg.Go(func() {
			c, err := OpenCache(cdir, 0)
			if err != nil {
				errs[i] = err
				return
			}
			var buf bytes.Buffer
			_, errs[i] = segmentedArchive(t, src).Write(context.Background(), &buf,
				Options{Cache: c, SegmentOrder: segOrder, Compression: Zstd, ModTime: 1700000000})
			outs[i] = buf.Bytes()
			if err := c.Close(); err != nil && errs[i] == nil {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for i := range outs {
		must(t, errs[i])
		if !bytes.Equal(outs[i], want) {
			t.Errorf("build %d wrote another image", i)
		}
	}
	c := openCache(t, cdir, 0)
	_, st := writeImage(t, segmentedArchive(t, src), Options{Cache: c})
	must(t, c.Close())
	if cachedNames(st) != "kernel,system,config" {
		t.Errorf("after the concurrent builds %q came from the cache; want every segment", cachedNames(st))
	}
}

// TestSegmentsEviction: the cache keeps the segments of the last keep builds.
func TestSegmentsEviction(t *testing.T) {
	src, cdir := t.TempDir(), t.TempDir()
	conf := filepath.Join(src, "cluster.conf")
	for _, name := range []string{"a", "b", "c"} {
		must(t, os.WriteFile(conf, []byte("<cluster name=\""+name+"\"/>\n"), 0o644))
		c := openCache(t, cdir, 2)
		writeImage(t, segmentedArchive(t, src), Options{Cache: c})
		must(t, c.Close())
	}
	segs, err := os.ReadDir(filepath.Join(cdir, "segments"))
	must(t, err)
	builds, err := os.ReadDir(filepath.Join(cdir, "builds"))
	must(t, err)
	// kernel and system shared by all, plus the config of b and c.
	if len(segs) != 4 || len(builds) != 2 {
		t.Errorf("cache holds %d segments and %d build records; want 4 and 2", len(segs), len(builds))
	}
	// Eviction waits while another build holds the cache.
	other := openCache(t, cdir, 1)
	c := openCache(t, cdir, 1)
	must(t, c.Close())
	if builds, _ = os.ReadDir(filepath.Join(cdir, "builds")); len(builds) != 2 {
		t.Errorf("eviction ran while another build held the cache: %d build records left", len(builds))
	}
	must(t, other.Close())
}

// TestSegmentsKilledBuild: a build killed with SIGKILL in the middle of
// writing a segment to the cache leaves nothing the next build would take.
func TestSegmentsKilledBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a subprocess")
	}
	src, cdir := t.TempDir(), t.TempDir()
	segmentedArchive(t, src) // create the sources
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilledBuild$")
	cmd.Env = append(os.Environ(), "OSR_HELPER_SRC="+src, "OSR_HELPER_CACHE="+cdir)
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "chunk written") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q; want it to report a chunk written", buf[:n])
	}
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	if err := cmd.Wait(); err == nil {
		t.Fatal("the helper build finished; it should have been killed")
	}
	segs, err := os.ReadDir(filepath.Join(cdir, "segments"))
	must(t, err)
	for _, s := range segs {
		t.Logf("left in the cache: %s", s.Name())
		if !strings.HasPrefix(s.Name(), ".") {
			t.Errorf("the killed build left segment %s under its final name", s.Name())
		}
	}
	defer func(old int64) { chunkSize = old }(chunkSize)
	chunkSize = 16 << 10
	want, _ := writeImage(t, segmentedArchive(t, src), Options{})
	c := openCache(t, cdir, 0)
	got, _ := writeImage(t, segmentedArchive(t, src), Options{Cache: c})
	must(t, c.Close())
	if !bytes.Equal(got, want) {
		t.Error("the build after a killed one wrote another image")
	}
}

// TestHelperKilledBuild is the build TestSegmentsKilledBuild kills: it stops
// after the first chunk of the first segment reached the output and the
// cache file.
func TestHelperKilledBuild(t *testing.T) {
	src, cdir := os.Getenv("OSR_HELPER_SRC"), os.Getenv("OSR_HELPER_CACHE")
	if src == "" {
		t.Skip("helper process of TestSegmentsKilledBuild")
	}
	chunkSize = 16 << 10
	testHookNoTmpfile = true // a named temporary file, as where O_TMPFILE is missing
	testHookChunkWritten = func(int) {
		fmt.Println("chunk written")
		time.Sleep(time.Minute)
	}
	c := openCache(t, cdir, 0)
	writeImage(t, segmentedArchive(t, src), Options{Cache: c})
}
