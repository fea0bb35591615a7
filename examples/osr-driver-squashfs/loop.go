// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// attachLoop attaches the file at path to a free loop device, read-only, and returns
// the device's path and a func to call once the device is mounted (or the mount
// failed). The device lets go of the file by itself when its last user goes away:
// after release, that is the mount.
func attachLoop(path string) (dev string, release func(), err error) {
	file, err := os.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("open the image: %w", err)
	}
	defer file.Close()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return "", nil, fmt.Errorf("open /dev/loop-control: %w; the loop module must be loaded (osr build plans it)", err)
	}
	defer ctl.Close()
	// Another process may take the free device between the two calls: then
	// LOOP_CONFIGURE fails with EBUSY and the next free one is asked for.
	for try := 0; try < 5; try++ {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", nil, fmt.Errorf("find a free loop device: %w", err)
		}
		dev = fmt.Sprintf("/dev/loop%d", n)
		loop, err := os.OpenFile(dev, os.O_RDONLY, 0)
		if err != nil {
			return "", nil, fmt.Errorf("open %s: %w", dev, err)
		}
		cfg := unix.LoopConfig{Fd: uint32(file.Fd())}
		cfg.Info.Flags = unix.LO_FLAGS_READ_ONLY | unix.LO_FLAGS_AUTOCLEAR
		copy(cfg.Info.File_name[:], path)
		// Autoclear lets go when the last opener closes: loop stays open until the
		// caller has mounted the device.
		err = unix.IoctlLoopConfigure(int(loop.Fd()), &cfg)
		switch {
		case err == nil:
			return dev, func() { loop.Close() }, nil
		case err != unix.EBUSY:
			loop.Close()
			return "", nil, fmt.Errorf("attach %s to %s: %w", path, dev, err)
		}
		loop.Close()
	}
	return "", nil, fmt.Errorf("attach %s: every free loop device was taken before it could be used", path)
}
