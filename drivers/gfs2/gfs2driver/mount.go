// SPDX-License-Identifier: Apache-2.0

package gfs2driver

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/framework/driver"
)

// defaultWait is the pause between mount attempts when mountwait= does not set one.
const defaultWait = 2 * time.Second

// Mount mounts the GFS2 root, trying mounttimes= times (else mount_attempts),
// mountwait= apart (else 2 s). With lock_dlm, osr has started corosync and
// dlm_controld before (the boot's cluster step); the lock table's cluster part must
// be the cluster's name, or the kernel DLM refuses the lockspace. The superblock is
// read first so that a filesystem whose lock protocol or table differs from the
// configuration gets a clear message.
func (d *gfs2Driver) Mount(ctx context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	res := &driver.MountResult{}
	cfg := req.Config
	proto := cfg.String("lock_protocol")
	if req.Source == "" || req.Target == "" {
		return res, fmt.Errorf("mount gfs2: source %q and target %q must both be set (rootvolume in the cluster configuration or root= on the command line)", req.Source, req.Target)
	}
	if proto != "lock_nolock" && proto != "lock_dlm" {
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
	forced := []string{"lockproto=" + proto}
	table := sb.LockTable
	if lt := cfg.String("lock_table"); lt != "" {
		forced = append(forced, "locktable="+lt)
		if lt != sb.LockTable {
			d.log.Info("the configured lock table overrides the superblock's", "lock_table", lt, "superblock", sb.LockTable)
		}
		table = lt
	}
	switch {
	case proto == "lock_dlm" && sb.LockProto == "lock_nolock":
		return res, fmt.Errorf("the filesystem on %s was made with lock_nolock (table %q), so only one node may mount it: "+
			"set lock_protocol = \"lock_nolock\" in the driver \"gfs2\" block and boot ONE node, or make it shareable with "+
			"tunegfs2 -o lockproto=lock_dlm -o locktable=%s:NAME %s while no node mounts it", req.Source, sb.LockTable, orName(req.ClusterName), req.Source)
	case proto == "lock_dlm":
		if err := checkLockTable(table, req.ClusterName, req.Source); err != nil {
			return res, err
		}
	case sb.LockProto == "lock_nolock":
	case sb.LockProto == "lock_dlm":
		w := driver.Warnf([]string{"lock_protocol"}, "the filesystem on %s is made for lock_dlm (table %q) and is mounted with lock_nolock", req.Source, sb.LockTable)
		w.Detail = "no other node may mount it while this node runs, or the filesystem is corrupted"
		res.Diagnostics = append(res.Diagnostics, w)
	default:
		return res, fmt.Errorf("the filesystem on %s records lock protocol %q, which the gfs2 kernel module does not know: set it with tunegfs2 -o lockproto=lock_dlm (or lock_nolock) %s while no node mounts it", req.Source, sb.LockProto, req.Source)
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

// checkLockTable makes sure the lock table's cluster part is the cluster's name: the
// kernel DLM joins lockspaces only of the cluster corosync runs.
func checkLockTable(table, clusterName, source string) error {
	cl, fs, ok := strings.Cut(table, ":")
	if !ok || cl == "" || fs == "" {
		return fmt.Errorf("the lock table %q of %s is not of the form cluster:filesystem: set it with tunegfs2 -o locktable=%s:NAME %s while no node mounts it", table, source, orName(clusterName), source)
	}
	if clusterName == "" {
		return fmt.Errorf("lock_dlm needs the cluster configuration in the image (its name must be %q, the lock table's cluster part): rebuild the image with --cluster FILE", cl)
	}
	if cl != clusterName {
		return fmt.Errorf("the lock table %q of %s names cluster %q, but this node belongs to cluster %q: the kernel DLM would refuse the lockspace. "+
			"Rename the cluster in its configuration to %q, or change the table with tunegfs2 -o locktable=%s:%s %s while no node mounts it (or set lock_table in the driver \"gfs2\" block)",
			table, source, cl, clusterName, cl, clusterName, fs, source)
	}
	return nil
}

func orName(s string) string {
	if s == "" {
		return "CLUSTER"
	}
	return s
}
