// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const exitrdChildEnv = "OSR_EXITRD_CHILD"

// TestShutdownFromExitrd runs the real osr binary the way systemd-shutdown
// does at the end: as PID 1 (of a new PID namespace) after a pivot into an
// exitrd with the old root on /oldroot, exec'd as /shutdown with the verb in
// argv[1]. The old root holds a tmpfs, a bind mount and a mount kept busy by
// an open file. osr must unmount or detach them all and call reboot(2),
// which in a PID namespace ends its init with SIGHUP.
func TestShutdownFromExitrd(t *testing.T) {
	if dir := os.Getenv(exitrdChildEnv); dir != "" {
		exitrdChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("builds osr and needs root for mount and PID namespaces; skipped under -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for mount and PID namespaces")
	}
	dir := filepath.Dir(buildOSR(t))
	cmd := exec.Command(os.Args[0], "-test.run=^TestShutdownFromExitrd$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), exitrdChildEnv+"="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	t.Logf("PID 1 of the namespace:\n%s", out)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGHUP {
		t.Fatalf("want the namespace's init ended by reboot(RESTART), that is SIGHUP; got %v", err)
	}
	for _, want := range []string{
		"osr shutdown: reboot; unmounting /oldroot",
		"osr shutdown: detached /oldroot/data (unmount: device or resource busy)",
		"osr shutdown: unmounted /oldroot/mnt/bind",
		"osr shutdown: /oldroot unmounted",
		"osr shutdown: reboot now",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("osr did not say %q", want)
		}
	}
}

// exitrdChild is PID 1 of the new namespaces: it builds an old root and an
// exitrd as systemd leaves them and execs osr as /shutdown.
func exitrdChild(t *testing.T, dir string) {
	must := func(what string, err error) {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("make mounts private", unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""))
	// A root of our own, so nothing of the host's mounts lies below /oldroot.
	fake := filepath.Join(dir, "root")
	must("mkdir", os.MkdirAll(fake, 0o755))
	must("mount the old root", unix.Mount("tmpfs", fake, "tmpfs", 0, "mode=0755"))
	// The image's /init (osr-init) is what the exitrd carries as /shutdown.
	must("copy osr-init", copyExecutable(filepath.Join(dir, InitName), filepath.Join(fake, "osr")))
	must("mkdir", os.MkdirAll(filepath.Join(fake, "host"), 0o755))
	must("pivot into the old root", unix.PivotRoot(fake, filepath.Join(fake, "host")))
	must("chdir", unix.Chdir("/"))
	must("detach the host", unix.Unmount("/host", unix.MNT_DETACH))

	// The running system: /run with the exitrd the init prepared, and mounts.
	for _, d := range []string{"/run", "/data", "/mnt/bind"} {
		must("mkdir", os.MkdirAll(d, 0o755))
	}
	must("mount /run", unix.Mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"))
	must("mkdir", os.MkdirAll("/run/initramfs", 0o755))
	must("mount the exitrd", unix.Mount("tmpfs", "/run/initramfs", "tmpfs", 0, "mode=0755"))
	for _, d := range []string{"oldroot", "proc"} {
		must("mkdir", os.MkdirAll(filepath.Join("/run/initramfs", d), 0o755))
	}
	must("install /shutdown", copyExecutable("/osr", "/run/initramfs/shutdown"))
	must("mount proc", unix.Mount("proc", "/run/initramfs/proc", "proc", 0, ""))
	must("mount /data", unix.Mount("tmpfs", "/data", "tmpfs", 0, ""))
	must("mkdir", os.MkdirAll("/data/sub", 0o755))
	must("bind /mnt/bind", unix.Mount("/data/sub", "/mnt/bind", "", unix.MS_BIND, ""))
	// Held open across the exec (no O_CLOEXEC): /data stays busy.
	_, err := unix.Open("/data/busy", unix.O_CREAT|unix.O_RDWR, 0o644)
	must("open /data/busy", err)

	// What systemd-shutdown does last (switch_root_initramfs, then execv).
	must("chdir", unix.Chdir("/run/initramfs"))
	must("pivot into the exitrd", unix.PivotRoot(".", "oldroot"))
	must("chdir", unix.Chdir("/"))
	err = unix.Exec("/shutdown", []string{"/shutdown", "reboot", "--log-level", "info"}, os.Environ())
	t.Fatalf("exec /shutdown: %v", err)
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
