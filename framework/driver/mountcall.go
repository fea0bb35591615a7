// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// MountCall is one mount(2) call, as the driver makes it and tests check it.
type MountCall struct {
	Source, Target, FSType string
	Flags                  uintptr
	Data                   string
}

// String spells the call with every argument, the flags by name:
//
//	mount("10.0.0.1:/root", "/sysroot", "nfs4", MS_RDONLY|MS_NOATIME, "vers=4.1,addr=10.0.0.1")
func (c MountCall) String() string {
	return fmt.Sprintf("mount(%q, %q, %q, %s, %q)", c.Source, c.Target, c.FSType, flagString(c.Flags), c.Data)
}

// msFlags names the mount(2) flags, in the order String prints them.
var msFlags = []struct {
	flag uintptr
	name string
}{
	{unix.MS_RDONLY, "MS_RDONLY"}, {unix.MS_NOSUID, "MS_NOSUID"}, {unix.MS_NODEV, "MS_NODEV"},
	{unix.MS_NOEXEC, "MS_NOEXEC"}, {unix.MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {unix.MS_REMOUNT, "MS_REMOUNT"},
	{unix.MS_MANDLOCK, "MS_MANDLOCK"}, {unix.MS_DIRSYNC, "MS_DIRSYNC"}, {unix.MS_NOATIME, "MS_NOATIME"},
	{unix.MS_NODIRATIME, "MS_NODIRATIME"}, {unix.MS_BIND, "MS_BIND"}, {unix.MS_MOVE, "MS_MOVE"},
	{unix.MS_REC, "MS_REC"}, {unix.MS_SILENT, "MS_SILENT"}, {unix.MS_PRIVATE, "MS_PRIVATE"},
	{unix.MS_SLAVE, "MS_SLAVE"}, {unix.MS_SHARED, "MS_SHARED"}, {unix.MS_RELATIME, "MS_RELATIME"},
	{unix.MS_STRICTATIME, "MS_STRICTATIME"}, {unix.MS_LAZYTIME, "MS_LAZYTIME"},
}

// flagString spells flags as MS_A|MS_B, "0" for none; unnamed bits are shown in hex.
func flagString(flags uintptr) string {
	var names []string
	for _, f := range msFlags {
		if flags&f.flag != 0 {
			names = append(names, f.name)
			flags &^= f.flag
		}
	}
	if flags != 0 {
		names = append(names, fmt.Sprintf("%#x", flags))
	}
	if len(names) == 0 {
		return "0"
	}
	return strings.Join(names, "|")
}

// MountError is a mount(2) call that failed. Its message names the call with every
// argument, then the kernel's answer:
//
//	mount("10.0.0.1:/root", "/sysroot", "nfs4", MS_RDONLY, "vers=4.1"): permission denied
type MountError struct {
	Call MountCall
	Err  error
}

func (e *MountError) Error() string { return e.Call.String() + ": " + e.Err.Error() }

// Unwrap returns the kernel's error, so errors.Is(err, unix.ENODEV) works.
func (e *MountError) Unwrap() error { return e.Err }

// MountHint says what to check after mount(2) failed with err.
func MountHint(err error, fstype, module string) string {
	switch {
	case errors.Is(err, unix.ENODEV):
		return fmt.Sprintf("the kernel knows no %s filesystem: the %s module must be in the initrd and loaded (osr build plans it)", fstype, module)
	case errors.Is(err, unix.ENOENT):
		return "the device or the mount point does not exist"
	case errors.Is(err, unix.ENXIO), errors.Is(err, unix.ENOTBLK):
		return "the source is not a usable block device: check the rootvolume in the cluster configuration or root= on the command line"
	case errors.Is(err, unix.EBUSY):
		return "the device is in use or the root is already mounted there"
	case errors.Is(err, unix.EINVAL):
		return fmt.Sprintf("the kernel refused the filesystem or an option: the kernel log (dmesg) names the reason; check the mount options and that the device holds %s", fstype)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EROFS):
		return "the device is read-only: mount read-only or make the device writable"
	}
	return "the kernel log (dmesg) has the details"
}
