// SPDX-License-Identifier: Apache-2.0

// Package driverhost finds osr driver binaries and runs them for osr: discovery in
// driver directories, explicit paths from the configuration, start-up with a
// timeout, and a clean kill of every driver it started.
package driverhost

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
	"github.com/open-sharedroot/osr/internal/paths"
)

// BinaryPrefix starts the file name of every driver binary: osr-driver-<name>.
const BinaryPrefix = "osr-driver-"

// DefaultDir is where installed drivers live: LIBEXECDIR/osr/drivers, compiled in
// (/usr/libexec/osr/drivers for a distribution package).
var DefaultDir = paths.DriverDir()

// EnvPath is the environment variable with extra driver directories, colon separated.
const EnvPath = "OSR_DRIVER_PATH"

// Candidate is a driver binary found on disk.
type Candidate struct {
	Name string
	Path string
}

// SearchDirs returns the directories searched for drivers, in order: those given on
// the command line, $OSR_DRIVER_PATH, those from the configuration, DefaultDir, and
// the directory osr itself was started from.
func SearchDirs(flagDirs []string, configDirs []string) []string {
	var dirs []string
	dirs = append(dirs, flagDirs...)
	if env := os.Getenv(EnvPath); env != "" {
		dirs = append(dirs, filepath.SplitList(env)...)
	}
	dirs = append(dirs, configDirs...)
	dirs = append(dirs, DefaultDir)
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	seen := map[string]bool{}
	out := dirs[:0]
	for _, d := range dirs {
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	return out
}

// Discover lists the driver binaries in dirs: executable regular files named
// osr-driver-<name>. When a name appears in several dirs the first dir wins.
// Directories that do not exist are skipped.
func Discover(dirs []string) ([]Candidate, error) {
	seen := map[string]bool{}
	var out []Candidate
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read driver dir: %w", err)
		}
		for _, e := range entries {
			name, ok := strings.CutPrefix(e.Name(), BinaryPrefix)
			if !ok || name == "" || seen[name] {
				continue
			}
			path := filepath.Join(dir, e.Name())
			if !isExecutable(path) {
				continue
			}
			seen[name] = true
			out = append(out, Candidate{Name: name, Path: path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// Options configure a Host.
type Options struct {
	// Dirs are searched in order (see SearchDirs).
	Dirs []string
	// Paths maps driver names to explicit binaries (driver "x" { path = … }).
	Paths map[string]string
	// Logger receives the drivers' logs, each under its driver's name.
	Logger hclog.Logger
	// StartTimeout bounds each driver's start; default plugin.DefaultStartTimeout.
	StartTimeout time.Duration
	// Timeouts bound every call to a driver; zero fields take driver's defaults.
	Timeouts driver.Timeouts
	// SocketDir is where drivers create their sockets; default the temp dir.
	SocketDir string
}

// Host starts drivers and kills them all on Close.
type Host struct {
	opts    Options
	mu      sync.Mutex
	running map[string]*Driver
}

// Driver is a running driver with what it said about itself.
type Driver struct {
	*plugin.Process
	Info *driver.Info
}

// New returns a host; it starts nothing until Start is called.
func New(opts Options) *Host {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	return &Host{opts: opts, running: map[string]*Driver{}}
}

// Find returns the binary for the named driver: an explicit path from the
// configuration, else the first osr-driver-<name> in the search dirs.
func (h *Host) Find(name string) (string, error) {
	if p, ok := h.opts.Paths[name]; ok && p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("driver %q: path %s from the configuration is not an executable file", name, p)
		}
		return p, nil
	}
	cands, err := Discover(h.opts.Dirs)
	if err != nil {
		return "", err
	}
	var names []string
	for _, c := range cands {
		if c.Name == name {
			return c.Path, nil
		}
		names = append(names, c.Name)
	}
	avail := "none"
	if len(names) > 0 {
		avail = strings.Join(names, ", ")
	}
	return "", fmt.Errorf("no driver %q: looked for %s%s in %s (drivers found: %s); install it, or pass --driver-dir, set %s, or give its path in driver %q { path = … }",
		name, BinaryPrefix, name, strings.Join(h.opts.Dirs, ", "), avail, EnvPath, name)
}

// Start runs the named driver (once; later calls return the same process) and asks
// it to describe itself.
func (h *Host) Start(ctx context.Context, name string) (*Driver, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if d, ok := h.running[name]; ok && !d.Exited() {
		return d, nil
	}
	path, err := h.Find(name)
	if err != nil {
		return nil, err
	}
	d, err := h.startPath(ctx, name, path)
	if err != nil {
		return nil, err
	}
	if d.Info.Name != name {
		d.Kill()
		return nil, fmt.Errorf("driver binary %s calls itself %q, not %q; rename it to %s%s", path, d.Info.Name, name, BinaryPrefix, d.Info.Name)
	}
	h.running[name] = d
	return d, nil
}

// StartPath runs the driver binary at path, whatever its name; the host kills it on
// Close.
func (h *Host) StartPath(ctx context.Context, path string) (*Driver, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.startPath(ctx, filepath.Base(path), path)
	if err != nil {
		return nil, err
	}
	h.running["path:"+path] = d
	return d, nil
}

func (h *Host) startPath(ctx context.Context, label, path string) (*Driver, error) {
	p, err := plugin.Launch(ctx, path, plugin.LaunchOptions{
		Logger:       h.opts.Logger.Named(strings.TrimPrefix(label, BinaryPrefix)),
		StartTimeout: h.opts.StartTimeout,
		Timeouts:     h.opts.Timeouts,
		SocketDir:    h.opts.SocketDir,
	})
	if err != nil {
		return nil, err
	}
	info, err := p.Describe(ctx)
	if err != nil {
		p.Kill()
		return nil, err
	}
	p.SetName(info.Name)
	return &Driver{Process: p, Info: info}, nil
}

// Close kills every driver the host started, with every process in their
// process groups, and waits for them; the drivers are killed in parallel, so a
// stuck one does not hold up the others.
func (h *Host) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	var wg sync.WaitGroup
	for k, d := range h.running {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.Kill()
		}()
		delete(h.running, k)
	}
	wg.Wait()
}
