// SPDX-License-Identifier: Apache-2.0

package atomicfile

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestReplace(t *testing.T) {
	old := unix.Umask(0o077)
	defer unix.Umask(old)
	for _, named := range []bool{false, true} {
		t.Run(map[bool]string{false: "tmpfile", true: "named"}[named], func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "cluster.conf")
			if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := Create(p, Options{Mode: 0o644, Named: named})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("new content")); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(p); string(got) != "old" {
				t.Errorf("before Commit the file reads %q; want the old content", got)
			}
			if err := f.Commit(); err != nil {
				t.Fatal(err)
			}
			f.Discard() // after Commit: nothing
			if got, _ := os.ReadFile(p); string(got) != "new content" {
				t.Errorf("after Commit the file reads %q", got)
			}
			if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
				t.Errorf("mode %v; want 0644 whatever the umask", st.Mode().Perm())
			}
			if n := names(t, dir); len(n) != 1 {
				t.Errorf("directory holds %v; want only cluster.conf", n)
			}
			if err := f.Commit(); err == nil {
				t.Error("a second Commit succeeded")
			}
		})
	}
}

func TestDiscard(t *testing.T) {
	for _, named := range []bool{false, true} {
		dir := t.TempDir()
		p := filepath.Join(dir, "boot.log")
		if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := Create(p, Options{Named: named})
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("half"))
		f.Discard()
		if got, _ := os.ReadFile(p); string(got) != "old" {
			t.Errorf("named=%v: after Discard the file reads %q", named, got)
		}
		if n := names(t, dir); len(n) != 1 {
			t.Errorf("named=%v: directory holds %v; want only boot.log", named, n)
		}
	}
}

// A temporary file of a writer that was killed is removed by the next write;
// one of a live writer is left alone.
func TestStaleTemps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "initrd.img")
	dead := tempPrefix("initrd.img") + "999999999-abc" // no such pid
	live := tempPrefix("initrd.img") + "1-abc"         // init is always there
	other := tempPrefix("other.img") + "999999999-abc" // another file's
	for _, n := range []string{dead, live, other} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{live, other, "initrd.img"}, " ")
	if got := strings.Join(names(t, dir), " "); got != want {
		t.Errorf("directory holds %s; want %s", got, want)
	}
}

func TestWriteFileAt(t *testing.T) {
	dir := t.TempDir()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := WriteFileAt(fd, "/root/etc", "cdsltab", []byte("bind /a /b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "cdsltab")); string(got) != "bind /a /b\n" {
		t.Errorf("content %q", got)
	}
	for _, bad := range []string{"", ".", "..", "a/b"} {
		if err := WriteFileAt(fd, "/root/etc", bad, nil, 0o644); err == nil || !strings.Contains(err.Error(), "/root/etc") {
			t.Errorf("WriteFileAt(%q) error = %v; want one naming the directory", bad, err)
		}
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		t.Errorf("WriteFileAt closed the caller's directory: %v", err)
	}
}

func TestErrorsNameThePath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "file")
	err := WriteFile(missing, nil, 0o600)
	if err == nil || !strings.Contains(err.Error(), filepath.Dir(missing)) {
		t.Errorf("error = %v; want one naming %s", err, filepath.Dir(missing))
	}
	if _, err := Create(t.TempDir()+"/", Options{}); err == nil {
		t.Error("Create of a directory name succeeded")
	}
}

func TestNamesAt(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b c", ".hidden"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for range 2 { // the descriptor's own offset is not used up
		names, err := NamesAt(fd)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{".hidden", "a", "b c"}) {
			t.Errorf("NamesAt = %q", names)
		}
	}
	if _, err := NamesAt(-1); err == nil {
		t.Error("NamesAt(-1) gave no error")
	}
}
