// SPDX-License-Identifier: Apache-2.0

package testkernel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
)

// Options control Fetch.
type Options struct {
	// CacheDir holds the unpacked kernels; see CacheDir for the default.
	CacheDir string
	// Package is the kernel package to fetch; empty means the one
	// MetaPackage depends on.
	Package string
	// Log receives the output of the tools Fetch runs; nil discards it.
	Log io.Writer
}

// completeMarker is written into a tree once it is fully unpacked and
// depmod has run; a tree without it is never used.
const completeMarker = ".osr-complete"

// Fetch returns the kernel named by opts, downloading and unpacking it into
// the cache when it is not there yet. It is safe to call from concurrent
// processes sharing one cache.
func Fetch(ctx context.Context, opts Options) (Kernel, error) {
	if opts.CacheDir == "" {
		opts.CacheDir = CacheDir()
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	base := filepath.Join(opts.CacheDir, "kernel")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return Kernel{}, fmt.Errorf("create kernel cache (set %s to a writable directory): %w", EnvCache, err)
	}
	pkg := opts.Package
	if pkg == "" {
		var err error
		if pkg, err = CurrentPackage(ctx); err != nil {
			// Offline or not Debian: a single cached kernel is still usable.
			if k, ok := onlyCached(base); ok {
				return k, nil
			}
			return Kernel{}, err
		}
	}
	if strings.ContainsAny(pkg, "/ \t\n") || strings.HasPrefix(pkg, ".") {
		return Kernel{}, fmt.Errorf("invalid kernel package name %q", pkg)
	}
	dest := filepath.Join(base, pkg)
	if k, err := describe(pkg, dest); err == nil {
		return k, nil
	}

	lk := flock.New(filepath.Join(base, ".lock"))
	if err := lk.Lock(); err != nil {
		return Kernel{}, fmt.Errorf("lock %s: %w", lk.Path(), err)
	}
	defer lk.Unlock()
	// Another process may have finished the fetch while we waited.
	if k, err := describe(pkg, dest); err == nil {
		return k, nil
	}
	if err := fetchInto(ctx, opts.Log, pkg, base, dest); err != nil {
		return Kernel{}, fmt.Errorf("fetch kernel package %s into %s: %w", pkg, base, err)
	}
	return describe(pkg, dest)
}

// fetchInto downloads, unpacks and depmods pkg in a temporary directory
// under base and renames the result to dest. The caller holds the lock.
func fetchInto(ctx context.Context, log io.Writer, pkg, base, dest string) error {
	tmp, err := os.MkdirTemp(base, ".fetch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	deb, err := download(ctx, log, pkg, tmp)
	if err != nil {
		return err
	}
	root := filepath.Join(tmp, "root")
	if err := run(ctx, log, "", "dpkg", "-x", deb, root); err != nil {
		return err
	}
	if err := os.Remove(deb); err != nil {
		return err
	}
	version, err := moduleVersion(root)
	if err != nil {
		return err
	}
	// The package ships no modules.dep: its postinst runs depmod.
	if err := run(ctx, log, "", sbin("depmod"), "-b", root, version); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, completeMarker), []byte(pkg+"\n"), 0o644); err != nil {
		return err
	}
	// A tree without the marker is debris of a killed fetch.
	if err := os.RemoveAll(dest); err != nil {
		return err
	}
	return os.Rename(root, dest)
}

// download fetches pkg's .deb into dir and returns its path. When the
// package lists are stale (the archive dropped the version) and we are
// root, it refreshes them once and retries.
func download(ctx context.Context, log io.Writer, pkg, dir string) (string, error) {
	args := []string{"download"}
	if os.Geteuid() == 0 {
		// _apt cannot write into our private temp dir; download as root
		// instead of printing a sandbox warning.
		args = append(args, "-o", "APT::Sandbox::User=root")
	}
	args = append(args, pkg)
	err := run(ctx, log, dir, "apt-get", args...)
	if err != nil && os.Geteuid() == 0 {
		if uerr := run(ctx, log, "", "apt-get", "update", "-q"); uerr != nil {
			return "", errors.Join(err, uerr)
		}
		err = run(ctx, log, dir, "apt-get", args...)
	}
	if err != nil {
		return "", err
	}
	debs, err := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if err != nil {
		return "", err
	}
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download %s left %d .deb files in %s, want 1", pkg, len(debs), dir)
	}
	return debs[0], nil
}

// CurrentPackage asks apt which kernel package MetaPackage depends on.
func CurrentPackage(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "apt-cache", "depends", MetaPackage).Output()
	if err != nil {
		return "", fmt.Errorf("apt-cache depends %s (set %s to name a kernel package): %w", MetaPackage, EnvPackage, err)
	}
	return parseDepends(out)
}

// parseDepends picks the first "Depends: linux-image-…" line of
// `apt-cache depends` output.
func parseDepends(out []byte) (string, error) {
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-") {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("apt-cache depends %s names no linux-image-* package", MetaPackage)
}

// describe returns the Kernel of a complete tree at dir.
func describe(pkg, dir string) (Kernel, error) {
	if _, err := os.Stat(filepath.Join(dir, completeMarker)); err != nil {
		return Kernel{}, err
	}
	version, err := moduleVersion(dir)
	if err != nil {
		return Kernel{}, err
	}
	k := Kernel{
		Package:    pkg,
		Version:    version,
		Root:       dir,
		ModulesDir: filepath.Join(dir, "lib", "modules", version),
		Vmlinuz:    filepath.Join(dir, "boot", "vmlinuz-"+version),
		Config:     existing(filepath.Join(dir, "boot", "config-"+version)),
		SystemMap:  existing(filepath.Join(dir, "boot", "System.map-"+version)),
	}
	if _, err := os.Stat(k.Vmlinuz); err != nil {
		return Kernel{}, fmt.Errorf("kernel tree %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(k.ModulesDir, "modules.dep")); err != nil {
		return Kernel{}, fmt.Errorf("kernel tree %s: %w", dir, err)
	}
	return k, nil
}

// onlyCached returns the cached kernel when exactly one complete tree exists.
func onlyCached(base string) (Kernel, bool) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return Kernel{}, false
	}
	var found []Kernel
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if k, err := describe(e.Name(), filepath.Join(base, e.Name())); err == nil {
			found = append(found, k)
		}
	}
	if len(found) != 1 {
		return Kernel{}, false
	}
	return found[0], true
}

// moduleVersion returns the single directory name under root/lib/modules.
func moduleVersion(root string) (string, error) {
	dir := filepath.Join(root, "lib", "modules")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var versions []string
	for _, e := range entries {
		if e.IsDir() {
			versions = append(versions, e.Name())
		}
	}
	if len(versions) != 1 {
		return "", fmt.Errorf("%s holds %d kernel versions %v, want exactly 1", dir, len(versions), versions)
	}
	return versions[0], nil
}

func existing(path string) string {
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return path
}

// sbin finds a tool that non-root PATHs often lack.
func sbin(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return name
}

// run runs a command, sending its output to log and quoting it in the error.
func run(ctx context.Context, log io.Writer, dir, name string, args ...string) error {
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(log, &buf)
	cmd.Stderr = io.MultiWriter(log, &buf)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, strings.TrimSpace(buf.String()))
	}
	return nil
}
