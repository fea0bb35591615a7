package rootfs

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// maxLinks bounds the symlinks one resolution follows, as the kernel's ELOOP does.
const maxLinks = 40

// Resolve returns the physical name that name refers to: every symlink on the way is
// followed inside the root (an absolute target starts again at the root, ".." stops
// at the root). Components that do not exist are kept as they are, like realpath -m.
//
// When subst is not nil it is called with every intermediate resolved name; a
// non-empty result replaces that prefix. It lets a caller map a directory that is
// only a mount point (the CDSL link dir) onto the tree that is mounted there.
func (f *FS) Resolve(name string, subst func(string) string) (string, error) {
	return f.resolve(name, subst, true)
}

// ResolveParent is Resolve for everything but the last component, which is kept
// even when it is a symlink.
func (f *FS) ResolveParent(name string, subst func(string) string) (string, error) {
	n := Clean(name)
	if n == "" {
		return "", nil
	}
	dir, base := path.Split(n)
	d, err := f.resolve(dir, subst, true)
	if err != nil {
		return "", err
	}
	return path.Join(d, base), nil
}

func (f *FS) resolve(name string, subst func(string) string, followLast bool) (string, error) {
	pending := strings.Split(Clean(name), "/")
	done := ""
	links := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			done = path.Dir(done)
			if done == "." {
				done = ""
			}
			continue
		}
		next := path.Join(done, c)
		if subst != nil {
			if r := subst(next); r != "" {
				next = r
			}
		}
		if len(pending) == 0 && !followLast {
			done = next
			break
		}
		st, err := f.Lstat(next)
		if err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
				// The rest does not exist: keep it lexically.
				done = Clean(path.Join(append([]string{next}, pending...)...))
				return done, nil
			}
			return "", err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			done = next
			continue
		}
		links++
		if links > maxLinks {
			return "", fmt.Errorf("resolve %s: too many levels of symbolic links", Clean(name))
		}
		target, err := f.Readlink(next)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			done = ""
		} else if done = path.Dir(next); done == "." {
			done = ""
		}
		pending = append(strings.Split(target, "/"), pending...)
	}
	return done, nil
}
