// SPDX-License-Identifier: Apache-2.0

// Package busybox finds a statically linked busybox for the test guests'
// initrds and shared roots. A static /bin/busybox (Debian's busybox-static)
// is used as it is; otherwise — Debian's "busybox" package, which initramfs
// users install, conflicts with busybox-static and replaces /bin/busybox by
// a dynamic binary — busybox-static is fetched with `apt-get download` and
// unpacked with `dpkg -x` into a cache, never installed.
package busybox

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// SystemPath is where Debian installs busybox.
const SystemPath = "/bin/busybox"

// Package is the Debian package with the static build.
const Package = "busybox-static"

// IsStatic reports whether the ELF executable at path needs no dynamic
// loader (it has no PT_INTERP program header).
func IsStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, fmt.Errorf("read ELF %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

// Find returns the path of a static busybox: /bin/busybox when it is
// static, else the one unpacked under cacheDir (fetching it first).
func Find(ctx context.Context, cacheDir string) (string, error) {
	if ok, err := IsStatic(SystemPath); err == nil && ok {
		return SystemPath, nil
	}
	dir := filepath.Join(cacheDir, Package)
	bin := filepath.Join(dir, "bin", "busybox")
	if ok, err := IsStatic(bin); err == nil && ok {
		return bin, nil
	}
	if err := fetch(ctx, dir); err != nil {
		return "", fmt.Errorf("no static busybox at %s and fetching %s failed: %w", SystemPath, Package, err)
	}
	ok, err := IsStatic(bin)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%s from %s is not statically linked", bin, Package)
	}
	return bin, nil
}

// fetch downloads busybox-static into a temporary directory beside dir,
// unpacks it and renames the tree to dir.
func fetch(ctx context.Context, dir string) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create cache %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, ".busybox-fetch-")
	if err != nil {
		return fmt.Errorf("temporary directory in %s: %w", parent, err)
	}
	defer os.RemoveAll(tmp)
	dl := exec.CommandContext(ctx, "apt-get", "download", Package)
	dl.Dir = tmp
	if out, err := dl.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get download %s: %w: %s", Package, err, strings.TrimSpace(string(out)))
	}
	debs, err := filepath.Glob(filepath.Join(tmp, Package+"_*.deb"))
	if err != nil || len(debs) != 1 {
		return fmt.Errorf("apt-get download %s left %d .deb files in %s", Package, len(debs), tmp)
	}
	tree := filepath.Join(tmp, "tree")
	if out, err := exec.CommandContext(ctx, "dpkg", "-x", debs[0], tree).CombinedOutput(); err != nil {
		return fmt.Errorf("dpkg -x %s: %w: %s", debs[0], err, strings.TrimSpace(string(out)))
	}
	if err := os.Rename(tree, dir); err != nil && !errors.Is(err, os.ErrExist) {
		// A concurrent fetch may have won the race; its tree is as good.
		if _, statErr := os.Stat(filepath.Join(dir, "bin", "busybox")); statErr != nil {
			return fmt.Errorf("move %s to %s: %w", tree, dir, err)
		}
	}
	return nil
}

// Applets returns the names of the applets the busybox at path provides.
func Applets(ctx context.Context, path string) ([]string, error) {
	out, err := exec.CommandContext(ctx, path, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w", path, err)
	}
	var names []string
	for _, n := range strings.Fields(string(out)) {
		if n != "busybox" && !strings.Contains(n, "/") {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s --list named no applets", path)
	}
	return names, nil
}
