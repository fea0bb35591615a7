package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/open-sharedroot/osr/framework/driver"
)

// defaultWait is the pause between mount attempts when mountwait= does not set one.
const defaultWait = 2 * time.Second

// errLockDLM is returned for lock_protocol "lock_dlm".
var errLockDLM = errors.New(`lock_protocol "lock_dlm" is not supported by this version of the gfs2 driver: ` +
	`lock_dlm needs corosync and dlm_controld started in the initrd and kept running across switch_root, which a later release adds. ` +
	`To boot now, set lock_protocol = "lock_nolock" in the driver "gfs2" block and boot ONE node only: ` +
	`with lock_nolock nothing stops a second node from mounting the root, and two nodes corrupt it`)

// Mount mounts the GFS2 root with lock_nolock, trying mounttimes= times (else
// mount_attempts), mountwait= apart (else 2 s). lock_dlm is refused with what it
// needs. The superblock is read first so that a filesystem whose lock protocol
// differs from the configuration gets a clear message.
func (d *gfs2Driver) Mount(ctx context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	res := &driver.MountResult{}
	cfg := req.Config
	proto := cfg.String("lock_protocol")
	if req.Source == "" || req.Target == "" {
		return res, fmt.Errorf("mount gfs2: source %q and target %q must both be set (rootvolume in the cluster configuration or root= on the command line)", req.Source, req.Target)
	}
	if proto == "lock_dlm" {
		// Say what the filesystem itself records when the device is already there.
		if sb, err := readDevice(req.Source); err == nil && sb.LockProto == "lock_nolock" {
			return res, fmt.Errorf("%w (the filesystem on %s was made with lock_nolock, table %q, so lock_protocol = \"lock_nolock\" matches it)", errLockDLM, req.Source, sb.LockTable)
		}
		return res, errLockDLM
	}
	if proto != "lock_nolock" {
		return res, fmt.Errorf("lock_protocol %q: want lock_dlm or lock_nolock", proto)
	}
	if err := d.mounter.WaitForDevice(ctx, req.Source); err != nil {
		return res, err
	}
	sb, err := readDevice(req.Source)
	if err != nil {
		return res, err
	}
	d.log.Info("gfs2 superblock", "device", req.Source, "uuid", sb.UUIDString(), "lock_protocol", sb.LockProto, "lock_table", sb.LockTable)
	switch sb.LockProto {
	case "lock_nolock":
	case "lock_dlm":
		w := driver.Warnf([]string{"lock_protocol"}, "the filesystem on %s is made for lock_dlm (table %q) and is mounted with lock_nolock", req.Source, sb.LockTable)
		w.Detail = "no other node may mount it while this node runs, or the filesystem is corrupted"
		res.Diagnostics = append(res.Diagnostics, w)
	default:
		return res, fmt.Errorf("the filesystem on %s records lock protocol %q, which the gfs2 kernel module does not know: set it with tunegfs2 -o lockproto=lock_dlm (or lock_nolock) %s while no node mounts it", req.Source, sb.LockProto, req.Source)
	}
	forced := []string{"lockproto=lock_nolock"}
	if lt := cfg.String("lock_table"); lt != "" {
		forced = append(forced, "locktable="+lt)
		if lt != sb.LockTable {
			d.log.Info("the configured lock table overrides the superblock's", "lock_table", lt, "superblock", sb.LockTable)
		}
	}
	flags, data, replaced := driver.MountOptions(cfg.Strings("mount_options"), req.Options, req.ReadOnly, forced...)
	for _, o := range replaced {
		d.log.Warn("mount option ignored: the driver sets it from lock_protocol and lock_table", "option", o)
	}
	call := driver.MountCall{Source: req.Source, Target: req.Target, FSType: "gfs2", Flags: flags, Data: data}
	tries := req.Tries(driver.Tries{Attempts: cfg.Int("mount_attempts"), Wait: defaultWait})
	if err := d.mounter.Mount(ctx, call, tries); err != nil {
		return res, fmt.Errorf("%w; %s", err, driver.MountHint(err, "gfs2", "gfs2"))
	}
	return res, nil
}

// readDevice reads the GFS2 superblock of the root device.
func readDevice(path string) (*superblock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open root device %s: %w", path, err)
	}
	defer f.Close()
	sb, err := readSuperblock(f)
	if err != nil {
		return nil, fmt.Errorf("read the GFS2 superblock of %s: %w; is root= the right device and does it hold GFS2 (mkfs.gfs2)?", path, err)
	}
	return sb, nil
}
