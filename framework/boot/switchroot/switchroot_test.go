// SPDX-License-Identifier: Apache-2.0

package switchroot

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot/internal/nstest"
)

// tree creates files ("x"), executables ("x*"), directories ("x/") and
// symlinks ("x -> target") under root.
func tree(t *testing.T, root string, entries ...string) {
	t.Helper()
	for _, e := range entries {
		name, target, isLink := strings.Cut(e, " -> ")
		p := filepath.Join(root, strings.TrimSuffix(strings.TrimSuffix(name, "/"), "*"))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case isLink:
			err = os.Symlink(target, p)
		case strings.HasSuffix(name, "/"):
			err = os.MkdirAll(p, 0o755)
		case strings.HasSuffix(name, "*"):
			err = os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755)
		default:
			err = os.WriteFile(p, nil, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindInit(t *testing.T) {
	tests := []struct {
		name      string
		entries   []string
		want      string
		init      string
		wantNote  string
		wantError string
	}{
		{"sbin/init", []string{"sbin/init*", "bin/sh*"}, "/sbin/init", "", "", ""},
		{"absolute symlink resolved inside the root", []string{"lib/systemd/systemd*", "sbin/init -> /lib/systemd/systemd"}, "/sbin/init", "", "", ""},
		{"dangling symlink skipped", []string{"sbin/init -> /lib/systemd/systemd", "etc/init*"}, "/etc/init", "", "", ""},
		{"escaping symlink stays inside", []string{"sbin/init -> ../../../../../bin/true", "bin/init*"}, "/bin/init", "", "", ""},
		{"init= honoured", []string{"sbin/init*", "usr/bin/bash*"}, "/usr/bin/bash", "/usr/bin/bash", "", ""},
		{"init= missing falls back", []string{"sbin/init*"}, "/sbin/init", "/nope", "init=/nope: no such file or directory in the new root", ""},
		{"not executable", []string{"sbin/init", "bin/sh*"}, "/bin/sh", "", "no init found in the new root", ""},
		{"directory is not an init", []string{"sbin/init/", "bin/init*"}, "/bin/init", "", "", ""},
		{"nothing", []string{"etc/"}, "", "", "", "no init in the new root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tree(t, root, tt.entries...)
			got, notes, err := FindInit(root, tt.init)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) || !strings.Contains(err.Error(), "init=PATH") {
					t.Fatalf("FindInit error = %v, want %q and advice", err, tt.wantError)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FindInit = %q, %v; want %q", got, err, tt.want)
			}
			joined := strings.Join(notes, "\n")
			if (tt.wantNote == "") != (joined == "") || !strings.Contains(joined, tt.wantNote) {
				t.Errorf("notes %q, want %q", joined, tt.wantNote)
			}
		})
	}
}

func TestDeleteTreeSameDevice(t *testing.T) {
	root := t.TempDir()
	tree(t, root, "init*", "lib/modules/x.ko", "etc/", "bin/sh -> busybox", "bin/busybox*")
	var st unix.Stat_t
	if err := unix.Stat(root, &st); err != nil {
		t.Fatal(err)
	}
	n, err := DeleteTree(root, st.Dev)
	if err != nil || n != 8 {
		t.Fatalf("DeleteTree = %d, %v; want 8 entries", n, err)
	}
	left, _ := os.ReadDir(root)
	if len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// TestDeleteTreeStopsAtMounts deletes a tmpfs that holds another tmpfs: the
// inner one, and what it holds, must survive.
func TestDeleteTreeStopsAtMounts(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNS) {
		return
	}
	root := t.TempDir()
	mustMount(t, "tmpfs", root, "tmpfs")
	tree(t, root, "init*", "lib/a", "sysroot/")
	inner := filepath.Join(root, "sysroot")
	mustMount(t, "tmpfs", inner, "tmpfs")
	tree(t, root, "sysroot/sbin/init*", "sysroot/etc/hostname")
	var st unix.Stat_t
	if err := unix.Stat(root, &st); err != nil {
		t.Fatal(err)
	}
	n, err := DeleteTree(root, st.Dev)
	if err != nil || n != 3 {
		t.Fatalf("DeleteTree = %d, %v; want 3 (init, lib, lib/a)", n, err)
	}
	for _, keep := range []string{"sysroot/sbin/init", "sysroot/etc/hostname"} {
		if _, err := os.Stat(filepath.Join(root, keep)); err != nil {
			t.Errorf("%s was deleted across a mount point: %v", keep, err)
		}
	}
	left, _ := os.ReadDir(root)
	if len(left) != 1 || left[0].Name() != "sysroot" {
		t.Errorf("left in the old root: %v", left)
	}
}

