package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Helpers for Mount implementations: the mount(2) call as a value, what to say
// when it fails, and waiting for the root device.

// MountCall is one mount(2) call, as the driver makes it and tests check it.
type MountCall struct {
	Source, Target, FSType string
	Flags                  uintptr
	Data                   string
}

// String spells the call like mount(8) would be asked for it.
func (c MountCall) String() string {
	opts := MountFlagNames(c.Flags)
	if c.Data != "" {
		opts = append(opts, c.Data)
	}
	if len(opts) == 0 {
		return fmt.Sprintf("mount -t %s %s %s", c.FSType, c.Source, c.Target)
	}
	return fmt.Sprintf("mount -t %s -o %s %s %s", c.FSType, strings.Join(opts, ","), c.Source, c.Target)
}

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

// WaitForDevice waits up to wait for the root device at path to appear: disk
// drivers probe in the background after their modules load.
func WaitForDevice(ctx context.Context, path string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		_, err := os.Stat(path)
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return fmt.Errorf("root device %s: %w (waited %v); check root= or the rootvolume in the cluster configuration and that the disk driver is in the initrd", path, err, wait)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for root device %s: %w", path, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
