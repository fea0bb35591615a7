// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const nsEnv = "OSR_SHUTDOWN_NS_CHILD"

// inMountNamespace reports whether the test runs in the child; in the
// parent it runs the test again in a new private mount namespace and
// reports its result.
func inMountNamespace(t *testing.T) bool {
	t.Helper()
	if os.Getenv(nsEnv) == t.Name() {
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			t.Fatalf("make mounts private: %v", err)
		}
		return true
	}
	if testing.Short() {
		t.Skip("needs root and a mount namespace; skipped under -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for a mount namespace")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), nsEnv+"="+t.Name())
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the test in its mount namespace failed: %v", err)
	}
	return false
}

// TestUnmountTreeForReal builds an old root of tmpfs and bind mounts in a
// private mount namespace, keeps one of them busy, and lets the real
// sequence take it all down.
func TestUnmountTreeForReal(t *testing.T) {
	if !inMountNamespace(t) {
		return
	}
	dir := t.TempDir()
	old := filepath.Join(dir, "oldroot")
	mount := func(src, target, fstype string, flags uintptr) {
		t.Helper()
		if err := os.MkdirAll(target, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount(src, target, fstype, flags, ""); err != nil {
			t.Fatalf("mount %s on %s: %v", src, target, err)
		}
	}
	mount("tmpfs", old, "tmpfs", 0)
	mount("tmpfs", filepath.Join(old, ".cluster"), "tmpfs", 0)
	if err := os.MkdirAll(filepath.Join(old, ".cluster/cdsl/1/var/log"), 0o755); err != nil {
		t.Fatal(err)
	}
	mount(filepath.Join(old, ".cluster/cdsl/1"), filepath.Join(old, ".cdsl.local"), "", unix.MS_BIND|unix.MS_REC)
	mount("tmpfs", filepath.Join(old, "var/run"), "tmpfs", 0)
	// A file held open keeps /oldroot/var/run busy: only a detach gets it.
	busy, err := os.Create(filepath.Join(old, "var/run/busy"))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	var rebooted []int
	var log []string
	c := Config{
		OldRoot: old,
		Reboot:  func(cmd int) error { rebooted = append(rebooted, cmd); return nil },
		Logf: func(format string, args ...any) {
			log = append(log, fmt.Sprintf(format, args...))
			t.Logf(format, args...)
		},
	}
	var afterSaw []string
	c.AfterUnmount = func(ctx context.Context) error {
		ms, err := MountPoints()
		afterSaw = within(ms, old)
		return err
	}
	if err := Run(context.Background(), c, []string{"reboot", "--log-level", "info"}); err != nil {
		t.Fatal(err)
	}
	ms, err := MountPoints()
	if err != nil {
		t.Fatal(err)
	}
	if left := within(ms, old); len(left) > 0 {
		t.Errorf("still mounted: %v", left)
	}
	if !strings.Contains(strings.Join(log, "\n"), "detached "+filepath.Join(old, "var/run")+" (unmount: device or resource busy)") {
		t.Errorf("the busy mount was not detached:\n%s", strings.Join(log, "\n"))
	}
	if len(afterSaw) > 0 {
		t.Errorf("the leave hook ran while %v were mounted", afterSaw)
	}
	if len(rebooted) != 1 || rebooted[0] != unix.LINUX_REBOOT_CMD_RESTART {
		t.Errorf("reboot calls %#x", rebooted)
	}
}

func TestPrepareExitrdForReal(t *testing.T) {
	if !inMountNamespace(t) {
		return
	}
	run := t.TempDir()
	if err := unix.Mount("tmpfs", run, "tmpfs", 0, "mode=0755"); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(run, unix.MNT_DETACH)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	o := HandoverOptions{Sysroot: "/nonexistent-sysroot", RunDir: run, Self: self,
		Links: []Link{{Name: "eth0", MAC: "52:54:00:aa:00:01"}}}
	if _, err := Handover(o); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(run, "initramfs")
	if mp, err := IsMountPoint(dir); err != nil || !mp {
		t.Errorf("%s is no mount point (%v)", dir, err)
	}
	fi, err := os.Stat(filepath.Join(dir, BinaryName))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("shutdown binary: %v %v", fi, err)
	}
	if err := unix.Access(filepath.Join(dir, BinaryName), unix.X_OK); err != nil {
		t.Errorf("systemd-shutdown checks access(X_OK): %v", err)
	}
	for _, d := range []string{"oldroot", "dev", "proc", "sys", "run"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(run, "systemd/network/00-osr-eth0.network")); err != nil {
		t.Errorf("runtime configuration not written: %v", err)
	}
	// A second handover (the cluster stack mounted it, or a retry) adds to
	// the same mount instead of stacking another.
	if err := os.WriteFile(filepath.Join(dir, "chroot-marker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := PrepareExitrd(o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "chroot-marker")); err != nil {
		t.Errorf("a second PrepareExitrd hid what was there: %v", err)
	}
}
