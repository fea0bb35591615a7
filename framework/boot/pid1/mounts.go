// SPDX-License-Identifier: Apache-2.0

// Package pid1 does what the init must do first as PID 1: mount the kernel's
// API filesystems (/proc, /sys, /dev, /dev/pts, /run and configfs when the
// kernel has it) and put stdin, stdout and stderr on /dev/console.
//
// Usage:
//
//	if err := pid1.MountAPI("/", pid1.APIMounts, log.Printf); err != nil { … }
//	con, err := pid1.AttachConsole("/dev/console")
package pid1

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Mount is one filesystem to mount.
type Mount struct {
	Source string
	Target string
	FSType string
	Flags  uintptr
	Data   string
	// Optional mounts are made only when their target directory exists
	// (configfs appears under /sys only when the kernel has it), and their
	// failure is not an error.
	Optional bool
}

// APIMounts are the mounts an initrd's PID 1 makes, in order.
var APIMounts = []Mount{
	{Source: "proc", Target: "/proc", FSType: "proc", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
	{Source: "sysfs", Target: "/sys", FSType: "sysfs", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
	{Source: "devtmpfs", Target: "/dev", FSType: "devtmpfs", Flags: unix.MS_NOSUID, Data: "mode=0755"},
	{Source: "devpts", Target: "/dev/pts", FSType: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "gid=5,mode=620,ptmxmode=000", Optional: true},
	{Source: "tmpfs", Target: "/run", FSType: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: "mode=0755"},
	{Source: "configfs", Target: "/sys/kernel/config", FSType: "configfs", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, Optional: true},
}

// MountAPI mounts ms under root ("/" at boot), creating missing target
// directories, and skips targets that already are mount points (the kernel
// may have mounted devtmpfs itself). logf hears of each mount.
func MountAPI(root string, ms []Mount, logf func(format string, args ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	for _, m := range ms {
		target := filepath.Join(root, m.Target)
		if m.Target == "/dev/pts" {
			// devtmpfs does not carry /dev/pts: make it once /dev is up.
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("mount %s: %w", target, err)
			}
		}
		if m.Optional {
			if fi, err := os.Stat(target); err != nil || !fi.IsDir() {
				logf("%s: not offered by this kernel, skipped", m.Target)
				continue
			}
		} else if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.FSType, target, err)
		}
		mounted, err := IsMountPoint(target)
		if err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.FSType, target, err)
		}
		if mounted {
			logf("%s: already mounted", m.Target)
			continue
		}
		if err := unix.Mount(m.Source, target, m.FSType, m.Flags, m.Data); err != nil {
			if m.Optional {
				logf("%s: %s not mounted: %v", m.Target, m.FSType, err)
				continue
			}
			return fmt.Errorf("mount %s on %s: %w", m.FSType, target, err)
		}
		logf("mounted %s on %s", m.FSType, m.Target)
	}
	return nil
}

// IsMountPoint reports whether path is the root of a mounted filesystem: its
// device differs from its parent's, or it is the same inode as its parent
// (the root directory).
func IsMountPoint(path string) (bool, error) {
	var st, parent unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return false, &os.PathError{Op: "lstat", Path: path, Err: err}
	}
	if err := unix.Lstat(filepath.Join(path, ".."), &parent); err != nil {
		return false, &os.PathError{Op: "lstat", Path: path + "/..", Err: err}
	}
	if st.Dev != parent.Dev || st.Ino == parent.Ino {
		return true, nil
	}
	// A bind mount of a directory of the same filesystem keeps the device
	// number; /proc/self/mountinfo knows it when /proc is up.
	return inMountinfo(path)
}

// inMountinfo looks path up in /proc/self/mountinfo; false when /proc is not
// mounted.
func inMountinfo(path string) (bool, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	ms, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(abs))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read mount table: %w", err)
	}
	return len(ms) > 0, nil
}
