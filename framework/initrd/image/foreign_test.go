// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cavaliergopher/cpio"
)

// needTools skips the test unless the named programs are installed
// (Debian: cpio gzip zstd xz-utils lz4 bzip2).
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

// run runs a command with stdin and returns its stdout.
func run(t *testing.T, dir string, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// gnuCPIO archives the tree at root with GNU cpio, as dracut and
// initramfs-tools do.
func gnuCPIO(t *testing.T, root string) []byte {
	t.Helper()
	var names []string
	must(t, filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		rel, _ := filepath.Rel(root, p)
		if rel != "." {
			names = append(names, rel)
		}
		return err
	}))
	sort.Strings(names)
	return run(t, root, []byte(strings.Join(names, "\n")+"\n"), "cpio", "--quiet", "-o", "-H", "newc", "--reproducible")
}

// foreignTrees makes an early tree (microcode) and a main tree with a hardlink,
// a symlink and a directory.
func foreignTrees(t *testing.T) (early, main string) {
	early, main = t.TempDir(), t.TempDir()
	mc := filepath.Join(early, "kernel/x86/microcode")
	must(t, os.MkdirAll(mc, 0o755))
	must(t, os.WriteFile(filepath.Join(mc, "GenuineIntel.bin"), []byte("microcode"), 0o644))
	must(t, os.MkdirAll(filepath.Join(main, "bin"), 0o755))
	must(t, os.MkdirAll(filepath.Join(main, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(main, "bin/a"), []byte("shared content"), 0o755))
	must(t, os.Link(filepath.Join(main, "bin/a"), filepath.Join(main, "bin/b")))
	must(t, os.Symlink("bin", filepath.Join(main, "sbin")))
	must(t, os.WriteFile(filepath.Join(main, "etc/conf"), []byte("conf"), 0o600))
	return early, main
}

var compressCmd = map[Compression][]string{
	Gzip:  {"gzip", "-n", "-c"},
	Zstd:  {"zstd", "-q", "-c"},
	XZ:    {"xz", "-c"}, // xz's own default check (CRC64): readers do not need the kernel's subset
	LZ4:   {"lz4", "-l", "-c"},
	Bzip2: {"bzip2", "-c"},
	LZMA:  {"lzma", "-c"},
}

// TestForeignImages reads images made the way dracut and initramfs-tools make
// them: an uncompressed early archive padded with zeros, then the main archive
// compressed by the command-line tools.
func TestForeignImages(t *testing.T) {
	needTools(t, "cpio")
	early, main := foreignTrees(t)
	earlyCPIO := gnuCPIO(t, early)
	mainCPIO := gnuCPIO(t, main)
	pad := make([]byte, 512-len(earlyCPIO)%512)
	for _, c := range []Compression{Gzip, Zstd, XZ, LZ4, Bzip2, LZMA} {
		t.Run(string(c), func(t *testing.T) {
			needTools(t, compressCmd[c][0])
			compressed := run(t, "", mainCPIO, compressCmd[c][0], compressCmd[c][1:]...)
			img := filepath.Join(t.TempDir(), "initrd.img")
			must(t, os.WriteFile(img, bytes.Join([][]byte{earlyCPIO, pad, compressed}, nil), 0o600))
			im, err := Open(context.Background(), img)
			must(t, err)
			defer im.Close()
			segs := im.Segments()
			if len(segs) != 2 || segs[0].Compression != None || segs[1].Compression != c ||
				segs[1].Offset != int64(len(earlyCPIO)+len(pad)) || segs[1].Length != int64(len(compressed)) {
				t.Fatalf("segments %+v; want none then %s at %d, %d bytes", segs, c, len(earlyCPIO)+len(pad), len(compressed))
			}
			var names []string
			for _, h := range im.Entries() {
				names = append(names, h.Name)
			}
			want := "kernel kernel/x86 kernel/x86/microcode kernel/x86/microcode/GenuineIntel.bin bin bin/a bin/b etc etc/conf sbin"
			if strings.Join(names, " ") != want {
				t.Errorf("entries %v; want %s", names, want)
			}
			for name, content := range map[string]string{
				"bin/a": "shared content", "bin/b": "shared content", "etc/conf": "conf",
				"kernel/x86/microcode/GenuineIntel.bin": "microcode",
			} {
				got, err := im.ReadFile(context.Background(), name)
				if err != nil || string(got) != content {
					t.Errorf("ReadFile(%s) = %q, %v; want %q", name, got, err, content)
				}
			}
			checkExtractedLinks(t, im)
		})
	}
}

// checkExtractedLinks extracts im and checks the hardlinked pair bin/a, bin/b.
func checkExtractedLinks(t *testing.T, im *Image) {
	t.Helper()
	dir := t.TempDir()
	st, err := im.Extract(context.Background(), dir)
	must(t, err)
	if st.Hardlinks != 1 || len(st.Skipped) != 0 {
		t.Errorf("extract stats %+v; want one hardlink, nothing skipped", st)
	}
	a, errA := os.Stat(filepath.Join(dir, "bin/a"))
	b, errB := os.Stat(filepath.Join(dir, "bin/b"))
	if errA != nil || errB != nil || !os.SameFile(a, b) || a.Size() != int64(len("shared content")) {
		t.Errorf("bin/a and bin/b are not one %d-byte file: %v %v", len("shared content"), errA, errB)
	}
}

// TestSeveralCompressedSegments reads an early archive followed by two
// differently compressed archives.
func TestSeveralCompressedSegments(t *testing.T) {
	needTools(t, "cpio", "gzip", "zstd")
	early, main := foreignTrees(t)
	extra := t.TempDir()
	must(t, os.WriteFile(filepath.Join(extra, "etc-override"), []byte("later"), 0o644))
	must(t, os.WriteFile(filepath.Join(main, "etc-override"), []byte("earlier"), 0o644))
	parts := [][]byte{
		gnuCPIO(t, early),
		run(t, "", gnuCPIO(t, main), "gzip", "-n", "-c"),
		make([]byte, 16), // padding between segments
		run(t, "", gnuCPIO(t, extra), "zstd", "-q", "-c"),
	}
	img := filepath.Join(t.TempDir(), "initrd.img")
	must(t, os.WriteFile(img, bytes.Join(parts, nil), 0o600))
	im, err := Open(context.Background(), img)
	must(t, err)
	defer im.Close()
	var comps []string
	for _, s := range im.Segments() {
		comps = append(comps, string(s.Compression))
	}
	if strings.Join(comps, " ") != "none gzip zstd" {
		t.Errorf("segments %v; want none gzip zstd", comps)
	}
	got, err := im.ReadFile(context.Background(), "etc-override")
	if err != nil || string(got) != "later" {
		t.Errorf("etc-override = %q, %v; want the later segment's content", got, err)
	}
}

// TestKernelReadableOutput decodes osr's output with the reference tools: the xz
// streams must carry a CRC32 check and the lz4 output must be the legacy format,
// the only ones the kernel unpacks; every compression must decompress, frames
// concatenated, to the same cpio stream that GNU cpio lists and extracts.
func TestKernelReadableOutput(t *testing.T) {
	needTools(t, "cpio", "zstd", "gzip", "xz", "lz4")
	defer func(old int64) { chunkSize = old }(chunkSize)
	chunkSize = 16 << 10
	a := bigArchive(t)
	must(t, a.AddBytes("bin/linked", []byte(strings.Repeat("block 3 ", 4000)), 0o644)) // a hardlink to data/03
	must(t, a.AddSymlink("sbin", "bin"))
	var plain bytes.Buffer
	_, err := a.Write(context.Background(), &plain, Options{Compression: None})
	must(t, err)
	listing := run(t, "", plain.Bytes(), "cpio", "--quiet", "-t")
	if n := bytes.Count(listing, []byte("\n")); n != 40+4 { // data/*, data, bin, bin/linked, sbin
		t.Errorf("cpio -t lists %d entries; want 44:\n%s", n, listing)
	}
	dir := t.TempDir()
	run(t, dir, plain.Bytes(), "cpio", "--quiet", "-i", "-d")
	if got, err := os.ReadFile(filepath.Join(dir, "bin/linked")); err != nil || string(got) != strings.Repeat("block 3 ", 4000) {
		t.Errorf("GNU cpio extracted bin/linked wrongly: %v", err)
	}
	decompress := map[Compression][]string{
		Zstd: {"zstd", "-q", "-d", "-c"}, Gzip: {"gzip", "-d", "-c"}, XZ: {"xz", "-d", "-c"}, LZ4: {"lz4", "-d", "-c"},
	}
	for c, cmd := range decompress {
		t.Run(string(c), func(t *testing.T) {
			var out bytes.Buffer
			st, err := a.Write(context.Background(), &out, Options{Compression: c})
			must(t, err)
			if st.Chunks < 3 {
				t.Fatalf("%d chunks; the test wants several", st.Chunks)
			}
			if got := run(t, "", out.Bytes(), cmd[0], cmd[1:]...); !bytes.Equal(got, plain.Bytes()) {
				t.Errorf("%s gives %d bytes that differ from the %d-byte cpio stream", cmd[0], len(got), plain.Len())
			}
			switch c {
			case XZ:
				f := filepath.Join(t.TempDir(), "img.xz")
				must(t, os.WriteFile(f, out.Bytes(), 0o600))
				list := string(run(t, "", nil, "xz", "--robot", "--list", f))
				if !strings.Contains(list, "CRC32") || strings.Contains(list, "CRC64") {
					t.Errorf("xz --list does not show CRC32 only:\n%s", list)
				}
			case LZ4:
				if !bytes.HasPrefix(out.Bytes(), []byte{0x02, 0x21, 0x4c, 0x18}) {
					t.Errorf("lz4 output starts % x; want the legacy magic", out.Bytes()[:4])
				}
			}
		})
	}
}

// TestIndependentReader reads osr's output with cavaliergopher/cpio, a newc
// reader written independently of this package.
func TestIndependentReader(t *testing.T) {
	var buf bytes.Buffer
	_, err := sampleArchive(t).Write(context.Background(), &buf, Options{Compression: None, ModTime: 1700000000})
	must(t, err)
	r := cpio.NewReader(&buf)
	var got []string
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		body, err := io.ReadAll(r)
		must(t, err)
		got = append(got, strings.Join([]string{h.Name, h.Mode.String(), h.Linkname, string(body)}, "|"))
		if h.ModTime.Unix() != 1700000000 || h.Uid != 0 && h.Name != "home/user/file" {
			t.Errorf("%s: mtime %v, uid %d", h.Name, h.ModTime, h.Uid)
		}
	}
	for _, want := range []string{
		"dev/console|020600||",
		"init|0120777|usr/bin/busybox|",
		"etc/cluster/cluster.conf|0100600||<cluster fence_password=\"secret\"/>\n",
		"usr/bin/su|0104755||su",
		"tmp|041777||",
	} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("cavaliergopher/cpio does not read %q; it read:\n%s", want, strings.Join(got, "\n"))
		}
	}
}
