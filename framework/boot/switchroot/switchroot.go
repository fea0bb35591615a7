// SPDX-License-Identifier: Apache-2.0

// Package switchroot hands the machine over from the initramfs to the real
// root: it moves the API filesystems (/proc, /sys, /dev, /run) onto the new
// root, frees the initramfs by deleting its files (never crossing into
// another mounted filesystem), makes the new root "/", and execs the real
// init there.
//
// Usage, as PID 1 with the root mounted on /sysroot:
//
//	err := switchroot.Switch(switchroot.Options{NewRoot: "/sysroot", Init: p.Init, Args: os.Args[1:]})
//	// only returns on failure
package switchroot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultMoves are the mounts carried over to the new root.
var DefaultMoves = []string{"/dev", "/proc", "/sys", "/run"}

// FallbackInits are tried, in order, when init= is not given or not found.
var FallbackInits = []string{"/sbin/init", "/etc/init", "/bin/init", "/bin/sh"}

// Options control Switch.
type Options struct {
	// NewRoot is where the real root is mounted, e.g. /sysroot.
	NewRoot string
	// Moves are the mounts to carry over; nil means DefaultMoves.
	Moves []string
	// Init is the init= of the kernel command line; "" means FallbackInits.
	Init string
	// Args are passed to the init after its name (the init's own arguments
	// from the kernel).
	Args []string
	// Env is the init's environment; nil means the current one.
	Env []string
	// Logf hears of every action.
	Logf func(format string, args ...any)
	// BeforeExec, when set, runs in the new root right before the exec (the
	// init saves its boot log there, under the moved /run).
	BeforeExec func()
}

// Switch makes NewRoot the root and execs the init there. It only returns
// on failure. It refuses to run unless it is PID 1 and "/" is an initramfs
// (ramfs or tmpfs holding /init): only then is deleting "/" right.
func Switch(o Options) error {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if os.Getpid() != 1 {
		return errors.New("switch root: not PID 1; only the initrd's init may switch root")
	}
	if err := checkInitramfs("/"); err != nil {
		return fmt.Errorf("switch root: %w", err)
	}
	newRoot := filepath.Clean(o.NewRoot)
	if err := checkNewRoot(newRoot); err != nil {
		return fmt.Errorf("switch root: %w", err)
	}
	init, notes, err := FindInit(newRoot, o.Init)
	for _, n := range notes {
		logf("%s", n)
	}
	if err != nil {
		return fmt.Errorf("switch root: %w", err)
	}
	moves := o.Moves
	if moves == nil {
		moves = DefaultMoves
	}
	if err := MoveMounts(newRoot, moves, logf); err != nil {
		return fmt.Errorf("switch root: %w", err)
	}
	var rootSt unix.Stat_t
	if err := unix.Stat("/", &rootSt); err != nil {
		return fmt.Errorf("switch root: stat /: %w", err)
	}
	removed, err := DeleteTree("/", rootSt.Dev)
	if err != nil {
		// Not fatal: the new root works; the initramfs just keeps its memory.
		logf("freeing the initramfs: %v", err)
	}
	logf("freed the initramfs (%d entries removed); switching to %s and starting %s", removed, newRoot, init)
	if err := unix.Chdir(newRoot); err != nil {
		return fmt.Errorf("switch root: chdir %s: %w", newRoot, err)
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("switch root: move %s to /: %w", newRoot, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("switch root: chroot %s: %w", newRoot, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("switch root: chdir /: %w", err)
	}
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	if o.BeforeExec != nil {
		o.BeforeExec()
	}
	argv := append([]string{init}, o.Args...)
	err = unix.Exec(init, argv, env)
	return fmt.Errorf("switch root: exec %s in the new root: %w; the initramfs is gone, nothing more can be done than a reboot", init, err)
}

// checkInitramfs makes sure root is an initramfs: ramfs or tmpfs with /init.
func checkInitramfs(root string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", root, err)
	}
	if st.Type != unix.RAMFS_MAGIC && st.Type != unix.TMPFS_MAGIC {
		return fmt.Errorf("%s is not an initramfs (filesystem magic %#x, want ramfs or tmpfs); refusing to delete it", root, st.Type)
	}
	fi, err := os.Lstat(filepath.Join(root, "init"))
	if err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("%s has no /init file, so it is not an initramfs; refusing to delete it", root)
	}
	return nil
}

