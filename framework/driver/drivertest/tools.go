// SPDX-License-Identifier: Apache-2.0

package drivertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Program finds a filesystem tool (mkfs.gfs2, debugfs.ocfs2 …) in PATH or in
// /usr/sbin and /sbin, which non-root PATHs often lack. pkg names the Debian
// package that has it. A missing tool skips the test under -short and fails
// it otherwise: a driver's on-disk tests must not pass by not running.
func Program(t testing.TB, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skipf("%s not installed (install %s)", name, pkg)
	}
	t.Fatalf("%s not installed: install %s or run with -short", name, pkg)
	return ""
}

// MkfsImage makes a sparse image file of size bytes in a temporary directory
// and runs mkfs on it: the program (found as Program finds it), then args, then
// the image's path. It returns the image's path.
func MkfsImage(t testing.TB, mkfs, pkg string, size int64, args ...string) string {
	t.Helper()
	tool := Program(t, mkfs, pkg)
	img := filepath.Join(t.TempDir(), filepath.Base(mkfs)+".img")
	f, err := os.OpenFile(img, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, append(args, img)...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", mkfs, args, err, out)
	}
	return img
}
