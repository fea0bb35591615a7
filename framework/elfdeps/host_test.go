// SPDX-License-Identifier: Apache-2.0

package elfdeps

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hostBinaries are real programs of a Debian host the initrd takes; those
// not installed are skipped one by one (/bin/ls always exists).
var hostBinaries = []string{"/bin/ls", "/usr/sbin/mkfs.gfs2", "/usr/sbin/fsck.ocfs2", "/usr/sbin/mount.nfs", "/usr/bin/ssh"}

// lddPaths runs glibc's ldd (the dynamic linker itself) and returns the
// paths it loads, as printed.
func lddPaths(t *testing.T, bin string) []string {
	t.Helper()
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v\n%s", bin, err, out)
	}
	var paths []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if strings.Contains(line, "not found") {
			t.Fatalf("ldd %s: %s", bin, line)
		}
		if _, after, ok := strings.Cut(line, "=> "); ok {
			line = after
		}
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "/") {
			paths = append(paths, f[0])
		}
	}
	return paths
}

func TestHostClosureMatchesLdd(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("no ldd on this host")
	}
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, bin := range hostBinaries {
		t.Run(filepath.Base(bin), func(t *testing.T) {
			if _, err := os.Stat(bin); err != nil {
				t.Skipf("%s not installed", bin)
			}
			res, err := r.Closure(context.Background(), bin)
			if err != nil {
				t.Fatal(err)
			}
			if err := res.Err(); err != nil {
				t.Fatal(err)
			}
			ldd := lddPaths(t, bin)
			// The real files ld.so maps are exactly the regular files of
			// the closure, besides the program itself.
			self, err := filepath.EvalSymlinks(bin)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, p := range ldd {
				real, err := filepath.EvalSymlinks(p)
				if err != nil {
					t.Fatal(err)
				}
				want[real] = true
			}
			var got, wantList []string
			for _, f := range res.Files {
				if f.Link == "" && f.Path != self {
					got = append(got, f.Path)
				}
			}
			for p := range want {
				wantList = append(wantList, p)
			}
			sort.Strings(wantList)
			if diff := cmp.Diff(wantList, got); diff != "" {
				t.Errorf("libraries of %s (-ldd +osr):\n%s", bin, diff)
			}
			// And every path ld.so opens resolves inside the result.
			assertSelfContained(t, res, append(ldd, bin))
		})
	}
}

// BenchmarkHostClosure measures a fresh closure of the host binaries
// (parsing included) and one served from the Resolver's cache.
func BenchmarkHostClosure(b *testing.B) {
	var bins []string
	for _, bin := range hostBinaries {
		if _, err := os.Stat(bin); err == nil {
			bins = append(bins, bin)
		}
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			r, err := New(Options{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Closure(context.Background(), bins...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		r, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := r.Closure(context.Background(), bins...); err != nil {
				b.Fatal(err)
			}
		}
	})
}
