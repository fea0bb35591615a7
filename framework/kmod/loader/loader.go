// SPDX-License-Identifier: Apache-2.0

// Package loader is the boot side of framework/kmod: it loads kernel
// modules from the image's /lib/modules/<version> into the running kernel
// with finit_module(2), dependencies first and independent modules
// concurrently, and finds the drivers for the hardware the init sees by
// matching the modaliases under /sys against modules.alias, as udev and
// modprobe would.
//
// Compressed modules (.ko.zst, .ko.xz, .ko.gz) are handed to the kernel
// as they are with MODULE_INIT_COMPRESSED_FILE when the kernel decompresses
// that format itself (<sysfs>/module/compression), and otherwise
// decompressed into a memfd first. A module that is already loaded
// (EEXIST) counts as loaded.
//
// # Modules this machine cannot use
//
// A name the loader is asked for (a module, or an alias such as
// "crypto-crc32c") may be provided by several modules: modules.alias maps
// crc32c to both crc32c_intel (SSE4.2) and crc32c_generic. As modprobe
// does, the loader tries all of them, and the name counts as loaded when
// one of them loads. A module whose init says it does not fit this machine
// (ErrUnsupported: the errnos are listed there) is logged and skipped;
// only a requested name none of whose modules loads is an error, and the
// error names every module tried and why it failed. Soft dependencies
// (modules.softdep) are resolved the same way but never fail the module
// that declares them; a hard dependency (modules.dep) that fails makes
// the module that needs it fail too, with the dependency's reason.
package loader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/open-sharedroot/osr/framework/kmod"
	"golang.org/x/sys/unix"
)

// Kernel is the module-loading interface of the running kernel. Tests
// replace it with a fake; the default calls finit_module(2).
type Kernel interface {
	// FinitModule loads the module in f (read from offset 0) with the
	// parameters params and the MODULE_INIT_* flags.
	FinitModule(f *os.File, params string, flags int) error
}

// Options adjust a Loader. The zero value loads into the running kernel.
type Options struct {
	// Kernel receives the finit_module calls; nil means the running kernel.
	Kernel Kernel
	// Concurrency bounds the modules being inserted at once; 0 means
	// GOMAXPROCS.
	Concurrency int
	// Params are module parameters by module name ("-" and "_" alike),
	// e.g. from CmdlineOptions.
	Params map[string]string
	// Blacklist names modules never loaded for hardware (LoadHardware);
	// explicit Load requests still load them, as with modprobe.
	Blacklist []string
	// KernelCompression is the module compression the kernel decompresses
	// itself ("zstd", "xz", "gzip") or "" for none; see KernelCompression.
	KernelCompression string
	// Logf, when set, receives one line per module loaded or failed.
	Logf func(format string, args ...any)
}

// Loader loads modules of one kernel. It remembers every module it has
// scheduled, so loading a module twice, or from concurrent calls, inserts
// it once. It is safe for concurrent use.
type Loader struct {
	ix        *kmod.Index
	kernel    Kernel
	sem       chan struct{}
	params    map[string]string
	blacklist map[string]bool
	kcomp     string
	logf      func(format string, args ...any)

	mu   sync.Mutex
	jobs map[string]*job
}

// job is the load of one module; done closes when err is final.
type job struct {
	name string
	done chan struct{}
	err  error
}

// need is a name asked for (a Load argument or a soft dependency) and the
// jobs of the modules that provide it; it is met when the kernel has it
// built in or when one of the jobs succeeds.
type need struct {
	name    string
	builtin bool
	jobs    []*job
}

