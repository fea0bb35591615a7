// SPDX-License-Identifier: Apache-2.0

package ocfs2driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
)

const (
	defaultConfigfs = "/sys/kernel/config"
	// defaultWait is the pause between mount attempts when mountwait= does not set
	// one; without mounttimes= the mount is tried once.
	defaultWait = 2 * time.Second
)

// errUserStack is returned for cluster_stack "user".
var errUserStack = errors.New(`cluster_stack "user" is not supported by this version of the ocfs2 driver: ` +
	`the user-space stack needs corosync and dlm_controld running in the initrd and kept running across switch_root, ` +
	`which a later release adds; boot now with cluster_stack = "o2cb" (the in-kernel stack, for a filesystem made with ` +
	`mkfs.ocfs2 --cluster-stack=o2cb) or cluster_stack = "local" on one node (mkfs.ocfs2 -M local)`)

func (d *ocfs2Driver) configfsRoot() string {
	if d.configfs != "" {
		return d.configfs
	}
	return defaultConfigfs
}

// ensureConfigfs mounts configfs at dir unless it is mounted there already: the init
// mounts it early only when the kernel has it built in, and here it is a module the
// init loaded just before the mount.
func ensureConfigfs(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err == nil && st.Type == configfsMagic {
		return nil
	}
	if err := unix.Mount("configfs", dir, "configfs", 0, ""); err != nil && !errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("mount configfs on %s: %w; the configfs module must be loaded (osr build plans it)", dir, err)
	}
	return nil
}

// configfsMagic is configfs's filesystem magic (CONFIGFS_MAGIC).
const configfsMagic = 0x62656570

// Mount mounts the OCFS2 root. With the o2cb stack it first configures the cluster
// and starts the local heartbeat region on the device, both through configfs. The
// mount is tried once, or mounttimes= times mountwait= (else 2 s) apart.
func (d *ocfs2Driver) Mount(ctx context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	res := &driver.MountResult{}
	cfg := req.Config
	stack := cfg.String("cluster_stack")
	if stack == "user" {
		return res, errUserStack
	}
	if req.Source == "" || req.Target == "" {
		return res, fmt.Errorf("mount ocfs2: source %q and target %q must both be set (rootvolume in the cluster configuration or root= on the command line)", req.Source, req.Target)
	}
	if err := d.mounter.WaitForDevice(ctx, req.Source); err != nil {
		return res, err
	}
	sb, region, err := readDevice(req.Source, stack == "o2cb")
	if err != nil {
		return res, err
	}
	if sb.HeartbeatDevice() {
		return res, fmt.Errorf("%s is an o2cb global heartbeat device (mkfs.ocfs2 -H), not a filesystem: point the rootvolume at the OCFS2 filesystem", req.Source)
	}
	if sb.UserspaceStack() && stack != "local" {
		return res, fmt.Errorf("the filesystem on %s was made for the user-space cluster stack %q (cluster %q), which this driver version cannot start: %w", req.Source, sb.ClusterStack, sb.ClusterName, errUserStack)
	}
	var forced []string
	switch stack {
	case "local":
		if !sb.LocalMount() {
			return res, fmt.Errorf(`the filesystem on %s is a cluster filesystem, not a local one (mkfs.ocfs2 -M local): set cluster_stack = "o2cb" in the driver "ocfs2" block, or convert it with tunefs.ocfs2 -M local while no node mounts it`, req.Source)
		}
		d.log.Info(fmt.Sprintf("ocfs2 %s (UUID %s) is a local filesystem: no cluster stack needed", req.Source, sb.UUIDString()))
	case "o2cb":
		if sb.LocalMount() {
			return res, fmt.Errorf(`the filesystem on %s was made with mkfs.ocfs2 -M local and mounts on one node only: set cluster_stack = "local", or convert it with tunefs.ocfs2 -M cluster`, req.Source)
		}
		if err := d.startO2CB(req, sb, region); err != nil {
			return res, err
		}
		forced = append(forced, "heartbeat=local")
	default:
		return res, fmt.Errorf("cluster_stack %q: want o2cb, user or local", stack)
	}
	flags, data, replaced := driver.MountOptions(cfg.Strings("mount_options"), req.Options, req.ReadOnly, forced...)
	for _, o := range replaced {
		d.log.Warn(fmt.Sprintf("mount option %s ignored: the driver sets it from the cluster stack", o))
	}
	call := driver.MountCall{Source: req.Source, Target: req.Target, FSType: "ocfs2", Flags: flags, Data: data}
	if err := d.mounter.Mount(ctx, call, req.Tries(driver.Tries{Attempts: 1, Wait: defaultWait})); err != nil {
		return res, fmt.Errorf("%w; %s", err, driver.MountHint(err, "ocfs2", "ocfs2"))
	}
	return res, nil
}

