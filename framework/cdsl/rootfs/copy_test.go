// SPDX-License-Identifier: Apache-2.0

package rootfs

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCopyPreserves copies a tree with every kind of file and checks owners,
// modes, times, xattrs, hardlinks, symlinks, fifos, sockets and devices survive.
func TestCopyPreserves(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "sub"), 0o750))
	must(os.WriteFile(filepath.Join(src, "sub/file"), []byte("data"), 0o640))
	must(os.WriteFile(filepath.Join(src, "big"), make([]byte, 1<<20), 0o600))
	must(os.Link(filepath.Join(src, "sub/file"), filepath.Join(src, "hard")))
	must(os.Symlink("sub/file", filepath.Join(src, "link")))
	must(unix.Mkfifo(filepath.Join(src, "fifo"), 0o620))
	must(unix.Mknod(filepath.Join(src, "sock"), unix.S_IFSOCK|0o600, 0))
	root0 := os.Geteuid() == 0
	if root0 {
		must(unix.Mknod(filepath.Join(src, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
		must(os.Lchown(filepath.Join(src, "sub/file"), 1234, 5678))
		must(os.Lchown(filepath.Join(src, "link"), 4321, 8765))
	}
	must(os.Chmod(filepath.Join(src, "sub"), 0o2750))
	xattr := unix.Setxattr(filepath.Join(src, "sub/file"), "user.osr", []byte("yes"), 0) == nil
	old := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	for _, n := range []string{"sub/file", "sub", "big", "fifo"} {
		must(os.Chtimes(filepath.Join(src, n), old, old))
	}
	must(unix.Lutimes(filepath.Join(src, "link"), []unix.Timeval{unix.NsecToTimeval(old.UnixNano()), unix.NsecToTimeval(old.UnixNano())}))

	fsys, err := Open(root)
	must(err)
	defer fsys.Close()
	must(fsys.Copy("src", "dst", nil))

	dst := filepath.Join(root, "dst")
	for _, n := range []string{"sub", "sub/file", "big", "link", "fifo", "sock", "hard"} {
		var a, b unix.Stat_t
		must(unix.Lstat(filepath.Join(src, n), &a))
		must(unix.Lstat(filepath.Join(dst, n), &b))
		if a.Mode != b.Mode || a.Uid != b.Uid || a.Gid != b.Gid || a.Size != b.Size {
			t.Errorf("%s: mode %o uid %d gid %d size %d, want %o %d %d %d", n, b.Mode, b.Uid, b.Gid, b.Size, a.Mode, a.Uid, a.Gid, a.Size)
		}
		if a.Mode&unix.S_IFMT != unix.S_IFSOCK && a.Mtim != b.Mtim {
			t.Errorf("%s: mtime %v, want %v", n, b.Mtim, a.Mtim)
		}
	}
	var f, h unix.Stat_t
	must(unix.Lstat(filepath.Join(dst, "sub/file"), &f))
	must(unix.Lstat(filepath.Join(dst, "hard"), &h))
	if f.Ino != h.Ino || f.Nlink != 2 {
		t.Errorf("hardlink not kept: inodes %d %d, links %d", f.Ino, h.Ino, f.Nlink)
	}
	if target, _ := os.Readlink(filepath.Join(dst, "link")); target != "sub/file" {
		t.Errorf("symlink -> %q", target)
	}
	if xattr {
		buf := make([]byte, 16)
		n, err := unix.Getxattr(filepath.Join(dst, "sub/file"), "user.osr", buf)
		if err != nil || string(buf[:n]) != "yes" {
			t.Errorf("xattr: %q %v", buf[:n], err)
		}
	}
	if root0 {
		var d unix.Stat_t
		must(unix.Lstat(filepath.Join(dst, "null"), &d))
		if d.Mode&unix.S_IFMT != unix.S_IFCHR || d.Rdev != unix.Mkdev(1, 3) {
			t.Errorf("device: mode %o rdev %d", d.Mode, d.Rdev)
		}
	}
	// The destination must not exist yet.
	if err := fsys.Copy("src", "dst", nil); err == nil {
		t.Errorf("copy onto an existing name succeeded")
	}
}

// TestConfined checks names and symlinks cannot leave the root.
func TestConfined(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(base, "secret"), []byte("s"), 0o600)
	os.Symlink("../../secret", filepath.Join(root, "etc/up"))
	os.Symlink(filepath.Join(base, "secret"), filepath.Join(root, "abs"))
	fsys, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	for _, n := range []string{"etc/up", "abs", "../secret", "/../../secret"} {
		if data, err := fsys.ReadFile(n); err == nil {
			t.Errorf("read %s outside the root: %q", n, data)
		}
		if p, err := fsys.Resolve(n, nil); err != nil || filepath.IsAbs(p) || p == "../secret" {
			t.Errorf("resolve %s = %q, %v", n, p, err)
		}
	}
	if err := fsys.WriteFileAtomic("etc/up", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(base, "secret")); string(data) != "s" {
		t.Errorf("the file outside the root changed: %q", data)
	}
}