// unmet returns nil when n is met (its jobs must be done), else an error
// naming every module tried and why it failed.
func (n *need) unmet() error {
	if n.builtin {
		return nil
	}
	var errs []error
	for _, j := range n.jobs {
		if j.err == nil {
			return nil
		}
		errs = append(errs, j.err)
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return &providersError{name: n.name, errs: errs}
}

// providersError says that none of the modules providing a name loaded.
type providersError struct {
	name string
	errs []error
}

func (e *providersError) Error() string {
	parts := make([]string, len(e.errs))
	for i, err := range e.errs {
		parts[i] = err.Error()
	}
	return fmt.Sprintf("load %s: none of the %d modules providing it loaded: %s", e.name, len(e.errs), strings.Join(parts, "; "))
}

func (e *providersError) Unwrap() []error { return e.errs }

// Open reads the module index of modulesDir (the image's
// /lib/modules/<version>) and returns a Loader for it.
func Open(modulesDir string, opts Options) (*Loader, error) {
	ix, err := kmod.Load(modulesDir)
	if err != nil {
		return nil, fmt.Errorf("module loader: %w", err)
	}
	return New(ix, opts), nil
}

// New returns a Loader for an index already read.
func New(ix *kmod.Index, opts Options) *Loader {
	l := &Loader{
		ix:        ix,
		kernel:    opts.Kernel,
		params:    map[string]string{},
		blacklist: map[string]bool{},
		kcomp:     opts.KernelCompression,
		logf:      opts.Logf,
		jobs:      map[string]*job{},
	}
	if l.kernel == nil {
		l.kernel = runningKernel{}
	}
	n := opts.Concurrency
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	l.sem = make(chan struct{}, n)
	for name, p := range opts.Params {
		l.params[kmod.Normalize(name)] = p
	}
	for _, name := range opts.Blacklist {
		l.blacklist[kmod.Normalize(name)] = true
	}
	if l.logf == nil {
		l.logf = func(string, ...any) {}
	}
	return l
}

// Index returns the module index the loader reads.
func (l *Loader) Index() *kmod.Index { return l.ix }

// Load loads the named modules (names or aliases, e.g. "fs-gfs2"), each
// after its dependencies (modules.dep) and pre soft dependencies, and
// with its post soft dependencies; names the kernel has built in need
// nothing. A name several modules provide (an alias such as "crc32c") is
// loaded when one of them loads; the others may fail. It returns when all
// of them are loaded or have failed; the error joins one error per name
// that did not load, naming each module tried, its file and what to
// check (it wraps ErrUnsupported when a module does not fit this
// machine). Failed soft dependencies are only logged.
func (l *Loader) Load(ctx context.Context, names ...string) error {
	var errs []error
	var needs []*need
	var all []*job
	for _, name := range names {
		mods, builtin, err := l.ix.Lookup(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("load module: %w", err))
			continue
		}
		n := &need{name: name, builtin: builtin}
		for _, m := range mods {
			j, err := l.schedule(ctx, m, nil, map[string]bool{}, &all)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			n.jobs = append(n.jobs, j)
		}
		needs = append(needs, n)
	}
	for _, j := range all {
		<-j.done
	}
	for _, n := range needs {
		if err := n.unmet(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// loadEach schedules mods, each on its own (no module stands in for
// another), waits for everything scheduled and returns the failures.
func (l *Loader) loadEach(ctx context.Context, mods []*kmod.Module) map[string]error {
	var all, top []*job
	failed := map[string]error{}
	for _, m := range mods {
		j, err := l.schedule(ctx, m, nil, map[string]bool{}, &all)
		if err != nil {
			failed[m.Name] = err
			continue
		}
		top = append(top, j)
	}
	for _, j := range all {
		<-j.done
	}
	for _, j := range top {
		if j.err != nil {
			failed[j.name] = j.err
		}
	}
	return failed
}

// schedule returns the job loading m, starting it (and its dependencies)
// when it is new. after are jobs m must wait for without depending on
// them (m is their post soft dependency). path holds the modules on the
// dependency chain being scheduled, to report cycles instead of waiting
// forever. Every job touched is appended to all.
func (l *Loader) schedule(ctx context.Context, m *kmod.Module, after []*job, path map[string]bool, all *[]*job) (*job, error) {
	if path[m.Name] {
		return nil, fmt.Errorf("load module %s: dependency cycle in %s (%s)", m.Name, kmod.FileDep, "run depmod to rebuild the index")
	}
	l.mu.Lock()
	if j, ok := l.jobs[m.Name]; ok {
		l.mu.Unlock()
		*all = append(*all, j)
		return j, nil
	}
	j := &job{name: m.Name, done: make(chan struct{})}
	l.jobs[m.Name] = j
	l.mu.Unlock()
	*all = append(*all, j)

	path[m.Name] = true
	defer delete(path, m.Name)
	var hard []*job
	var cycle error
	for _, d := range m.Deps {
		dm, ok := l.ix.Module(d)
		if !ok {
			continue // built in, or an index the kernel tree does not match; the kernel will tell
		}
		dj, err := l.schedule(ctx, dm, nil, path, all)
		if err != nil {
			cycle = err
			continue
		}
		hard = append(hard, dj)
	}
	sd := l.ix.Softdep(m.Name)
	var soft []*need
	for _, name := range sd.Pre {
		n, mods := l.softNeed(name)
		for _, pm := range mods {
			if pj, err := l.schedule(ctx, pm, nil, path, all); err == nil {
				n.jobs = append(n.jobs, pj)
			}
		}
		soft = append(soft, n)
	}
	go l.run(ctx, j, m, hard, soft, after, cycle)
	for _, name := range sd.Post {
		_, mods := l.softNeed(name)
		for _, pm := range mods {
			// A post softdep loads after m; it is not on m's dependency chain.
			_, _ = l.schedule(ctx, pm, []*job{j}, map[string]bool{}, all)
		}
	}
	return j, nil
}

// softNeed resolves a soft dependency into a need and the modules that
// provide it; a missing one is no error.
func (l *Loader) softNeed(name string) (*need, []*kmod.Module) {
	mods, builtin, err := l.ix.Lookup(name)
	if err != nil {
		l.logf("module soft dependency %s: not in this kernel, skipped", name)
	}
	return &need{name: name, builtin: builtin}, mods
}

// run waits for the dependencies of m, then inserts it.
func (l *Loader) run(ctx context.Context, j *job, m *kmod.Module, hard []*job, soft []*need, after []*job, cycle error) {
	defer func() {
		if j.err != nil && !errors.Is(j.err, ErrUnsupported) {
			// Forget the failure so a later Load (a retry from the rescue
			// shell) tries again; waiters still see this attempt's error.
			// A module that does not fit this machine is remembered: the
			// machine does not change during the boot.
			l.mu.Lock()
			if l.jobs[m.Name] == j {
				delete(l.jobs, m.Name)
			}
			l.mu.Unlock()
		}
		close(j.done)
	}()
	for _, d := range hard {
		<-d.done
	}
	for _, n := range soft {
		for _, d := range n.jobs {
			<-d.done
		}
	}
	for _, d := range after {
		<-d.done
	}
	if cycle != nil {
		j.err = cycle
		return
	}
	for _, d := range hard {
		if d.err != nil {
			j.err = fmt.Errorf("load module %s: dependency %s failed: %w", m.Name, d.name, d.err)
			l.logf("module %s: not loaded, dependency %s failed", m.Name, d.name)
			return
		}
	}
	for _, n := range soft {
		if err := n.unmet(); err != nil {
			l.logf("module %s: soft dependency %s did not load, loading %s without it", m.Name, n.name, m.Name)
		}
	}
	if err := ctx.Err(); err != nil {
		j.err = fmt.Errorf("load module %s: %w", m.Name, err)
		return
	}
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		j.err = fmt.Errorf("load module %s: %w", m.Name, ctx.Err())
		return
	}
	j.err = l.insert(m)
	<-l.sem
	switch {
	case j.err == nil:
		l.logf("module %s: loaded", m.Name)
	case errors.Is(j.err, ErrUnsupported):
		l.logf("module %s: skipped: %v", m.Name, j.err)
	default:
		l.logf("module %s: %v", m.Name, j.err)
	}
}

// CmdlineOptions reads the module options of a kernel command line, as
// modprobe does: "name.param=value" words become Params (joined with
// spaces per module) and "modprobe.blacklist=a,b" the Blacklist.
func CmdlineOptions(cmdline string) (params map[string]string, blacklist []string) {
	params = map[string]string{}
	for _, w := range strings.Fields(cmdline) {
		key, val, hasVal := strings.Cut(w, "=")
		mod, param, ok := strings.Cut(key, ".")
		if !ok || mod == "" || param == "" || strings.ContainsAny(mod, "/") {
			continue
		}
		if mod == "modprobe" && param == "blacklist" {
			for _, b := range strings.Split(val, ",") {
				if b != "" {
					blacklist = append(blacklist, kmod.Normalize(b))
				}
			}
			continue
		}
		p := param
		if hasVal {
			p += "=" + val
		}
		mod = kmod.Normalize(mod)
		if params[mod] != "" {
			p = params[mod] + " " + p
		}
		params[mod] = p
	}
	return params, blacklist
}

// runningKernel loads modules into the running kernel.
type runningKernel struct{}

func (runningKernel) FinitModule(f *os.File, params string, flags int) error {
	return unix.FinitModule(int(f.Fd()), params, flags)
}
