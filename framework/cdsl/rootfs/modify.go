// SPDX-License-Identifier: Apache-2.0

package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// Mkdir creates the directory name.
func (f *FS) Mkdir(name string, perm uint32) error {
	pfd, base, err := f.parent("mkdir", name)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	return wrap("mkdir", Clean(name), unix.Mkdirat(pfd, base, perm))
}

// MkdirAll creates name and any missing parents. It returns the directories it
// created, outermost first.
func (f *FS) MkdirAll(name string, perm uint32) ([]string, error) {
	n := Clean(name)
	if n == "" {
		return nil, nil
	}
	var created []string
	parts := strings.Split(n, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		st, err := f.Stat(p)
		if err == nil {
			if st.Mode&unix.S_IFMT != unix.S_IFDIR {
				return created, &fs.PathError{Op: "mkdir", Path: p, Err: unix.ENOTDIR}
			}
			continue
		}
		if err := f.Mkdir(p, perm); err != nil && !errors.Is(err, unix.EEXIST) {
			return created, err
		}
		created = append(created, p)
	}
	return created, nil
}

// Symlink creates name as a symlink to target. The target is stored as given.
func (f *FS) Symlink(target, name string) error {
	pfd, base, err := f.parent("symlink", name)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	return wrap("symlink", Clean(name), unix.Symlinkat(target, pfd, base))
}

// Rename renames oldname to newname. Both are resolved inside the root.
func (f *FS) Rename(oldname, newname string) error { return f.rename(oldname, newname, 0) }

// RenameNoReplace renames oldname to newname unless newname exists.
func (f *FS) RenameNoReplace(oldname, newname string) error {
	return f.rename(oldname, newname, unix.RENAME_NOREPLACE)
}

func (f *FS) rename(oldname, newname string, flags uint) error {
	ofd, obase, err := f.parent("rename", oldname)
	if err != nil {
		return err
	}
	defer unix.Close(ofd)
	nfd, nbase, err := f.parent("rename", newname)
	if err != nil {
		return err
	}
	defer unix.Close(nfd)
	if err := unix.Renameat2(ofd, obase, nfd, nbase, flags); err != nil {
		return &os.LinkError{Op: "rename", Old: Clean(oldname), New: Clean(newname), Err: err}
	}
	return nil
}

// Remove removes the file, symlink or empty directory name.
func (f *FS) Remove(name string) error {
	pfd, base, err := f.parent("remove", name)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	err = unix.Unlinkat(pfd, base, 0)
	if err == unix.EISDIR || err == unix.EPERM {
		err = unix.Unlinkat(pfd, base, unix.AT_REMOVEDIR)
	}
	return wrap("remove", Clean(name), err)
}

// RemoveAll removes name and everything below it. A missing name is not an error.
// Symlinks are removed, never followed.
func (f *FS) RemoveAll(name string) error {
	pfd, base, err := f.parent("remove", name)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	defer unix.Close(pfd)
	return wrap("remove", Clean(name), removeAllAt(pfd, base))
}

func removeAllAt(dirfd int, base string) error {
	err := unix.Unlinkat(dirfd, base, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return err
	}
	fd, err := unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return err
	}
	d := os.NewFile(uintptr(fd), base)
	for {
		names, rerr := d.Readdirnames(512)
		for _, n := range names {
			if err := removeAllAt(fd, n); err != nil {
				d.Close()
				return err
			}
		}
		if rerr != nil || len(names) == 0 {
			break
		}
	}
	d.Close()
	err = unix.Unlinkat(dirfd, base, unix.AT_REMOVEDIR)
	if err == unix.ENOENT {
		return nil
	}
	return err
}

// WriteFileAtomic replaces name with data (internal/atomicfile): a temporary
// file beside it, fsynced, renamed over name, the directory fsynced, so a crash
// leaves either the old or the new content. The directory is resolved inside
// the root.
func (f *FS) WriteFileAtomic(name string, data []byte, perm uint32) error {
	return f.WriteFileChecked(name, data, perm, nil)
}

// WriteFileChecked is WriteFileAtomic with a last check: once the new content
// is durable in its temporary file, check (if not nil) is called, and only when
// it returns nil is the content renamed over name. A fencing check here leaves
// no slow step (the fsync) between the check and the replace.
func (f *FS) WriteFileChecked(name string, data []byte, perm uint32, check func() error) error {
	n := Clean(name)
	if n == "" {
		return &fs.PathError{Op: "write", Path: "/", Err: errors.New("the root itself is a directory")}
	}
	dir, base := path.Split(n)
	fd, err := f.openat2(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return wrap("write", n, err)
	}
	defer unix.Close(fd)
	t, err := atomicfile.CreateAt(fd, f.HostPath(dir), base, atomicfile.Options{Mode: os.FileMode(perm).Perm()})
	if err != nil {
		return err
	}
	defer t.Discard()
	if _, err := t.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", f.HostPath(n), err)
	}
	if err := t.File().Sync(); err != nil {
		return fmt.Errorf("write %s: fsync: %w", f.HostPath(n), err)
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	return t.Commit()
}

// SyncDir flushes the directory name's entries to stable storage.
func (f *FS) SyncDir(name string) error {
	fd, err := f.openat2(name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return wrap("sync", Clean(name), err)
	}
	defer unix.Close(fd)
	return wrap("sync", Clean(name), unix.Fsync(fd))
}

// Syncfs flushes the whole filesystem that holds the root.
func (f *FS) Syncfs() error {
	fd, err := f.openat2(".", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return wrap("syncfs", "/", err)
	}
	defer unix.Close(fd)
	return wrap("syncfs", "/", unix.Syncfs(fd))
}
