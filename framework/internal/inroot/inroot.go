// SPDX-License-Identifier: Apache-2.0

// Package inroot resolves paths inside a root directory (a sysroot, a chroot or
// "/") the way the kernel would after chroot(2): symbolic links are followed,
// and an absolute link target or a ".." never leaves the root. A link in a
// sysroot can therefore never make osr read a file of the host. It is the one
// resolver of osr: listfiles, ELF dependencies, the build's binary lookup and
// the CDSL tools (through their openat2-confined FS) all use it.
//
// Paths are slash-separated and absolute, relative to the root ("/usr/bin").
// Resolve and Chain read the tree under a host directory; a Resolver reads
// any tree through its FS and can report every link it follows or see
// through mount points.
package inroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxLinks is how many symbolic links one resolution follows before it gives up,
// the same limit as Linux's.
const MaxLinks = 40

// ErrTooManyLinks is returned when a path holds a symbolic link loop.
var ErrTooManyLinks = errors.New("too many levels of symbolic links")

// FS is the tree a Resolver reads.
type FS interface {
	// Lstat returns the type bits of p (a clean absolute path inside the
	// root; fs.ModeSymlink, fs.ModeDir, …) and, for a symbolic link, its
	// target as stored.
	Lstat(p string) (mode fs.FileMode, target string, err error)
}

// Link is one symbolic link met on the way to a file: Path (root-relative, its
// directory already resolved) holds Target, the link text as stored.
type Link struct {
	Path   string
	Target string
}

// Resolver follows paths inside the tree FS reads.
type Resolver struct {
	FS FS
	// Subst, when set, is called with every path reached; a non-empty
	// result replaces it. It lets a caller see through a directory that is
	// only a mount point onto the tree mounted there.
	Subst func(p string) string
	// OnLink, when set, hears of every symbolic link followed, in order,
	// directories included (/lib → usr/lib).
	OnLink func(Link)
}

// Resolve returns the root-relative absolute path that p names once every
// symbolic link in it is followed; with followLast false a link in the last
// element is kept. If an element does not exist (or is no directory but has
// elements after it), Resolve returns the path resolved so far joined with the
// rest, and an error that matches fs.ErrNotExist. A loop gives an error that
// matches ErrTooManyLinks.
func (r Resolver) Resolve(p string, followLast bool) (string, error) {
	rest := splitPath(p)
	cur := "/"
	links := 0
	for len(rest) > 0 {
		elem := rest[0]
		rest = rest[1:]
		switch elem {
		case ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, elem)
		if r.Subst != nil {
			if s := r.Subst(next); s != "" {
				next = s
			}
		}
		if len(rest) == 0 && !followLast {
			return next, nil
		}
		mode, target, err := r.FS.Lstat(next)
		if err != nil {
			if errors.Is(err, syscall.ENOTDIR) {
				err = &fs.PathError{Op: "resolve", Path: next, Err: fs.ErrNotExist}
			}
			return path.Join(append([]string{next}, rest...)...), err
		}
		if mode&fs.ModeSymlink == 0 {
			if len(rest) > 0 && !mode.IsDir() {
				return path.Join(append([]string{next}, rest...)...), &fs.PathError{Op: "resolve", Path: next, Err: fs.ErrNotExist}
			}
			cur = next
			continue
		}
		links++
		if links > MaxLinks {
			return next, &fs.PathError{Op: "resolve", Path: p, Err: ErrTooManyLinks}
		}
		if r.OnLink != nil {
			r.OnLink(Link{Path: next, Target: target})
		}
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		rest = append(splitPath(target), rest...)
	}
	return cur, nil
}

// Dir is the tree under the host directory root, read with lstat(2) and
// readlink(2).
type Dir string

// Lstat implements FS.
func (d Dir) Lstat(p string) (fs.FileMode, string, error) {
	host := Host(string(d), p)
	fi, err := os.Lstat(host)
	if err != nil {
		return 0, "", err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return fi.Mode().Type(), "", nil
	}
	target, err := os.Readlink(host)
	if err != nil {
		return 0, "", err
	}
	return fi.Mode().Type(), target, nil
}

// Host returns the host path of the root-relative absolute path p.
func Host(root, p string) string {
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, filepath.FromSlash(path.Clean("/"+p)))
}

// Resolve is Resolver.Resolve in the tree under the host directory root.
func Resolve(root, p string, followLast bool) (string, error) {
	return Resolver{FS: Dir(root)}.Resolve(p, followLast)
}

// Chain follows p to the object it finally names. It returns the symbolic links met
// in the last element (each with its directory resolved), the resolved path of the
// object and its fs.FileInfo (from Lstat, so never a link). A missing object gives an
// error that matches fs.ErrNotExist, together with the links met so far.
func Chain(root, p string) ([]Link, string, fs.FileInfo, error) {
	var links []Link
	cur := p
	for i := 0; ; i++ {
		if i > MaxLinks {
			return links, cur, nil, &fs.PathError{Op: "resolve", Path: p, Err: ErrTooManyLinks}
		}
		dirPart, base := splitLast(cur)
		if base == "" || base == "." || base == ".." {
			// The path names a directory through "." or "..": resolve it whole.
			name, err := Resolve(root, cur, true)
			if err != nil {
				return links, name, nil, err
			}
			fi, err := os.Lstat(Host(root, name))
			return links, name, fi, err
		}
		dir, err := Resolve(root, dirPart, true)
		if err != nil {
			return links, path.Join(dir, base), nil, err
		}
		name := path.Join(dir, base)
		fi, err := os.Lstat(Host(root, name))
		if err != nil {
			return links, name, nil, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return links, name, fi, nil
		}
		target, err := os.Readlink(Host(root, name))
		if err != nil {
			return links, name, nil, fmt.Errorf("read link %s: %w", name, err)
		}
		links = append(links, Link{Path: name, Target: target})
		if strings.HasPrefix(target, "/") {
			cur = target
		} else {
			// Keep the target unclean: Resolve handles ".." through links correctly.
			cur = dir + "/" + target
		}
	}
}

// splitLast splits a slash path into everything before its last element and that
// element, without cleaning either.
func splitLast(p string) (string, string) {
	p = strings.TrimRight(p, "/")
	i := strings.LastIndex(p, "/")
	if i < 0 {
		return "/", p
	}
	return p[:i+1], p[i+1:]
}

// splitPath splits a slash path into its elements, dropping empty ones.
func splitPath(p string) []string {
	var out []string
	for _, e := range strings.Split(p, "/") {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}
