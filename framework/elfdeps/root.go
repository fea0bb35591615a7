// SPDX-License-Identifier: Apache-2.0

package elfdeps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"

	"github.com/open-sharedroot/osr/framework/internal/inroot"
)

// errNotFound marks a path that does not exist inside the root.
var errNotFound = errors.New("not found")

// fsRoot reads paths inside a root directory: absolute paths are taken
// relative to the root and symlinks resolve inside it (an absolute link
// target, or ".." above the top, stays in the root), the way the files
// appear to a process chrooted there.
type fsRoot struct {
	dir string

	mu    sync.Mutex
	lstat map[string]entry
}

// entry is what lstat told about one path inside the root.
type entry struct {
	mode   fs.FileMode
	target string // for symlinks
	err    error
}

func newRoot(dir string) *fsRoot {
	return &fsRoot{dir: dir, lstat: map[string]entry{}}
}

// host returns the host path of p, a clean absolute path inside the root.
func (r *fsRoot) host(p string) string {
	return filepath.Join(r.dir, filepath.FromSlash(p))
}

// stat lstats p (clean, absolute, inside the root), cached.
func (r *fsRoot) stat(p string) entry {
	r.mu.Lock()
	e, ok := r.lstat[p]
	r.mu.Unlock()
	if ok {
		return e
	}
	fi, err := os.Lstat(r.host(p))
	if err != nil {
		e.err = err
	} else {
		e.mode = fi.Mode()
		if e.mode&fs.ModeSymlink != 0 {
			e.target, e.err = os.Readlink(r.host(p))
		}
	}
	r.mu.Lock()
	r.lstat[p] = e
	r.mu.Unlock()
	return e
}

// Lstat implements inroot.FS from the cache.
func (r *fsRoot) Lstat(p string) (fs.FileMode, string, error) {
	e := r.stat(p)
	return e.mode, e.target, e.err
}

// resolve follows p inside the root (framework/internal/inroot). It returns
// every symlink met on the way, directories included (/lib → usr/lib), in the
// order met, and the final path, which is not a symlink. A missing path gives
// an error wrapping errNotFound.
func (r *fsRoot) resolve(p string) (links []File, final string, err error) {
	if !path.IsAbs(p) {
		p = "/" + p
	}
	res := inroot.Resolver{FS: r, OnLink: func(l inroot.Link) { links = append(links, File{Path: l.Path, Link: l.Target}) }}
	final, err = res.Resolve(p, true)
	switch {
	case err == nil:
		return links, final, nil
	case errors.Is(err, fs.ErrNotExist):
		return links, "", fmt.Errorf("%s: %w", p, errNotFound)
	case errors.Is(err, inroot.ErrTooManyLinks):
		return links, "", fmt.Errorf("resolve %s in %s: more than %d symbolic links (a loop?)", p, r.dir, inroot.MaxLinks)
	}
	return links, "", fmt.Errorf("resolve %s in %s: %w", p, r.dir, err)
}
