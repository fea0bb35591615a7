// SPDX-License-Identifier: Apache-2.0

package testos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"

	"github.com/open-sharedroot/osr/internal/testkernel"
)

// Options control Fetch.
type Options struct {
	// CacheDir holds the tars under debroot/; empty means testkernel.CacheDir().
	CacheDir string
	// Mirror is the Debian mirror; empty means $OSR_TEST_DEB_MIRROR, else
	// mmdebstrap's default.
	Mirror string
	// Log receives mmdebstrap's output; nil discards it.
	Log io.Writer
}

// Fetch returns the cached Debian root, building it with mmdebstrap when it is
// not there yet. It is safe to call from concurrent processes sharing one cache.
func Fetch(ctx context.Context, opts Options) (Root, error) {
	if opts.CacheDir == "" {
		opts.CacheDir = testkernel.CacheDir()
	}
	if opts.Mirror == "" {
		opts.Mirror = os.Getenv(EnvMirror)
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	base := filepath.Join(opts.CacheDir, "debroot")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return Root{}, fmt.Errorf("create Debian root cache (set %s to a writable directory): %w", testkernel.EnvCache, err)
	}
	key := Key(Suite, Variant, Packages)
	dest := filepath.Join(base, tarName(key))
	if r, err := describe(dest, key); err == nil {
		return r, nil
	}
	lk := flock.New(filepath.Join(base, ".lock"))
	if err := lk.Lock(); err != nil {
		return Root{}, fmt.Errorf("lock %s: %w", lk.Path(), err)
	}
	defer lk.Unlock()
	// Another process may have finished the build while we waited.
	if r, err := describe(dest, key); err == nil {
		return r, nil
	}
	if os.Geteuid() != 0 {
		return Root{}, fmt.Errorf("no cached Debian root at %s, and building one with mmdebstrap needs root", dest)
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return Root{}, fmt.Errorf("mmdebstrap is missing: run scripts/install-deps.sh (apt-get install mmdebstrap): %w", err)
	}
	tmp, err := os.CreateTemp(base, ".build-*.tar")
	if err != nil {
		return Root{}, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	args := []string{"--variant=" + Variant, "--include=" + strings.Join(Packages, ","), "--format=tar", Suite, tmp.Name()}
	if opts.Mirror != "" {
		args = append(args, opts.Mirror)
	}
	if err := run(ctx, opts.Log, "mmdebstrap", args...); err != nil {
		return Root{}, fmt.Errorf("build the Debian root into %s: %w", base, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return Root{}, err
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return Root{}, err
	}
	return describe(dest, key)
}

// Unpack extracts the root into dir (created when missing; it should be empty)
// with owners, modes and extended attributes as in the tar, and adds the kernel's
// modules under /usr/lib/modules/<version>.
func (r Root) Unpack(ctx context.Context, dir string, k testkernel.Kernel) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("unpack Debian root: %w", err)
	}
	if err := run(ctx, io.Discard, "tar", "-x", "-p", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-f", r.Tar, "-C", dir); err != nil {
		return fmt.Errorf("unpack Debian root %s into %s: %w", r.Tar, dir, err)
	}
	mods := ModulesDir(dir, k)
	if err := os.MkdirAll(filepath.Dir(mods), 0o755); err != nil {
		return fmt.Errorf("unpack Debian root: %w", err)
	}
	if err := run(ctx, io.Discard, "cp", "-a", k.ModulesDir, mods); err != nil {
		return fmt.Errorf("add kernel modules to %s: %w", dir, err)
	}
	return nil
}

// run runs a command, sending its output to log and quoting its end in the error.
func run(ctx context.Context, log io.Writer, name string, args ...string) error {
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = io.MultiWriter(log, &buf)
	cmd.Stderr = io.MultiWriter(log, &buf)
	if err := cmd.Run(); err != nil {
		out := strings.TrimSpace(buf.String())
		if len(out) > 4000 {
			out = "…" + out[len(out)-4000:]
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}
