// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
)

// Mount mounts the squashfs image on the target: read-only (overlay = "none") or
// beneath a tmpfs overlay that takes the node's writes. The image is the root device
// itself, or a file on it (image = "/path"), attached to a loop device. The first
// mount is tried once, or mounttimes= times mountwait= (else 2 s) apart.
func (d *squashfsDriver) Mount(ctx context.Context, req driver.MountRequest) (res *driver.MountResult, err error) {
	cfg := req.Config
	if req.Source == "" || req.Target == "" {
		return nil, fmt.Errorf("mount squashfs: source %q and target %q must both be set (root= on the command line or the rootvolume)", req.Source, req.Target)
	}
	tries := req.Tries(driver.Tries{Attempts: 1, Wait: 2 * time.Second})
	if err := d.mounter.WaitForDevice(ctx, req.Source); err != nil {
		return nil, err
	}
	// What is mounted so far, undone when a later step fails.
	var mounted []string
	defer func() {
		if err != nil {
			for i := len(mounted) - 1; i >= 0; i-- {
				_ = unix.Unmount(mounted[i], unix.MNT_DETACH)
			}
		}
	}()
	mount := func(c driver.MountCall, t driver.Tries) error {
		if err := os.MkdirAll(c.Target, 0o755); err != nil {
			return fmt.Errorf("create mount point: %w", err)
		}
		if err := d.mounter.Mount(ctx, c, t); err != nil {
			return err
		}
		mounted = append(mounted, c.Target)
		return nil
	}

	image := req.Source
	if path := cfg.String("image"); path != "" {
		devDir := filepath.Join(d.runDir, "device")
		dev := driver.MountCall{Source: req.Source, Target: devDir, FSType: cfg.String("device_fstype"), Flags: unix.MS_RDONLY}
		if err := mount(dev, tries); err != nil {
			return nil, fmt.Errorf("mount the root device that holds the image: %w; %s", err, driver.MountHint(err, dev.FSType, dev.FSType))
		}
		loop, release, err := attachLoop(filepath.Join(devDir, path))
		if err != nil {
			return nil, fmt.Errorf("image %s on %s: %w", path, req.Source, err)
		}
		defer release()
		d.log.Info(fmt.Sprintf("image %s on %s is %s", path, req.Source, loop))
		image, tries = loop, driver.Tries{Attempts: 1}
	}

	flags, data, _ := driver.MountOptions(nil, req.Options, req.ReadOnly)
	if cfg.String("overlay") == "none" {
		root := driver.MountCall{Source: image, Target: req.Target, FSType: "squashfs", Flags: flags | unix.MS_RDONLY, Data: data}
		if err := mount(root, tries); err != nil {
			return nil, fmt.Errorf("%w; %s", err, hint(err))
		}
		return &driver.MountResult{}, nil
	}
	lower, rw := filepath.Join(d.runDir, "image"), filepath.Join(d.runDir, "overlay")
	if err := mount(driver.MountCall{Source: image, Target: lower, FSType: "squashfs", Flags: unix.MS_RDONLY}, tries); err != nil {
		return nil, fmt.Errorf("%w; %s", err, hint(err))
	}
	tmpfs := driver.MountCall{Source: "osr-overlay", Target: rw, FSType: "tmpfs", Flags: unix.MS_NODEV | unix.MS_NOSUID,
		Data: "mode=0755,size=" + cfg.String("overlay_size")}
	if err := mount(tmpfs, driver.Tries{Attempts: 1}); err != nil {
		return nil, fmt.Errorf("the overlay's tmpfs: %w", err)
	}
	upper, work := filepath.Join(rw, "upper"), filepath.Join(rw, "work")
	for _, dir := range []string{upper, work} {
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("the overlay's tmpfs: %w", err)
		}
	}
	flags, data, _ = driver.MountOptions(nil, req.Options, req.ReadOnly, "lowerdir="+lower, "upperdir="+upper, "workdir="+work)
	root := driver.MountCall{Source: "overlay", Target: req.Target, FSType: "overlay", Flags: flags, Data: data}
	if err := mount(root, driver.Tries{Attempts: 1}); err != nil {
		return nil, fmt.Errorf("%w; %s", err, driver.MountHint(err, "overlay", "overlay"))
	}
	return &driver.MountResult{}, nil
}

// hint says what to check after the squashfs mount failed.
func hint(err error) string {
	if errors.Is(err, unix.EINVAL) {
		return "the source holds no squashfs image (made with mksquashfs?), or its compression is not built into the kernel"
	}
	return driver.MountHint(err, "squashfs", "squashfs")
}
