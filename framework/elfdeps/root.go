package elfdeps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// maxSymlinks bounds the links followed while resolving one path, as the
// kernel's ELOOP limit does.
const maxSymlinks = 40

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

// resolve follows p inside the root. It returns every symlink met on the
// way, directories included (/lib → usr/lib), in the order met, and the
// final path, which is not a symlink. A missing path gives an error
// wrapping errNotFound.
func (r *fsRoot) resolve(p string) (links []File, final string, err error) {
	if !path.IsAbs(p) {
		p = "/" + p
	}
	rest := splitPath(p)
	cur := "/"
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		e := r.stat(next)
		if e.err != nil {
			if errors.Is(e.err, fs.ErrNotExist) || errors.Is(e.err, syscall.ENOTDIR) {
				return links, "", fmt.Errorf("%s: %w", p, errNotFound)
			}
			return links, "", fmt.Errorf("resolve %s in %s: %w", p, r.dir, e.err)
		}
		if e.mode&fs.ModeSymlink == 0 {
			if len(rest) > 0 && !e.mode.IsDir() {
				return links, "", fmt.Errorf("%s: %s is not a directory: %w", p, next, errNotFound)
			}
			cur = next
			continue
		}
		hops++
		if hops > maxSymlinks {
			return links, "", fmt.Errorf("resolve %s in %s: more than %d symbolic links (a loop?)", p, r.dir, maxSymlinks)
		}
		links = append(links, File{Path: next, Link: e.target})
		if path.IsAbs(e.target) {
			cur = "/"
		}
		rest = append(splitPath(e.target), rest...)
	}
	return links, cur, nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}
