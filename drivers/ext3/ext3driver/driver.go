// SPDX-License-Identifier: Apache-2.0

package ext3driver

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
)

// extDriver mounts ext2/3/4 roots. An ext filesystem is not cluster aware: several
// nodes may share it only read-only, and then without journal replay (noload), since
// a replay writes to the device under the other nodes' feet. That is the default, as
// the originals mounted ext3 roots read-only.
type extDriver struct {
	log hclog.Logger
	// mounter makes the mount(2) calls; tests replace its Syscall.
	mounter driver.MountExecutor
	// runFsck runs e2fsck with args and returns its exit code and output.
	runFsck func(ctx context.Context, args []string) (code int, output string, err error)
	// sysBlock and devDir are /sys/class/block and /dev, where block devices are found.
	sysBlock, devDir string
}

// newDriver returns the driver logging through log.
func newDriver(log hclog.Logger) *extDriver {
	return &extDriver{
		log: log, mounter: driver.MountExecutor{Logger: log, DeviceWait: 30 * time.Second},
		runFsck: execFsck, sysBlock: "/sys/class/block", devDir: "/dev",
	}
}

var extSchema = driver.Schema{Attributes: []driver.Attribute{
	{Name: "read_only", Type: cty.Bool, Default: cty.True,
		Description: "mount the root read-only (needed when several nodes share the device)"},
	{Name: "replay_journal", Type: cty.Bool, Default: cty.False,
		Description: "allow journal replay on a read-only mount (unsafe when the device is shared)"},
	{Name: "fsck", Type: cty.String, Default: cty.StringVal("auto"), Allowed: []string{"never", "auto", "force"},
		Description: "auto: e2fsck -p when mounted read-write; force: e2fsck -f -p; never: no check"},
	{Name: "fsck_options", Type: cty.List(cty.String), Default: cty.ListValEmpty(cty.String),
		Description: "extra e2fsck options"},
	{Name: "mount_options", Type: cty.List(cty.String), Default: cty.ListValEmpty(cty.String),
		Description: "extra mount options"},
}}

func (*extDriver) Describe(context.Context) (*driver.Info, error) {
	return &driver.Info{
		Name:        "ext3",
		Version:     Version,
		FSTypes:     []string{"ext3", "ext4", "ext2"},
		Description: "root on a local ext2/ext3/ext4 filesystem, read-only without journal replay when shared",
		Schema:      extSchema,
	}, nil
}

func (*extDriver) ValidateConfig(_ context.Context, req driver.ValidateRequest) (driver.Diagnostics, error) {
	var ds driver.Diagnostics
	cfg := req.Config
	ro := cfg.Bool("read_only")
	if ro && cfg.String("fsck") == "force" {
		ds = append(ds, driver.Errorf([]string{"fsck"}, `fsck = "force" repairs the device, which a read-only root may share with other nodes`))
	}
	if !ro && cfg.Bool("replay_journal") {
		ds = append(ds, driver.Warnf([]string{"replay_journal"}, "replay_journal only matters for read-only mounts"))
	}
	if !ro {
		ds = append(ds, driver.Warnf([]string{"read_only"}, "a read-write ext root must not be shared by several nodes"))
	}
	for _, o := range cfg.Strings("mount_options") {
		switch o {
		case "rw":
			if ro {
				ds = append(ds, driver.Errorf([]string{"mount_options"}, `mount option "rw" contradicts read_only = true`))
			}
		case "ro":
			ds = append(ds, driver.Errorf([]string{"mount_options"}, `set read_only instead of the mount option "ro"`))
		}
	}
	for _, o := range cfg.Strings("fsck_options") {
		switch {
		case !strings.HasPrefix(o, "-"):
			ds = append(ds, driver.Errorf([]string{"fsck_options"}, "fsck option %q is not an option (it must start with '-')", o))
		case o == "-y" || o == "-n" || o == "-a":
			d := driver.Errorf([]string{"fsck_options"}, "fsck option %q cannot be used", o)
			d.Detail = "osr runs e2fsck -p, and e2fsck accepts only one of -p/-a, -n or -y"
			ds = append(ds, d)
		}
	}
	if req.FSType == "ext2" && cfg.Bool("replay_journal") {
		ds = append(ds, driver.Warnf([]string{"replay_journal"}, "ext2 has no journal"))
	}
	return ds, nil
}

// runsFsck tells whether the initrd runs e2fsck before the mount.
func runsFsck(cfg driver.Config) bool {
	switch cfg.String("fsck") {
	case "never":
		return false
	case "auto":
		return !cfg.Bool("read_only")
	}
	return true
}

func (d *extDriver) Plan(ctx context.Context, req driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	ds, _ := d.ValidateConfig(ctx, driver.ValidateRequest{Config: req.Config, FSType: req.FSType})
	if ds.HasErrors() {
		return nil, ds, nil
	}
	p := &driver.Plan{
		Modules: []driver.Module{
			{Name: "ext4", Reason: "ext2, ext3 and ext4 are all served by the ext4 module"},
			{Name: "crc32c", Optional: true, Reason: "metadata checksums"},
		},
	}
	fsck := driver.Binary{Name: "e2fsck", Optional: true, Reason: "checking the root from the rescue shell"}
	if runsFsck(req.Config) {
		fsck = driver.Binary{Name: "e2fsck", Reason: "checking the root before the mount (fsck = " + req.Config.String("fsck") + ")"}
	}
	p.Binaries = append(p.Binaries, fsck)
	return p, ds, nil
}
