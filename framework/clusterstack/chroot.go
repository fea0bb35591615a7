// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// apiMount is a filesystem mounted inside the chroot.
type apiMount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

// chrootMounts are what the daemons need inside the chroot: /proc and /sys,
// configfs (dlm_controld configures the kernel DLM there), /dev (knet's crypto
// needs /dev/urandom, dlm_controld the DLM's misc devices) and /dev/shm (libqb's
// IPC ring buffers).
var chrootMounts = []apiMount{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"configfs", "/sys/kernel/config", "configfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	{"tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
}

// miscLinks are the names udev's 51-dlm.rules gives the DLM's devices; devtmpfs
// has only /dev/dlm-control and friends, and dlm_controld opens /dev/misc/….
var miscLinks = map[string]string{
	"/dev/misc/dlm-control": "../dlm-control",
	"/dev/misc/dlm-monitor": "../dlm-monitor",
	"/dev/misc/dlm_plock":   "../dlm_plock",
}

// makeChroot mounts a tmpfs on root, copies the image's tree into it, installs
// osr (the program at self) under its three names and mounts the API filesystems.
// It returns the bytes copied.
func makeChroot(image, root, self string) (int64, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return 0, fmt.Errorf("create %s: %w", root, err)
	}
	if err := unix.Mount("clusterstack", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return 0, fmt.Errorf("mount a tmpfs on %s: %w", root, err)
	}
	n, err := copyTree(image, root)
	if err != nil {
		return n, fmt.Errorf("copy %s to %s: %w", image, root, err)
	}
	if self != "" {
		m, err := copyFile(self, filepath.Join(root, OSRPath), 0o755)
		n += m
		if err != nil {
			return n, fmt.Errorf("install osr in the chroot: %w", err)
		}
		for _, l := range []string{FenceAgentPath, ShutdownPath} {
			if err := os.Link(filepath.Join(root, OSRPath), filepath.Join(root, l)); err != nil && !errors.Is(err, fs.ErrExist) {
				return n, fmt.Errorf("link osr as %s in the chroot: %w", l, err)
			}
		}
	}
	for _, m := range chrootMounts {
		t := filepath.Join(root, m.target)
		if err := os.MkdirAll(t, 0o755); err != nil {
			return n, fmt.Errorf("create %s: %w", t, err)
		}
		if err := unix.Mount(m.source, t, m.fstype, m.flags, m.data); err != nil {
			return n, fmt.Errorf("mount %s on %s: %w", m.fstype, t, err)
		}
	}
	for l, target := range miscLinks {
		p := filepath.Join(root, l)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return n, err
		}
		if err := os.Symlink(target, p); err != nil && !errors.Is(err, fs.ErrExist) {
			return n, fmt.Errorf("link %s: %w", p, err)
		}
	}
	return n, nil
}

// copyTree copies the directory src into dst (which exists): directories, regular
// files and symlinks with their modes. Hard links inside src become copies.
func copyTree(src, dst string) (int64, error) {
	var total int64
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, info.Mode().Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			return os.Chmod(target, info.Mode().Perm()|info.Mode()&fs.ModeSticky)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			n, err := copyFile(p, target, info.Mode().Perm())
			total += n
			return err
		}
		return nil
	})
	return total, err
}

func copyFile(src, dst string, mode fs.FileMode) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dst, mode) // past the umask
	}
	return n, err
}
