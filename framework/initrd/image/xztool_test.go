// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// useXZ points the xz writer at command for the test.
func useXZ(t *testing.T, command string) {
	t.Helper()
	old := xzCommand
	xzCommand = command
	t.Cleanup(func() { xzCommand = old })
}

// TestSystemXZ: with the system's xz, chunks are xz streams with a CRC32
// check that xz -d, and osr's reader, turn back into the cpio stream; the
// bytes do not depend on the number of workers; Stats names the xz version.
func TestSystemXZ(t *testing.T) {
	needTools(t, "xz")
	defer func(old int64) { chunkSize = old }(chunkSize)
	chunkSize = 16 << 10
	a := segmentedArchive(t, t.TempDir())
	var plain bytes.Buffer
	_, err := a.Write(context.Background(), &plain, Options{Compression: None, SegmentOrder: segOrder})
	must(t, err)
	var one, many bytes.Buffer
	st, err := a.Write(context.Background(), &one, Options{Compression: XZ, Workers: 1, SegmentOrder: segOrder})
	must(t, err)
	_, err = a.Write(context.Background(), &many, Options{Compression: XZ, Workers: 4, SegmentOrder: segOrder})
	must(t, err)
	if !strings.Contains(st.Encoder, "XZ Utils") || st.Level != 0 {
		t.Errorf("encoder %q level %d; want the system's xz at its default level 0", st.Encoder, st.Level)
	}
	if st.Chunks < 4 {
		t.Fatalf("%d chunks; the test wants several", st.Chunks)
	}
	if !bytes.Equal(one.Bytes(), many.Bytes()) {
		t.Fatal("the system xz's output depends on the number of workers")
	}
	if got := run(t, "", one.Bytes(), "xz", "-d", "-c"); !bytes.Equal(got, plain.Bytes()) {
		t.Errorf("xz -d gives %d bytes; want the %d-byte cpio stream", len(got), plain.Len())
	}
	img := filepath.Join(t.TempDir(), "img.xz")
	must(t, os.WriteFile(img, one.Bytes(), 0o600))
	list := string(run(t, "", nil, "xz", "--robot", "--list", img))
	if !strings.Contains(list, "\tCRC32\t") || strings.Contains(list, "CRC64") {
		t.Errorf("xz --list does not show CRC32 only:\n%s", list)
	}
	checkImage(t, one.Bytes(), map[string]string{"usr/lib/modules/6.1/kernel/mod3.ko": strings.Repeat("module 3 ", 4003)})
}

// TestXZWithoutSystemXZ: without an xz program the built-in encoder writes
// xz; a cache filled by the system's xz is not used for it (other bytes).
func TestXZWithoutSystemXZ(t *testing.T) {
	needTools(t, "xz")
	src, cdir := t.TempDir(), t.TempDir()
	c := openCache(t, cdir, 0)
	_, err := segmentedArchive(t, src).Write(context.Background(), new(bytes.Buffer), Options{Compression: XZ, Cache: c, SegmentOrder: segOrder})
	must(t, err)
	useXZ(t, "osr-test-no-such-xz")
	var out bytes.Buffer
	st, err := segmentedArchive(t, src).Write(context.Background(), &out, Options{Compression: XZ, Cache: c, SegmentOrder: segOrder})
	must(t, err)
	must(t, c.Close())
	if st.Encoder != "built-in" {
		t.Errorf("encoder %q; want built-in", st.Encoder)
	}
	if got := cachedNames(st); got != "" {
		t.Errorf("the built-in encoder took %q from a cache the system's xz filled", got)
	}
	checkImage(t, out.Bytes(), map[string]string{"etc/cluster/cluster.conf": "<cluster name=\"a\"/>\n"})
}

// TestXZToolErrors: an xz on PATH that is not XZ Utils' is refused by name;
// one that fails is reported with its arguments and what it said.
func TestXZToolErrors(t *testing.T) {
	for _, tt := range []struct {
		name, script string
		want         []string
	}{
		{"not XZ Utils", "#!/bin/sh\necho 'xz: some other xz 1.0'\n", []string{"is not XZ Utils' xz", "some other xz 1.0"}},
		{"fails", "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'xz (XZ Utils) 9.9'; exit 0; }\necho 'out of memory' >&2; exit 1\n",
			[]string{"--check=crc32 -T1 -0", "exit status 1", "out of memory"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := filepath.Join(t.TempDir(), "xz")
			must(t, os.WriteFile(fake, []byte(tt.script), 0o755))
			useXZ(t, fake)
			_, err := sampleArchive(t).Write(context.Background(), new(bytes.Buffer), Options{Compression: XZ})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tt.want, fake) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v; want it to name %q", err, w)
				}
			}
		})
	}
}

// TestXZMaxProcs: as many xz processes run at once as fit in a quarter of the
// memory, at least one, fewer at higher levels.
func TestXZMaxProcs(t *testing.T) {
	var si unix.Sysinfo_t
	must(t, unix.Sysinfo(&si))
	quarter := uint64(si.Totalram) * uint64(si.Unit) / 4
	prev := 1 << 30
	for level := range xzMemory {
		n := (&xzTool{level: level}).maxProcs()
		if n < 1 || n > prev || (n > 1 && uint64(n)*xzMemory[level] > quarter) {
			t.Errorf("level %d: %d processes of %d MiB with %d MiB in a quarter of the memory (level %d: %d)",
				level, n, xzMemory[level]>>20, quarter>>20, level-1, prev)
		}
		prev = n
	}
}