func mustMount(t *testing.T, src, dst, fstype string) {
	t.Helper()
	if err := unix.Mount(src, dst, fstype, 0, ""); err != nil {
		t.Fatalf("mount %s on %s: %v", fstype, dst, err)
	}
	t.Cleanup(func() { unix.Unmount(dst, unix.MNT_DETACH) })
}

// TestSwitch builds a fake initramfs on a tmpfs with the new root mounted on
// its /sysroot, chroots into it as PID 1 of new PID and mount namespaces and
// switches root for real. The new root's init, a busybox script, checks that
// it is PID 1, that /proc and /run came along and that it got its arguments;
// and that the initramfs' own files are gone, which it sees through an
// inherited descriptor of a second mount of the old root.
func TestSwitch(t *testing.T) {
	busybox := "/usr/bin/busybox"
	if !nstest.InChild(t, unix.CLONE_NEWNS|unix.CLONE_NEWPID) {
		return
	}
	if _, err := os.Stat(busybox); err != nil {
		t.Fatalf("the test needs a static busybox at %s (Debian: busybox-static): %v", busybox, err)
	}
	fake := t.TempDir()
	mustMount(t, "tmpfs", fake, "tmpfs")
	tree(t, fake, "init*", "lib/modules/x.ko", "proc/", "run/", "sysroot/", "dev/")
	// A second view of the initramfs, so the new init can look at it.
	peek := filepath.Join(t.TempDir(), "peek")
	tree(t, filepath.Dir(peek), "peek/")
	if err := unix.Mount(fake, peek, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	mustMount(t, "tmpfs", filepath.Join(fake, "run"), "tmpfs")
	tree(t, fake, "run/osr/")
	if err := os.WriteFile(filepath.Join(fake, "run/osr/boot.log"), []byte("boot log line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustMount(t, "proc", filepath.Join(fake, "proc"), "proc")
	newRoot := filepath.Join(fake, "sysroot")
	mustMount(t, "tmpfs", newRoot, "tmpfs")
	tree(t, newRoot, "bin/", "proc/", "sbin/")
	copyFile(t, busybox, filepath.Join(newRoot, "bin/busybox"))
	script := `#!/bin/busybox sh
B=/bin/busybox
[ "$$" = 1 ] || { echo "not pid 1: $$"; exit 1; }
$B test -e /proc/self/stat || { echo "proc not moved"; exit 1; }
[ "$($B cat /run/osr/boot.log)" = "boot log line" ] || { echo "run not moved"; exit 1; }
[ "$*" = "single x=1" ] || { echo "args: $*"; exit 1; }
left=$($B ls -A /proc/self/fd/$PEEKFD/ | $B tr '\n' ' ')
[ "$left" = "sysroot " ] || { echo "initramfs not freed, left: $left"; exit 1; }
echo ` + nstest.ChildMarker + `
`
	if err := os.WriteFile(filepath.Join(newRoot, "sbin/init"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// Inherited by the new init (no close-on-exec): the old root's files.
	peekFD, err := unix.Open(peek, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Chroot(fake); err != nil {
		t.Fatal(err)
	}
	if err := unix.Chdir("/"); err != nil {
		t.Fatal(err)
	}
	var log []string
	err = Switch(Options{
		NewRoot: "/sysroot",
		Args:    []string{"single", "x=1"},
		Env:     []string{"PATH=/bin", "PEEKFD=" + strconv.Itoa(peekFD)},
		Logf:    func(f string, a ...any) { log = append(log, f) },
	})
	t.Fatalf("Switch returned: %v; log %q", err, log)
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSwitchRefusesOutsideInitramfs(t *testing.T) {
	err := Switch(Options{NewRoot: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "not PID 1") {
		t.Fatalf("Switch as an ordinary process = %v", err)
	}
	if err := checkInitramfs(t.TempDir()); err == nil {
		t.Error("checkInitramfs accepted a directory without /init")
	}
	if err := checkNewRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "nothing is mounted") {
		t.Errorf("checkNewRoot(plain dir) = %v", err)
	}
}
