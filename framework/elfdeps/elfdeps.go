// SPDX-License-Identifier: Apache-2.0

// Package elfdeps computes what an executable needs to run: its ELF
// interpreter (PT_INTERP), the shared libraries of DT_NEEDED found the
// way glibc's ld.so finds them (DT_RPATH, DT_RUNPATH with $ORIGIN, $LIB
// and $PLATFORM, /etc/ld.so.cache, the distribution's library
// directories), recursively, and every symlink on the way, directory
// links such as merged-usr's /lib → usr/lib included, so an initrd that
// copies the result holds working paths.
//
// All paths are resolved inside a root directory (a chroot, sysroot or
// the host's /), reading its own ld.so.cache. Parsed files are cached in
// the Resolver, and files are parsed in parallel.
//
//	r, err := elfdeps.New(elfdeps.Options{Root: "/"})
//	res, err := r.Closure(ctx, "/usr/sbin/mkfs.gfs2")
//	if err := res.Err(); err != nil { … } // a library was not found
//	for _, f := range res.Files { … }      // f.Link != "" for symlinks
package elfdeps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// File is one path the closure holds, inside the root.
type File struct {
	// Path is absolute and clean, as seen inside the root.
	Path string
	// Link is the target of a symbolic link exactly as stored; "" for a
	// regular file.
	Link string
}

// Missing is a library no search path held.
type Missing struct {
	// Library is the DT_NEEDED name (or the interpreter path).
	Library string
	// By is the path of the object that needs it.
	By string
	// Searched are the directories tried, in order.
	Searched []string
}

// Result is the closure of a set of files.
type Result struct {
	// Files are the inputs, their interpreters and libraries and every
	// symlink leading to them, sorted by Path, each once.
	Files []File
	// Missing are the libraries not found, sorted.
	Missing []Missing
}

// Err returns an error naming every missing library, or nil.
func (r *Result) Err() error {
	var errs []error
	for _, m := range r.Missing {
		errs = append(errs, fmt.Errorf("%s needs %s, not found in %s (install the package that ships it into the root, or run ldconfig there)",
			m.By, m.Library, strings.Join(m.Searched, ":")))
	}
	return errors.Join(errs...)
}

// Options configure a Resolver; the zero value resolves on the host.
type Options struct {
	// Root is the directory the files live in; "" means "/".
	Root string
	// LDCache is the ld.so.cache path inside Root; "" means
	// /etc/ld.so.cache. A missing cache is not an error.
	LDCache string
	// NoLDCache skips the cache: only RPATH, RUNPATH and LibDirs count.
	NoLDCache bool
	// LibDirs replace the default directories searched last; see
	// DefaultLibDirs.
	LibDirs []string
	// Lib is what $LIB expands to ("lib64", "lib/x86_64-linux-gnu");
	// "" means the layout the root has for the object's machine.
	Lib string
	// Platform is what $PLATFORM expands to; "" means the machine's
	// usual name (x86_64, i686, aarch64…).
	Platform string
	// Concurrency bounds the files parsed at once; 0 means GOMAXPROCS.
	Concurrency int
}

// Resolver computes ELF closures inside one root. It caches the files it
// parsed and is safe for concurrent use.
type Resolver struct {
	opts  Options
	root  *fsRoot
	cache *LDCache
	sem   chan struct{}

	mu      sync.Mutex
	objects map[string]*objectEntry
}

type objectEntry struct {
	done chan struct{}
	obj  *object
	err  error
}

// New returns a Resolver for opts.Root, reading its ld.so.cache.
func New(opts Options) (*Resolver, error) {
	if opts.Root == "" {
		opts.Root = "/"
	}
	if opts.LDCache == "" {
		opts.LDCache = "/etc/ld.so.cache"
	}
	n := opts.Concurrency
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	r := &Resolver{opts: opts, root: newRoot(opts.Root), sem: make(chan struct{}, n), objects: map[string]*objectEntry{}}
	if !opts.NoLDCache {
		_, final, err := r.root.resolve(opts.LDCache)
		if err == nil {
			data, rerr := os.ReadFile(r.root.host(final))
			if rerr != nil {
				return nil, fmt.Errorf("read %s in %s: %w", opts.LDCache, opts.Root, rerr)
			}
			if r.cache, err = ParseLDCache(data); err != nil {
				return nil, fmt.Errorf("%s in %s: %w (run ldconfig -r %s to rebuild it)", opts.LDCache, opts.Root, err, opts.Root)
			}
		} else if !errors.Is(err, errNotFound) {
			return nil, err
		}
	}
	return r, nil
}

// LDCache returns the parsed ld.so.cache of the root, nil without one.
func (r *Resolver) LDCache() *LDCache { return r.cache }

