// SPDX-License-Identifier: Apache-2.0

package pid1

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot/internal/nstest"
)

// TestIsMountPointBindSameFS binds a directory onto a sibling of the same
// filesystem, whose name holds a space (escaped as \040 in mountinfo): only
// the mount table tells it is a mount point.
func TestIsMountPointBindSameFS(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNS) {
		return
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "with space")
	for _, d := range []string{src, dst} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := IsMountPoint(dst); err != nil || got {
		t.Fatalf("before the bind: IsMountPoint = %v, %v", got, err)
	}
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(dst, unix.MNT_DETACH) })
	if got, err := IsMountPoint(dst); err != nil || !got {
		t.Fatalf("after the bind: IsMountPoint = %v, %v", got, err)
	}
}

func TestIsMountPointPlainDir(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := IsMountPoint(sub)
	if err != nil || got {
		t.Fatalf("IsMountPoint(plain dir) = %v, %v", got, err)
	}
	if got, err := IsMountPoint("/"); err != nil || !got {
		t.Fatalf("IsMountPoint(/) = %v, %v", got, err)
	}
	if _, err := IsMountPoint(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("IsMountPoint(missing) gave no error")
	}
}

// TestMountAPI mounts the API filesystems under a temporary root inside a
// private mount namespace, twice: the second pass must find them mounted.
func TestMountAPI(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNS) {
		return
	}
	// Everything is mounted on a tmpfs of its own, detached (with all it
	// holds) before the temporary directory is removed: devtmpfs is one
	// instance machine-wide, and removing files through any mount of it
	// removes the machine's device nodes.
	root := t.TempDir()
	if err := unix.Mount("tmpfs", root, "tmpfs", 0, "mode=0755"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(root, unix.MNT_DETACH); err != nil {
			panic("detach test mounts: " + err.Error()) // never let RemoveAll walk into them
		}
	})
	if err := os.MkdirAll(filepath.Join(root, "sys"), 0o755); err != nil {
		t.Fatal(err)
	}
	var lines []string
	logf := func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }
	if err := MountAPI(root, APIMounts, logf); err != nil {
		t.Fatal(err)
	}
	magic := map[string]int64{
		"/proc": unix.PROC_SUPER_MAGIC, "/sys": unix.SYSFS_MAGIC, "/dev": unix.TMPFS_MAGIC,
		"/dev/pts": unix.DEVPTS_SUPER_MAGIC, "/run": unix.TMPFS_MAGIC,
	}
	for target, want := range magic {
		var st unix.Statfs_t
		if err := unix.Statfs(filepath.Join(root, target), &st); err != nil {
			t.Fatal(err)
		}
		if int64(st.Type) != want {
			t.Errorf("%s: filesystem magic %#x, want %#x", target, st.Type, want)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "dev", "null")); err != nil {
		t.Errorf("devtmpfs has no null device: %v", err)
	}
	lines = nil
	if err := MountAPI(root, APIMounts, logf); err != nil {
		t.Fatal(err)
	}
	already := 0
	for _, l := range lines {
		if strings.HasSuffix(l, "already mounted") {
			already++
		}
	}
	if already < 5 {
		t.Errorf("second pass: %d already mounted, want ≥ 5; log: %q", already, lines)
	}
}

func TestMountAPIFailureSaysWhat(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "proc"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := MountAPI(root, APIMounts[:1], nil)
	if err == nil || !strings.Contains(err.Error(), "mount proc on "+filepath.Join(root, "proc")) {
		t.Fatalf("MountAPI over a file = %v", err)
	}
}

// TestAttachConsole puts fds 0–2 on a stand-in console file in a child
// process and checks that what is printed lands there.
func TestAttachConsole(t *testing.T) {
	if !nstest.InChild(t, 0) {
		return
	}
	saved, err := unix.Dup(1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "console")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := AttachConsole(path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(os.Stdout, "to-console")
	fmt.Fprint(os.Stderr, "+err")
	if err := unix.Dup3(saved, 1, 0); err != nil {
		t.Fatal(err)
	}
	unix.Dup3(saved, 2, 0)
	f.Close()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "to-console+err" {
		t.Errorf("console got %q", got)
	}
	if _, err := AttachConsole(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("AttachConsole of a missing device succeeded")
	}
}
