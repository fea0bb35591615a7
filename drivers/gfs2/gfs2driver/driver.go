// SPDX-License-Identifier: Apache-2.0

package gfs2driver

import (
	"context"
	"regexp"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
)

// gfs2Driver mounts GFS2 roots. With lock_dlm every node needs the kernel DLM and a
// cluster stack (corosync and dlm_controld) before the mount; lock_nolock lets exactly
// one node mount the filesystem at a time.
type gfs2Driver struct {
	log hclog.Logger
	// mounter makes the mount(2) calls; tests replace its Syscall.
	mounter driver.MountExecutor
}

// newDriver returns the driver logging through log.
func newDriver(log hclog.Logger) *gfs2Driver {
	return &gfs2Driver{log: log, mounter: driver.MountExecutor{Logger: log}}
}

var gfs2Schema = driver.Schema{Attributes: []driver.Attribute{
	{Name: "lock_protocol", Type: cty.String, Default: cty.StringVal("lock_dlm"), Allowed: []string{"lock_dlm", "lock_nolock"},
		Description: "locking protocol; lock_nolock allows a single node only"},
	{Name: "lock_table", Type: cty.String, Default: cty.StringVal(""),
		Description: `"cluster:filesystem" override of the superblock's lock table; empty uses the superblock's`},
	{Name: "mount_options", Type: cty.List(cty.String),
		Default:     cty.ListVal([]cty.Value{cty.StringVal("noatime"), cty.StringVal("localflocks")}),
		Description: "mount options (the originals' default: noatime,localflocks)"},
	{Name: "dlm_protocol", Type: cty.String, Default: cty.StringVal("tcp"), Allowed: []string{"tcp", "sctp"},
		Description: "transport of the kernel DLM between nodes"},
	{Name: "mount_attempts", Type: cty.Number, Default: cty.NumberIntVal(3),
		Description: "how often the initrd tries the mount before giving up (mounttimes= on the command line wins)"},
}}

func (*gfs2Driver) Describe(context.Context) (*driver.Info, error) {
	return &driver.Info{
		Name:        "gfs2",
		Version:     Version,
		FSTypes:     []string{"gfs2"},
		Description: "shared root on GFS2 (lock_dlm with corosync and dlm_controld, or lock_nolock for one node)",
		Schema:      gfs2Schema,
	}, nil
}

// Lock table names as mkfs.gfs2 accepts them: cluster name up to 32 characters and
// filesystem name up to 30, from letters, digits, '-' and '_'.
var lockTableRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]{1,30}$`)

func (*gfs2Driver) ValidateConfig(_ context.Context, req driver.ValidateRequest) (driver.Diagnostics, error) {
	var ds driver.Diagnostics
	cfg := req.Config
	if lt := cfg.String("lock_table"); lt != "" && !lockTableRE.MatchString(lt) {
		d := driver.Errorf([]string{"lock_table"}, "lock table %q is not of the form cluster:filesystem", lt)
		d.Detail = "the cluster name has at most 32 and the filesystem name at most 30 letters, digits, '-' or '_'"
		ds = append(ds, d)
	}
	for _, o := range cfg.Strings("mount_options") {
		key, _, _ := strings.Cut(o, "=")
		switch key {
		case "lockproto":
			ds = append(ds, driver.Errorf([]string{"mount_options"}, "set lock_protocol instead of the mount option %q", o))
		case "locktable":
			ds = append(ds, driver.Errorf([]string{"mount_options"}, "set lock_table instead of the mount option %q", o))
		case "spectator":
			ds = append(ds, driver.Errorf([]string{"mount_options"}, "a spectator mount has no journal and cannot be a node's root"))
		}
	}
	if cfg.String("lock_protocol") == "lock_nolock" {
		ds = append(ds, driver.Warnf([]string{"lock_protocol"}, "lock_nolock: only one node may mount the root at a time; a second node corrupts it"))
	}
	if n := cfg.Int("mount_attempts"); n < 1 || n > 100 {
		ds = append(ds, driver.Errorf([]string{"mount_attempts"}, "mount_attempts must be between 1 and 100, not %d", n))
	}
	return ds, nil
}

func (d *gfs2Driver) Plan(ctx context.Context, req driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	ds, _ := d.ValidateConfig(ctx, driver.ValidateRequest{Config: req.Config, FSType: req.FSType})
	if ds.HasErrors() {
		return nil, ds, nil
	}
	p := &driver.Plan{
		Modules: []driver.Module{{Name: "gfs2", Reason: "the filesystem"}},
		Binaries: []driver.Binary{
			{Name: "fsck.gfs2", Optional: true, Reason: "checking the filesystem from the rescue shell (never while other nodes mount it)"},
			{Name: "gfs2_edit", Optional: true, Reason: "inspecting the superblock from the rescue shell"},
		},
	}
	if req.Config.String("lock_protocol") == "lock_dlm" {
		p.Modules = append(p.Modules,
			driver.Module{Name: "dlm", Reason: "lock_dlm needs the kernel DLM"},
			driver.Module{Name: "configfs", Reason: "dlm_controld configures the kernel DLM through configfs"})
		if req.Config.String("dlm_protocol") == "sctp" {
			p.Modules = append(p.Modules, driver.Module{Name: "sctp", Reason: "DLM over SCTP"})
		}
		// corosync, dlm_controld and their tools come with the listfile, which
		// osr lays out as the chroot the daemons run in.
		p.Listfiles = append(p.Listfiles, "gfs2-dlm")
	}
	return p, ds, nil
}