// object returns the parsed file at final (a resolved path inside the
// root), parsing it once however many goroutines ask.
func (r *Resolver) object(final string) (*object, error) {
	r.mu.Lock()
	e, ok := r.objects[final]
	if !ok {
		e = &objectEntry{done: make(chan struct{})}
		r.objects[final] = e
	}
	r.mu.Unlock()
	if ok {
		<-e.done
		return e.obj, e.err
	}
	r.sem <- struct{}{}
	e.obj, e.err = readObject(r.root.host(final))
	<-r.sem
	if e.err != nil {
		e.err = fmt.Errorf("%s (in %s): %w", final, r.opts.Root, e.err)
	}
	close(e.done)
	return e.obj, e.err
}

// Closure returns the files paths (absolute, inside the root) need to
// run: themselves, their interpreters and shared libraries, recursively,
// with all symlinks on the way. A path that does not exist is an error;
// a library that cannot be found is reported in Result.Missing.
func (r *Resolver) Closure(ctx context.Context, paths ...string) (*Result, error) {
	w := &walk{r: r, ctx: ctx, files: map[string]File{}, seen: map[string]bool{}, missing: map[string]Missing{}}
	for _, p := range paths {
		links, final, err := r.root.resolve(p)
		if err != nil {
			if errors.Is(err, errNotFound) {
				return nil, fmt.Errorf("closure of %s in %s: %w (no such file)", p, r.opts.Root, fs.ErrNotExist)
			}
			return nil, err
		}
		w.addFiles(links, final)
		// The kernel resolves an executable's symlinks: $ORIGIN is the
		// directory of the real file.
		w.visit(final, path.Dir(final), nil)
	}
	w.wg.Wait()
	if len(w.errs) > 0 {
		return nil, errors.Join(w.errs...)
	}
	res := &Result{Files: make([]File, 0, len(w.files))}
	for _, f := range w.files {
		res.Files = append(res.Files, f)
	}
	sort.Slice(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	for _, m := range w.missing {
		res.Missing = append(res.Missing, m)
	}
	sort.Slice(res.Missing, func(i, j int) bool {
		a, b := res.Missing[i], res.Missing[j]
		return a.Library < b.Library || a.Library == b.Library && a.By < b.By
	})
	return res, nil
}

// walk is one Closure computation.
type walk struct {
	r   *Resolver
	ctx context.Context
	wg  sync.WaitGroup

	mu      sync.Mutex
	files   map[string]File
	seen    map[string]bool // final path + RPATH chain already visited
	missing map[string]Missing
	errs    []error
}

func (w *walk) addFiles(links []File, final string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range links {
		w.files[l.Path] = l
	}
	w.files[final] = File{Path: final}
}

func (w *walk) fail(err error) {
	w.mu.Lock()
	w.errs = append(w.errs, err)
	w.mu.Unlock()
}

// visit schedules the dependencies of the object at final, found in
// directory origin ($ORIGIN), loaded by the chain of objects whose
// RPATHs it inherits.
func (w *walk) visit(final, origin string, chain []rpathScope) {
	key := final + "\x00" + chainKey(chain)
	w.mu.Lock()
	if w.seen[key] {
		w.mu.Unlock()
		return
	}
	w.seen[key] = true
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		if err := w.ctx.Err(); err != nil {
			w.fail(err)
			return
		}
		o, err := w.r.object(final)
		if err != nil {
			w.fail(err)
			return
		}
		w.deps(final, origin, o, chain)
	}()
}

// deps resolves the interpreter and DT_NEEDED of o and visits them.
func (w *walk) deps(final, origin string, o *object, chain []rpathScope) {
	if o.interp != "" {
		links, ifinal, err := w.r.root.resolve(o.interp)
		switch {
		case errors.Is(err, errNotFound):
			w.addMissing(Missing{Library: o.interp, By: final})
		case err != nil:
			w.fail(err)
		default:
			w.addFiles(links, ifinal)
			w.visit(ifinal, path.Dir(ifinal), nil)
		}
	}
	if !o.isELF {
		return
	}
	// Objects without DT_RUNPATH pass their DT_RPATH down to what they load.
	if !o.hasRunpath && len(o.rpath) > 0 {
		chain = append(append([]rpathScope(nil), chain...), rpathScope{dirs: o.rpath, origin: origin})
	}
	for _, name := range o.needed {
		found, searched, err := w.r.search(name, origin, o, chain)
		if err != nil {
			w.fail(err)
			continue
		}
		if found == nil {
			w.addMissing(Missing{Library: name, By: final, Searched: searched})
			continue
		}
		w.addFiles(found.links, found.final)
		w.visit(found.final, path.Dir(found.path), chain)
	}
}

func (w *walk) addMissing(m Missing) {
	w.mu.Lock()
	w.missing[m.Library+"\x00"+m.By] = m
	w.mu.Unlock()
}