// checkNewRoot makes sure something is mounted on newRoot.
func checkNewRoot(newRoot string) error {
	var st, parent unix.Stat_t
	if err := unix.Stat(newRoot, &st); err != nil {
		return fmt.Errorf("new root %s: %w", newRoot, err)
	}
	if err := unix.Stat(filepath.Dir(newRoot), &parent); err != nil {
		return fmt.Errorf("new root %s: %w", newRoot, err)
	}
	if st.Dev == parent.Dev {
		return fmt.Errorf("nothing is mounted on %s: the root filesystem was not mounted", newRoot)
	}
	return nil
}

// MoveMounts moves each mount point in moves (absolute paths in the current
// root) to the same path under newRoot, creating the target directory when
// it is missing. A source that is not mounted is skipped. A target that
// cannot be created (a read-only root without /run) leaves the source
// detached, with a message, instead of failing the boot.
func MoveMounts(newRoot string, moves []string, logf func(format string, args ...any)) error {
	for _, src := range moves {
		var st, parent unix.Stat_t
		if unix.Stat(src, &st) != nil || unix.Stat(filepath.Dir(src), &parent) != nil || st.Dev == parent.Dev {
			logf("%s: not mounted, nothing to move", src)
			continue
		}
		dst := filepath.Join(newRoot, src)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			logf("%s: cannot create %s in the new root (%v); detaching it instead", src, dst, err)
			if err := unix.Unmount(src, unix.MNT_DETACH); err != nil {
				return fmt.Errorf("detach %s: %w", src, err)
			}
			continue
		}
		if err := unix.Mount(src, dst, "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("move %s to %s: %w", src, dst, err)
		}
		logf("moved %s to %s", src, dst)
	}
	return nil
}

// FindInit finds the program to exec in newRoot: want (init=) when given
// and present, else the first of FallbackInits. Paths, and symlinks on the
// way (/sbin/init → /lib/systemd/systemd), are resolved inside newRoot. The
// notes say what was passed over and why.
func FindInit(newRoot, want string) (string, []string, error) {
	dir, err := unix.Open(newRoot, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("open new root %s: %w", newRoot, err)
	}
	defer unix.Close(dir)
	var notes, tried []string
	cands := FallbackInits
	if want != "" {
		cands = append([]string{want}, FallbackInits...)
	}
	for i, c := range cands {
		if i > 0 && c == want {
			continue
		}
		if err := executableIn(dir, c); err != nil {
			tried = append(tried, c+" ("+err.Error()+")")
			if c == want {
				notes = append(notes, fmt.Sprintf("init=%s: %v in the new root; falling back to %s", want, err, strings.Join(FallbackInits, ", ")))
			}
			continue
		}
		if c == "/bin/sh" {
			notes = append(notes, "no init found in the new root ("+strings.Join(tried, "; ")+"); starting /bin/sh instead")
		}
		return c, notes, nil
	}
	return "", notes, fmt.Errorf("no init in the new root %s: tried %s; install an init there or pass init=PATH", newRoot, strings.Join(tried, "; "))
}

// executableIn checks that path, resolved inside the directory dir, is an
// executable regular file.
func executableIn(dir int, path string) error {
	fd, err := unix.Openat2(dir, strings.TrimPrefix(path, "/"), &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT,
	})
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return errors.New("not a regular file")
	}
	if st.Mode&0o111 == 0 {
		return errors.New("not executable")
	}
	return nil
}
