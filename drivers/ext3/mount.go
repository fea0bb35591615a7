package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
)

// Seams for tests: mount(2), the fsck program, where block devices are listed.
var (
	mountFunc  = unix.Mount
	runFsck    = defaultRunFsck
	sysBlock   = "/sys/class/block"
	devDir     = "/dev"
	deviceWait = 30 * time.Second
)

func defaultRunFsck(ctx context.Context, args []string) (int, string, error) {
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out), nil
	}
	return 0, string(out), err
}

// Mount checks (when the policy says so) and mounts the ext root.
func (d *extDriver) Mount(ctx context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	res := &driver.MountResult{}
	cfg := req.Config
	dev, err := waitDevice(ctx, req.Source)
	if err != nil {
		return res, err
	}
	readOnly := cfg.Bool("read_only") || req.ReadOnly
	if runsFsck(cfg) && !readOnly || cfg.String("fsck") == "force" {
		args := append([]string{"e2fsck", "-p"}, cfg.Strings("fsck_options")...)
		if cfg.String("fsck") == "force" && !contains(args, "-f") {
			args = append(args, "-f")
		}
		args = append(args, dev)
		code, out, err := runFsck(ctx, args)
		if err != nil {
			return res, fmt.Errorf("run %s: %w (is e2fsck in the image?)", strings.Join(args, " "), err)
		}
		res.Log = append(res.Log, fmt.Sprintf("%s: exit %d", strings.Join(args, " "), code))
		switch {
		case code >= 4:
			return res, fmt.Errorf("%s found errors it cannot repair on its own (exit %d):\n%s\nrepair the filesystem from the rescue shell with e2fsck -f %s",
				strings.Join(args, " "), code, strings.TrimSpace(out), dev)
		case code&2 != 0:
			res.Diagnostics = append(res.Diagnostics, driver.Warnf(nil, "e2fsck repaired %s and asks for a reboot", dev))
		}
	}
	var forced []string
	if readOnly && !cfg.Bool("replay_journal") && req.FSType != "ext2" {
		forced = append(forced, "noload")
	}
	flags, data, _ := driver.MountOptions(cfg.Strings("mount_options"), req.Options, readOnly, forced...)
	fstype := req.FSType
	if fstype == "" {
		fstype = "ext4"
	}
	err = mountFunc(dev, req.Target, fstype, flags, data)
	if errors.Is(err, unix.ENODEV) && fstype != "ext4" {
		// Kernels built without a separate ext2/ext3 type mount them as ext4.
		res.Log = append(res.Log, fmt.Sprintf("fstype %s unknown to the kernel, trying ext4", fstype))
		fstype = "ext4"
		err = mountFunc(dev, req.Target, fstype, flags, data)
	}
	if err != nil {
		return res, fmt.Errorf("mount -t %s -o %s %s %s: %w; check the rootvolume in the cluster configuration and that the disk driver is loaded",
			fstype, data, dev, req.Target, err)
	}
	res.Log = append(res.Log, fmt.Sprintf("mounted %s on %s (%s, %q, read-only %v)", dev, req.Target, fstype, data, readOnly))
	return res, nil
}

// waitDevice waits for the root device to appear: disk drivers probe in the
// background after their modules load.
func waitDevice(ctx context.Context, spec string) (string, error) {
	deadline := time.Now().Add(deviceWait)
	for {
		dev, err := findDevice(spec, sysBlock, devDir)
		if err == nil {
			return dev, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%w (waited %v)", err, deviceWait)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
