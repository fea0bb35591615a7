// SPDX-License-Identifier: Apache-2.0

package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/internal/inroot"
)

// Resolve returns the physical name that name refers to: every symlink on the way is
// followed inside the root (an absolute target starts again at the root, ".." stops
// at the root). Components that do not exist are kept as they are, like realpath -m.
// The walk is osr's one in-root resolver (framework/internal/inroot); every lstat
// and readlink it makes goes through the root's descriptor with openat2.
//
// When subst is not nil it is called with every intermediate resolved name; a
// non-empty result replaces that prefix. It lets a caller map a directory that is
// only a mount point (the CDSL link dir) onto the tree that is mounted there.
func (f *FS) Resolve(name string, subst func(string) string) (string, error) {
	return f.resolve(name, subst)
}

// ResolveParent is Resolve for everything but the last component, which is kept
// even when it is a symlink.
func (f *FS) ResolveParent(name string, subst func(string) string) (string, error) {
	n := Clean(name)
	if n == "" {
		return "", nil
	}
	dir, base := path.Split(n)
	d, err := f.resolve(dir, subst)
	if err != nil {
		return "", err
	}
	return path.Join(d, base), nil
}

func (f *FS) resolve(name string, subst func(string) string) (string, error) {
	r := inroot.Resolver{FS: confined{f}}
	if subst != nil {
		// inroot speaks absolute paths, subst names relative to the root.
		r.Subst = func(p string) string {
			if s := subst(Clean(p)); s != "" {
				return "/" + Clean(s)
			}
			return ""
		}
	}
	p, err := r.Resolve("/"+Clean(name), true)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		// The rest does not exist: it is kept lexically.
		return Clean(p), nil
	case errors.Is(err, inroot.ErrTooManyLinks):
		return "", fmt.Errorf("resolve %s: too many levels of symbolic links", Clean(name))
	}
	return "", err
}

// confined is the tree as inroot reads it, every access through openat2.
type confined struct{ f *FS }

func (c confined) Lstat(p string) (fs.FileMode, string, error) {
	st, err := c.f.Lstat(p)
	if err != nil {
		return 0, "", err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		target, err := c.f.Readlink(p)
		return fs.ModeSymlink, target, err
	case unix.S_IFDIR:
		return fs.ModeDir, "", nil
	}
	return 0, "", nil
}
