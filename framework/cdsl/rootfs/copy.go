// SPDX-License-Identifier: Apache-2.0

package rootfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Copy copies the file, symlink, special file or directory tree src to dst, which
// must not exist (its parent must). Like cp -a it keeps owners, modes, timestamps,
// extended attributes (ACLs included), hardlinks inside the tree, and recreates
// fifos, sockets and device nodes. Symlinks are copied as they are, never followed.
// It stops early with ctxErr's error when ctxErr returns one.
func (f *FS) Copy(src, dst string, ctxErr func() error) error {
	spfd, sbase, err := f.parent("copy", src)
	if err != nil {
		return err
	}
	defer unix.Close(spfd)
	dpfd, dbase, err := f.parent("copy", dst)
	if err != nil {
		return err
	}
	defer unix.Close(dpfd)
	c := &copier{links: map[devIno]string{}, ctxErr: ctxErr, buf: make([]byte, 128<<10)}
	if err := c.copyAt(spfd, sbase, dpfd, dbase, dbase); err != nil {
		return fmt.Errorf("copy %s to %s: %w", Clean(src), Clean(dst), err)
	}
	return nil
}

type devIno struct{ dev, ino uint64 }

type copier struct {
	// links maps a source inode with several links to the destination path
	// (relative to the destination's parent) of its first copy.
	links  map[devIno]string
	ctxErr func() error
	buf    []byte
	dstTop int
}

func (c *copier) copyAt(sdir int, sname string, ddir int, dname, rel string) error {
	if c.ctxErr != nil {
		if err := c.ctxErr(); err != nil {
			return err
		}
	}
	var st unix.Stat_t
	if err := unix.Fstatat(sdir, sname, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lstat", Path: sname, Err: err}
	}
	kind := st.Mode & unix.S_IFMT
	if kind != unix.S_IFDIR && st.Nlink > 1 {
		key := devIno{uint64(st.Dev), st.Ino}
		if first, ok := c.links[key]; ok {
			if c.dstTop == 0 {
				return errors.New("internal error: hardlink without a destination root")
			}
			if err := unix.Linkat(c.dstTop, first, ddir, dname, 0); err != nil {
				return &os.LinkError{Op: "link", Old: first, New: rel, Err: err}
			}
			return nil
		}
		c.links[key] = rel
	}
	switch kind {
	case unix.S_IFDIR:
		return c.copyDir(sdir, sname, ddir, dname, rel, &st)
	case unix.S_IFREG:
		return c.copyFile(sdir, sname, ddir, dname, &st)
	case unix.S_IFLNK:
		target, err := readlinkat(sdir, sname, sname)
		if err != nil {
			return err
		}
		if err := unix.Symlinkat(target, ddir, dname); err != nil {
			return &os.PathError{Op: "symlink", Path: rel, Err: err}
		}
		return finishAt(ddir, dname, &st, true)
	case unix.S_IFIFO, unix.S_IFSOCK, unix.S_IFCHR, unix.S_IFBLK:
		if err := unix.Mknodat(ddir, dname, st.Mode, int(st.Rdev)); err != nil {
			return &os.PathError{Op: "mknod", Path: rel, Err: err}
		}
		return finishAt(ddir, dname, &st, false)
	default:
		return &os.PathError{Op: "copy", Path: rel, Err: fmt.Errorf("unsupported file type %#o", kind)}
	}
}

func (c *copier) copyDir(sdir int, sname string, ddir int, dname, rel string, st *unix.Stat_t) error {
	sfd, err := unix.Openat(sdir, sname, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: sname, Err: err}
	}
	sd := os.NewFile(uintptr(sfd), sname)
	defer sd.Close()
	if err := unix.Mkdirat(ddir, dname, 0o700); err != nil {
		return &os.PathError{Op: "mkdir", Path: rel, Err: err}
	}
	dfd, err := unix.Openat(ddir, dname, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: rel, Err: err}
	}
	defer unix.Close(dfd)
	top := false
	if c.dstTop == 0 {
		// The first directory is the tree's top: hardlinks are made relative to it.
		c.dstTop = dfd
		top = true
		rel = "."
	}
	defer func() {
		if top {
			c.dstTop = 0
		}
	}()
	for {
		names, rerr := sd.Readdirnames(1024)
		for _, n := range names {
			if err := c.copyAt(sfd, n, dfd, n, path.Join(rel, n)); err != nil {
				return err
			}
		}
		if rerr == io.EOF || len(names) == 0 {
			break
		}
		if rerr != nil {
			return &os.PathError{Op: "readdir", Path: sname, Err: rerr}
		}
	}
	if err := copyXattrs(sfd, dfd); err != nil {
		return &os.PathError{Op: "xattr", Path: rel, Err: err}
	}
	return finishFD(dfd, st)
}

