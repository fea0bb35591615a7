// SPDX-License-Identifier: Apache-2.0

package ext3driver

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
)

// defaultWait is the pause between mount attempts when mountwait= does not set one;
// without mounttimes= the mount is tried once.
const defaultWait = 2 * time.Second

// execFsck runs e2fsck; an exit status is a result, not an error.
func execFsck(ctx context.Context, args []string) (int, string, error) {
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out), nil
	}
	return 0, string(out), err
}

// Mount checks (when the policy says so) and mounts the ext root, once or
// mounttimes= times mountwait= (else 2 s) apart.
func (d *extDriver) Mount(ctx context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	res := &driver.MountResult{}
	cfg := req.Config
	dev, err := d.mounter.FindDevice(ctx, req.Source, func(spec string) (string, error) {
		return findDevice(spec, d.sysBlock, d.devDir)
	})
	if err != nil {
		return res, err
	}
	readOnly := cfg.Bool("read_only") || req.ReadOnly
	if runsFsck(cfg) && !readOnly || cfg.String("fsck") == "force" {
		args := append([]string{"e2fsck", "-p"}, cfg.Strings("fsck_options")...)
		if cfg.String("fsck") == "force" && !slices.Contains(args, "-f") {
			args = append(args, "-f")
		}
		args = append(args, dev)
		code, out, err := d.runFsck(ctx, args)
		if err != nil {
			return res, fmt.Errorf("run %s: %w (is e2fsck in the image?)", strings.Join(args, " "), err)
		}
		d.log.Info(fmt.Sprintf("%s: exit %d", strings.Join(args, " "), code))
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
	call := driver.MountCall{Source: dev, Target: req.Target, FSType: fstype, Flags: flags, Data: data}
	tries := req.Tries(driver.Tries{Attempts: 1, Wait: defaultWait})
	err = d.mounter.Mount(ctx, call, tries)
	if errors.Is(err, unix.ENODEV) && fstype != "ext4" {
		// Kernels built without a separate ext2/ext3 type mount them as ext4.
		d.log.Info(fmt.Sprintf("the kernel knows no %s filesystem type; mounting %s as ext4", fstype, dev))
		call.FSType = "ext4"
		err = d.mounter.Mount(ctx, call, tries)
	}
	if err != nil {
		return res, fmt.Errorf("%w; %s; check the rootvolume in the cluster configuration", err, driver.MountHint(err, call.FSType, "ext4"))
	}
	return res, nil
}