// readDevice reads the superblock of the root device and, when heartbeat is set and
// the filesystem is a cluster one, its local heartbeat region.
func readDevice(path string, heartbeat bool) (*superblock, *heartbeatRegion, error) {
	dev, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open root device %s: %w", path, err)
	}
	defer dev.Close()
	vol, err := openVolume(dev)
	if err != nil {
		return nil, nil, fmt.Errorf("read the OCFS2 superblock of %s: %w; is root= the right device and does it hold OCFS2 (mkfs.ocfs2)?", path, err)
	}
	if !heartbeat || vol.sb.LocalMount() || vol.sb.HeartbeatDevice() {
		return vol.sb, nil, nil
	}
	region, err := vol.heartbeat(sectorSize(dev))
	if err != nil {
		return nil, nil, fmt.Errorf("find the heartbeat region of %s: %w; check the filesystem with fsck.ocfs2 -n %s", path, err, path)
	}
	return vol.sb, region, nil
}

// startO2CB configures the o2cb cluster and starts the heartbeat region.
func (d *ocfs2Driver) startO2CB(req driver.MountRequest, sb *superblock, region *heartbeatRegion) error {
	cfg := req.Config
	if hb := cfg.String("heartbeat"); hb != "local" {
		return fmt.Errorf(`heartbeat = %q is not supported by this version of the ocfs2 driver: global heartbeat needs its heartbeat devices configured in configfs first; use heartbeat = "local" (the heartbeat region on the root device)`, hb)
	}
	name, err := o2cbClusterName(cfg.String("cluster_name"), req.ClusterName, sb)
	if err != nil {
		return err
	}
	nodes, err := o2nodes(req.Node, req.Nodes)
	if err != nil {
		return err
	}
	if last := nodes[len(nodes)-1].num; int64(last) >= region.Blocks {
		return fmt.Errorf("node number %d needs heartbeat slot %d but the heartbeat region of %s has %d slots: number the nodes below %d or grow the heartbeat file", last, last, req.Source, region.Blocks, region.Blocks)
	}
	if d.configfs == "" {
		if err := ensureConfigfs(defaultConfigfs); err != nil {
			return err
		}
	}
	c := &o2cb{root: d.configfsRoot(), cluster: name, trace: d.trace, log: d.log}
	t := timeouts{
		deadThreshold: cfg.Int("dead_threshold"),
		idleMs:        cfg.Int("idle_timeout_ms"),
		keepaliveMs:   cfg.Int("keepalive_delay_ms"),
		reconnectMs:   cfg.Int("reconnect_delay_ms"),
	}
	if err := c.configure(t, nodes, req.Node.ID, cfg.Int("port")); err != nil {
		return err
	}
	return c.startHeartbeat(req.Source, region)
}

// o2cbClusterName picks the cluster name (the driver's cluster_name, else the cluster
// configuration's), checks it is a name o2cb accepts and that it is the one the
// filesystem records.
func o2cbClusterName(configured, fromCluster string, sb *superblock) (string, error) {
	name, origin := configured, "cluster_name in the driver \"ocfs2\" block"
	if name == "" {
		name, origin = fromCluster, "the cluster configuration's cluster name"
	}
	if name == "" && sb.ClusterName != "" {
		name, origin = sb.ClusterName, "the filesystem's superblock"
	}
	switch {
	case name == "":
		return "", fmt.Errorf("o2cb needs a cluster name and none is set: set cluster_name in the driver \"ocfs2\" block or name the cluster in the cluster configuration")
	case !clusterNameRE.MatchString(name):
		return "", fmt.Errorf("o2cb cluster name %q (from %s) must be 1 to 16 letters, digits or '_': set cluster_name in the driver \"ocfs2\" block", name, origin)
	case sb.ClusterName != "" && sb.ClusterName != name:
		return "", fmt.Errorf("the filesystem was made for o2cb cluster %q but the cluster name is %q (from %s): set cluster_name = %q, or change the filesystem with tunefs.ocfs2 --update-cluster-stack", sb.ClusterName, name, origin, sb.ClusterName)
	}
	return name, nil
}