func (c *copier) copyFile(sdir int, sname string, ddir int, dname string, st *unix.Stat_t) error {
	sfd, err := unix.Openat(sdir, sname, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: sname, Err: err}
	}
	defer unix.Close(sfd)
	dfd, err := unix.Openat(ddir, dname, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "create", Path: dname, Err: err}
	}
	defer unix.Close(dfd)
	if err := c.copyData(sfd, dfd, st.Size); err != nil {
		return &os.PathError{Op: "copy", Path: dname, Err: err}
	}
	if err := copyXattrs(sfd, dfd); err != nil {
		return &os.PathError{Op: "xattr", Path: dname, Err: err}
	}
	return finishFD(dfd, st)
}

// copyData copies size bytes with copy_file_range (reflinks or in-kernel copies
// where the filesystem offers them) and falls back to read/write.
func (c *copier) copyData(sfd, dfd int, size int64) error {
	if size == 0 {
		return nil
	}
	if size > int64(len(c.buf)) {
		var done int64
		for done < size {
			n, err := unix.CopyFileRange(sfd, nil, dfd, nil, int(min(size-done, 1<<30)), 0)
			if err != nil {
				if done == 0 && (err == unix.EXDEV || err == unix.EINVAL || err == unix.ENOSYS || err == unix.EOPNOTSUPP) {
					break
				}
				return err
			}
			if n == 0 {
				return nil // the file shrank while we copied it
			}
			done += int64(n)
		}
		if done >= size {
			return nil
		}
	}
	for {
		n, err := unix.Read(sfd, c.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		for w := 0; w < n; {
			m, err := unix.Write(dfd, c.buf[w:n])
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			w += m
		}
	}
}

// finishFD sets owner, mode and times on an open file or directory.
func finishFD(fd int, st *unix.Stat_t) error {
	if err := unix.Fchown(fd, int(st.Uid), int(st.Gid)); err != nil && err != unix.EPERM {
		return err
	}
	if err := unix.Fchmod(fd, st.Mode&0o7777); err != nil {
		return err
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(fd, "", ts, unix.AT_EMPTY_PATH)
}

// finishAt sets owner, mode and times by name, for symlinks and special files.
func finishAt(dir int, name string, st *unix.Stat_t, symlink bool) error {
	if err := unix.Fchownat(dir, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil && err != unix.EPERM {
		return &os.PathError{Op: "chown", Path: name, Err: err}
	}
	if !symlink {
		if err := unix.Fchmodat(dir, name, st.Mode&0o7777, 0); err != nil {
			return &os.PathError{Op: "chmod", Path: name, Err: err}
		}
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(dir, name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimes", Path: name, Err: err}
	}
	return nil
}

// copyXattrs copies every extended attribute the source carries. A destination
// filesystem without xattr support is tolerated when the source has none.
func copyXattrs(sfd, dfd int) error {
	names, err := listXattrs(sfd)
	if err != nil || len(names) == 0 {
		if err == unix.ENOTSUP {
			return nil
		}
		return err
	}
	val := make([]byte, 256)
	for _, n := range names {
		for {
			sz, err := unix.Fgetxattr(sfd, n, val)
			if err == unix.ERANGE {
				val = make([]byte, len(val)*4)
				continue
			}
			if err == unix.ENODATA {
				break
			}
			if err != nil {
				return fmt.Errorf("get %s: %w", n, err)
			}
			if err := unix.Fsetxattr(dfd, n, val[:sz], 0); err != nil {
				if err == unix.EPERM && strings.HasPrefix(n, "trusted.") {
					break // only root may copy trusted.*; the rest still counts
				}
				return fmt.Errorf("set %s: %w", n, err)
			}
			break
		}
	}
	return nil
}

func listXattrs(fd int) ([]string, error) {
	buf := make([]byte, 1024)
	for {
		n, err := unix.Flistxattr(fd, buf)
		if err == unix.ERANGE {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if err != nil {
			return nil, err
		}
		var names []string
		for _, s := range strings.Split(string(buf[:n]), "\x00") {
			if s != "" {
				names = append(names, s)
			}
		}
		return names, nil
	}
}
