// SPDX-License-Identifier: Apache-2.0

// Package rootfs gives confined access to a directory tree: every name is resolved
// inside the root with openat2(RESOLVE_IN_ROOT), so a symlink in the tree that points
// at "/etc" or ".." resolves to the tree's own /etc or stays at its root, and never
// reaches the host.
//
// Names are slash-separated and relative to the root ("var/log"); "" and "." name
// the root itself. Operations that change or inspect a name never follow a symlink
// in its last component (like lstat, unlink, rename); symlinks in the directories
// above it are followed, inside the root.
//
//	fsys, err := rootfs.Open("/mnt/newroot")
//	if err != nil { … }
//	defer fsys.Close()
//	err = fsys.Symlink("../.cdsl.local/var/log", "var/log")
package rootfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// FS is a directory tree opened for confined access. It is safe for concurrent use.
type FS struct {
	dir  *os.File
	path string
}

// Open opens the directory root for confined access.
func Open(root string) (*FS, error) {
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open root", Path: root, Err: err}
	}
	f := &FS{dir: os.NewFile(uintptr(fd), root), path: root}
	// Probe openat2 once so an old kernel fails here with a clear message.
	probe, err := f.openat2(".", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		f.dir.Close()
		if errors.Is(err, unix.ENOSYS) {
			return nil, fmt.Errorf("open root %s: the kernel lacks openat2 (Linux 5.6 or later is needed to confine paths to the root): %w", root, err)
		}
		return nil, fmt.Errorf("open root %s: %w", root, err)
	}
	unix.Close(probe)
	return f, nil
}

// Close releases the root's file descriptor.
func (f *FS) Close() error { return f.dir.Close() }

// Path returns the host path the tree was opened at.
func (f *FS) Path() string { return f.path }

// HostPath returns the host path of name, for messages and for running commands.
// It is not used to access the file.
func (f *FS) HostPath(name string) string {
	return path.Join(f.path, Clean(name))
}

// Clean returns the canonical form of a root-relative name: no leading or trailing
// slash, no "." or ".." components ("" for the root). ".." never climbs above the root.
func Clean(name string) string {
	c := path.Clean("/" + name)
	return strings.TrimPrefix(c, "/")
}

func (f *FS) rootFD() int { return int(f.dir.Fd()) }

// openat2 resolves name inside the root and opens it.
func (f *FS) openat2(name string, flags uint64, mode uint64) (int, error) {
	how := unix.OpenHow{
		Flags:   flags | unix.O_CLOEXEC,
		Mode:    mode,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	n := Clean(name)
	if n == "" {
		n = "."
	}
	for {
		fd, err := unix.Openat2(f.rootFD(), n, &how)
		if err == unix.EINTR || err == unix.EAGAIN {
			// EAGAIN: a concurrent rename in the tree; the kernel asks to retry.
			continue
		}
		return fd, err
	}
}

// parent opens the directory that holds name (resolved inside the root) and returns
// its descriptor and name's last component. The root itself has no parent.
func (f *FS) parent(op, name string) (int, string, error) {
	n := Clean(name)
	if n == "" {
		return -1, "", &fs.PathError{Op: op, Path: "/", Err: errors.New("the root itself cannot be changed")}
	}
	dir, base := path.Split(n)
	fd, err := f.openat2(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, "", &fs.PathError{Op: op, Path: n, Err: err}
	}
	return fd, base, nil
}

// Lstat returns the file's status without following a final symlink.
func (f *FS) Lstat(name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	n := Clean(name)
	if n == "" {
		err := unix.Fstat(f.rootFD(), &st)
		return st, wrap("lstat", "/", err)
	}
	pfd, base, err := f.parent("lstat", n)
	if err != nil {
		return st, err
	}
	defer unix.Close(pfd)
	err = unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	return st, wrap("lstat", n, err)
}

// Stat returns the status of the file name resolves to, following symlinks inside the root.
func (f *FS) Stat(name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := f.openat2(name, unix.O_PATH, 0)
	if err != nil {
		return st, wrap("stat", Clean(name), err)
	}
	defer unix.Close(fd)
	err = unix.Fstat(fd, &st)
	return st, wrap("stat", Clean(name), err)
}

// Exists reports whether name exists (a dangling symlink exists).
func (f *FS) Exists(name string) bool {
	_, err := f.Lstat(name)
	return err == nil
}

// IsDir reports whether name is a directory (not a symlink to one).
func (f *FS) IsDir(name string) bool {
	st, err := f.Lstat(name)
	return err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

// IsSymlink reports whether name is a symlink.
func (f *FS) IsSymlink(name string) bool {
	st, err := f.Lstat(name)
	return err == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK
}

// Readlink returns the target of the symlink name.
func (f *FS) Readlink(name string) (string, error) {
	pfd, base, err := f.parent("readlink", name)
	if err != nil {
		return "", err
	}
	defer unix.Close(pfd)
	return readlinkat(pfd, base, Clean(name))
}

func readlinkat(dirfd int, base, display string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(dirfd, base, buf)
		if err != nil {
			return "", wrap("readlink", display, err)
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, len(buf)*2)
	}
}

// OpenFile opens name (resolved inside the root; a final symlink is followed inside
// the root unless flags holds O_NOFOLLOW).
func (f *FS) OpenFile(name string, flags int, perm uint32) (*os.File, error) {
	fd, err := f.openat2(name, uint64(flags), uint64(perm))
	if err != nil {
		return nil, wrap("open", Clean(name), err)
	}
	return os.NewFile(uintptr(fd), f.HostPath(name)), nil
}

// OpenDir opens the directory name for use with *at system calls.
func (f *FS) OpenDir(name string) (*os.File, error) {
	return f.OpenFile(name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
}

// ReadFile reads the whole file name.
func (f *FS) ReadFile(name string) ([]byte, error) {
	fh, err := f.OpenFile(name, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(fh)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", Clean(name), err)
	}
	return data, nil
}

// ReadDirNames returns the names in directory name, unsorted.
func (f *FS) ReadDirNames(name string) ([]string, error) {
	d, err := f.OpenDir(name)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, wrap("readdir", Clean(name), err)
	}
	return names, nil
}

// SameFile reports whether a and b (symlinks followed inside the root) are the same
// inode; a bind mount of one onto the other counts as the same.
func (f *FS) SameFile(a, b string) bool {
	sa, err := f.Stat(a)
	if err != nil {
		return false
	}
	sb, err := f.Stat(b)
	if err != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

func wrap(op, name string, err error) error {
	if err == nil {
		return nil
	}
	if name == "" {
		name = "/"
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}
