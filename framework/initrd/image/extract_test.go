// SPDX-License-Identifier: Apache-2.0

package image

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// rawEntry is one hand-made archive entry, for archives osr would never write.
type rawEntry struct {
	name string
	mode uint32
	body string
}

// rawImage writes a newc archive of the given entries to a file.
func rawImage(t *testing.T, entries ...rawEntry) string {
	t.Helper()
	var buf []byte
	for i, e := range entries {
		buf = appendHeader(buf, &header{ino: uint32(i + 1), mode: e.mode, nlink: 1, size: uint32(len(e.body)), name: e.name})
		buf = append(buf, e.body...)
		buf = append(buf, make([]byte, pad4(int64(len(e.body))))...)
	}
	buf = appendHeader(buf, &header{nlink: 1, name: trailerName})
	p := filepath.Join(t.TempDir(), "hostile.img")
	must(t, os.WriteFile(p, buf, 0o600))
	return p
}

func TestExtractStaysInside(t *testing.T) {
	outside := t.TempDir()
	img := rawImage(t,
		rawEntry{"../escape", modeRegular | 0o644, "x"},
		rawEntry{"a/../../escape2", modeRegular | 0o644, "x"},
		rawEntry{"/etc/passwd", modeRegular | 0o644, "root"}, // absolute: lands inside
		rawEntry{"link", modeSymlink | 0o777, outside},
		rawEntry{"link/planted", modeRegular | 0o644, "x"},
		rawEntry{"pre/planted", modeRegular | 0o644, "x"},
		rawEntry{"pre2", modeRegular | 0o644, "replaces the symlink"},
		rawEntry{"full/x", modeRegular | 0o644, "x"},
		rawEntry{"full", modeRegular | 0o644, "a file where a non-empty directory is"},
		rawEntry{"trailing/", modeDir | 0o755, ""},
		rawEntry{"./dot/./x", modeRegular | 0o644, "dot"},
	)
	dest := t.TempDir()
	must(t, os.Symlink(outside, filepath.Join(dest, "pre")))  // already in the destination
	must(t, os.Symlink(outside, filepath.Join(dest, "pre2"))) // replaced, not written through
	im, err := Open(context.Background(), img)
	must(t, err)
	defer im.Close()
	st, err := im.Extract(context.Background(), dest)
	must(t, err)
	if len(st.Skipped) != 5 {
		t.Errorf("skipped %q; want the two .. names, the two entries below symlinks and the file over a directory", st.Skipped)
	}
	for _, want := range []string{`../escape: name contains ".."`, `link/planted: parent "link" is not a directory`,
		"full: a non-empty directory of that name is in the way",
		`pre/planted: parent "pre" is not a directory`} {
		if !strings.Contains(strings.Join(st.Skipped, "\n"), want) {
			t.Errorf("skipped %q; want a line %q", st.Skipped, want)
		}
	}
	if names := dirNames(t, outside); len(names) != 0 {
		t.Errorf("extraction wrote %v outside the destination", names)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dest), "escape")); err == nil {
		t.Error("../escape was written")
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "dot/x")); string(got) != "dot" {
		t.Errorf("dot/x = %q", got)
	}
	if fi, err := os.Stat(filepath.Join(dest, "trailing")); err != nil || !fi.IsDir() {
		t.Errorf("trailing/ was not extracted as a directory: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "etc/passwd")); string(got) != "root" {
		t.Errorf("etc/passwd = %q", got)
	}
	if fi, err := os.Lstat(filepath.Join(dest, "pre2")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("pre2 is %v, %v; want the regular file that replaced the symlink", fi, err)
	}
}

// TestExtractSample extracts an image with every kind of entry and checks the tree.
func TestExtractSample(t *testing.T) {
	out := filepath.Join(t.TempDir(), "initrd.img")
	_, err := sampleArchive(t).WriteFile(context.Background(), out, Options{ModTime: 1700000000})
	must(t, err)
	im, err := Open(context.Background(), out)
	must(t, err)
	defer im.Close()
	dest := t.TempDir()
	st, err := im.Extract(context.Background(), dest)
	must(t, err)
	root := os.Geteuid() == 0
	wantDevices := 3
	if !root {
		wantDevices = 1 // a fifo needs no privilege
	}
	if st.Files != 6 || st.Hardlinks != 1 || st.Dirs != 10 || st.Symlinks != 1 || st.Devices != wantDevices {
		t.Errorf("stats %+v", st)
	}
	check := func(name string, mode os.FileMode) os.FileInfo {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(dest, name))
		if err != nil {
			t.Error(err)
			return nil
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v; want %v", name, fi.Mode(), mode)
		}
		if fi.ModTime().Unix() != 1700000000 {
			t.Errorf("%s: mtime %v", name, fi.ModTime())
		}
		return fi
	}
	check("etc/cluster/cluster.conf", 0o600)
	check("usr/bin/su", 0o755|os.ModeSetuid)
	check("tmp", 0o777|os.ModeDir|os.ModeSticky)
	check("init", 0o777|os.ModeSymlink)
	check("run/initctl", 0o600|os.ModeNamedPipe)
	a, b := check("bin/sh", 0o755), check("usr/bin/busybox", 0o755)
	if a != nil && b != nil && !os.SameFile(a, b) {
		t.Error("bin/sh and usr/bin/busybox are not one file")
	}
	if root {
		check("dev/console", 0o600|os.ModeDevice|os.ModeCharDevice)
		if fi := check("home/user/file", 0o644); fi != nil {
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != 1000 || st.Gid != 1000 {
				t.Errorf("home/user/file owned by %d:%d; want 1000:1000", st.Uid, st.Gid)
			}
		}
	}
	if target, _ := os.Readlink(filepath.Join(dest, "init")); target != "usr/bin/busybox" {
		t.Errorf("init -> %q", target)
	}
}
