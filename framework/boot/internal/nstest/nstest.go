// SPDX-License-Identifier: Apache-2.0

// Package nstest runs a test again in a child process inside new Linux
// namespaces (network, mount …) so root-only tests can create interfaces and
// mounts without touching the machine they run on.
//
// Usage, at the top of a test:
//
//	if !nstest.InChild(t, unix.CLONE_NEWNET|unix.CLONE_NEWNS) {
//		return // the parent: the child ran the test and its result is ours
//	}
//	// here: the child, in its own namespaces
package nstest

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const envKey = "OSR_NSTEST_CHILD"

// RequireRoot skips the test under -short and fails it without root: root-only
// tests are meant to run in the full suite.
func RequireRoot(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs root and namespaces; skipped under -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root (namespaces, mounts, network devices); run as root or with -short")
	}
}

// InChild reports whether the calling test runs in the namespaced child. In
// the parent it starts the child (the test binary, running only this test,
// with flags as clone flags), copies its output to the test log, fails the
// test when the child fails, and returns false. With CLONE_NEWNS the child
// first makes every mount private, so nothing it mounts reaches the host.
// The child's temporary directory ($TMPDIR, so its t.TempDir too) lies in
// one of the parent's, removed when the test ends: a child that ends by
// exec'ing another program never cleans up itself.
func InChild(t *testing.T, flags uintptr) bool {
	t.Helper()
	RequireRoot(t)
	if os.Getenv(envKey) == t.Name() {
		if flags&unix.CLONE_NEWNS != 0 {
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				t.Fatalf("make mounts private: %v", err)
			}
		}
		return true
	}
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envKey+"="+t.Name(), "TMPDIR="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	t.Logf("namespaced child:\n%s", out)
	if err != nil {
		t.Fatalf("namespaced child: %v", err)
	}
	if strings.Contains(string(out), "--- SKIP: "+t.Name()) {
		t.Skip("skipped in the namespaced child (reason above)")
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) && !strings.Contains(string(out), ChildMarker) {
		t.Fatalf("namespaced child did not pass %s", t.Name())
	}
	return false
}

// ChildMarker is printed by a child that ends by exec'ing another program (a
// switch_root test) instead of returning from the test; InChild accepts it
// in place of the test's PASS line.
const ChildMarker = "OSR-NSTEST-CHILD-OK"
