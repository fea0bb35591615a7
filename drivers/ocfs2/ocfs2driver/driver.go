// SPDX-License-Identifier: Apache-2.0

package ocfs2driver

import (
	"context"
	"regexp"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
)

// ocfs2Driver mounts OCFS2 roots. With the in-kernel o2cb stack the initrd configures
// the cluster through configfs (nodes, heartbeat region) before the mount; the user
// stack needs corosync and dlm_controld; a filesystem made with -M local needs neither.
type ocfs2Driver struct {
	log hclog.Logger
	// mounter makes the mount(2) calls; tests replace its Syscall.
	mounter driver.MountExecutor
	// configfs is where configfs is mounted ("" means /sys/kernel/config).
	configfs string
	// trace, when set, is told of every configfs operation after it succeeded.
	trace func(op, path, value string)
}

// newDriver returns the driver logging through log.
func newDriver(log hclog.Logger) *ocfs2Driver {
	return &ocfs2Driver{log: log, mounter: driver.MountExecutor{Logger: log}}
}

var ocfs2Schema = driver.Schema{Attributes: []driver.Attribute{
	{Name: "cluster_stack", Type: cty.String, Default: cty.StringVal("o2cb"), Allowed: []string{"o2cb", "user", "local"},
		Description: "o2cb (in-kernel, configured through configfs), user (corosync + dlm_controld) or local (mkfs -M local, one node)"},
	{Name: "cluster_name", Type: cty.String, Default: cty.StringVal(""),
		Description: "o2cb cluster name; empty uses the cluster configuration's name"},
	{Name: "heartbeat", Type: cty.String, Default: cty.StringVal("local"), Allowed: []string{"local", "global"},
		Description: "o2cb heartbeat mode; local heartbeats on the root device itself"},
	{Name: "port", Type: cty.Number, Default: cty.NumberIntVal(7777),
		Description: "o2net TCP port (the cluster configuration's tcp_port wins per node)"},
	{Name: "dead_threshold", Type: cty.Number, Default: cty.NumberIntVal(31),
		Description: "heartbeat iterations (2 s each) before a silent node is declared dead"},
	{Name: "idle_timeout_ms", Type: cty.Number, Default: cty.NumberIntVal(30000),
		Description: "o2net idle time before a connection is dropped"},
	{Name: "keepalive_delay_ms", Type: cty.Number, Default: cty.NumberIntVal(2000),
		Description: "o2net idle time before a keepalive is sent"},
	{Name: "reconnect_delay_ms", Type: cty.Number, Default: cty.NumberIntVal(2000),
		Description: "o2net delay between connection attempts"},
	{Name: "mount_options", Type: cty.List(cty.String), Default: cty.ListVal([]cty.Value{cty.StringVal("noatime")}),
		Description: "mount options (the originals' default: noatime)"},
}}

func (*ocfs2Driver) Describe(context.Context) (*driver.Info, error) {
	return &driver.Info{
		Name:        "ocfs2",
		Version:     Version,
		FSTypes:     []string{"ocfs2"},
		Description: "shared root on OCFS2 with the o2cb stack configured through configfs, the user stack, or local mode",
		Schema:      ocfs2Schema,
	}, nil
}

// o2cb cluster names: at most 16 characters (OCFS2_CLUSTER_NAME_LEN), letters,
// digits and '_'.
var clusterNameRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,16}$`)

func (*ocfs2Driver) ValidateConfig(_ context.Context, req driver.ValidateRequest) (driver.Diagnostics, error) {
	var ds driver.Diagnostics
	cfg := req.Config
	if n := cfg.String("cluster_name"); n != "" && !clusterNameRE.MatchString(n) {
		ds = append(ds, driver.Errorf([]string{"cluster_name"}, "o2cb cluster name %q must be 1 to 16 letters, digits or '_'", n))
	}
	if p := cfg.Int("port"); p < 1 || p > 65535 {
		ds = append(ds, driver.Errorf([]string{"port"}, "port must be between 1 and 65535, not %d", p))
	}
	if t := cfg.Int("dead_threshold"); t < 2 {
		ds = append(ds, driver.Errorf([]string{"dead_threshold"}, "dead_threshold must be at least 2 (the kernel's minimum), not %d", t))
	}
	idle, keep, reconnect := cfg.Int("idle_timeout_ms"), cfg.Int("keepalive_delay_ms"), cfg.Int("reconnect_delay_ms")
	if keep <= 0 || idle <= 0 || reconnect <= 0 {
		ds = append(ds, driver.Errorf([]string{"idle_timeout_ms"}, "o2net timeouts must be positive"))
	} else if keep >= idle {
		ds = append(ds, driver.Errorf([]string{"keepalive_delay_ms"}, "keepalive_delay_ms (%d) must be less than idle_timeout_ms (%d), or o2net refuses the configuration", keep, idle))
	}
	if cfg.String("cluster_stack") == "user" {
		d := driver.Errorf([]string{"cluster_stack"}, "cluster_stack \"user\" cannot boot: this ocfs2 driver cannot start the user-space stack (ocfs2_stack_user with corosync and dlm_controld)")
		d.Detail = `use cluster_stack = "o2cb" (the in-kernel stack, for a filesystem made with mkfs.ocfs2 --cluster-stack=o2cb) or "local" on one node (mkfs.ocfs2 -M local); GFS2 with lock_dlm runs on corosync and dlm_controld`
		ds = append(ds, d)
	}
	if cfg.String("heartbeat") == "global" && cfg.String("cluster_stack") != "o2cb" {
		ds = append(ds, driver.Errorf([]string{"heartbeat"}, "global heartbeat exists only with the o2cb stack"))
	}
	for _, o := range cfg.Strings("mount_options") {
		key, _, _ := strings.Cut(o, "=")
		if key == "heartbeat" || key == "cluster_stack" {
			ds = append(ds, driver.Errorf([]string{"mount_options"}, "mount option %q is set from the %q attribute", o, key))
		}
	}
	return ds, nil
}

func (d *ocfs2Driver) Plan(ctx context.Context, req driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	ds, _ := d.ValidateConfig(ctx, driver.ValidateRequest{Config: req.Config, FSType: req.FSType})
	if ds.HasErrors() {
		return nil, ds, nil
	}
	p := &driver.Plan{
		Modules: []driver.Module{
			{Name: "ocfs2", Reason: "the filesystem"},
			{Name: "ocfs2_stackglue", Reason: "the cluster stack interface"},
		},
		Binaries: []driver.Binary{
			{Name: "fsck.ocfs2", Optional: true, Reason: "checking the filesystem from the rescue shell"},
			{Name: "mount.ocfs2", Optional: true, Reason: "mounting by hand in the rescue shell"},
			{Name: "debugfs.ocfs2", Optional: true, Reason: "inspecting the filesystem from the rescue shell"},
			{Name: "ocfs2_hb_ctl", Optional: true, Reason: "umount stops the heartbeat through it"},
		},
	}
	switch req.Config.String("cluster_stack") {
	case "o2cb":
		p.Modules = append(p.Modules,
			driver.Module{Name: "ocfs2_stack_o2cb", Reason: "the o2cb stack"},
			driver.Module{Name: "ocfs2_nodemanager", Reason: "o2cb node manager (configfs)"},
			driver.Module{Name: "ocfs2_dlm", Reason: "o2cb's DLM"},
			driver.Module{Name: "ocfs2_dlmfs", Optional: true, Reason: "the dlmfs control filesystem"},
			driver.Module{Name: "configfs", Reason: "o2cb is configured through configfs"})
	case "user":
		p.Modules = append(p.Modules,
			driver.Module{Name: "ocfs2_stack_user", Reason: "the user-space cluster stack"},
			driver.Module{Name: "dlm", Reason: "the kernel DLM"},
			driver.Module{Name: "configfs", Reason: "dlm_controld configures the kernel DLM through configfs"})
		p.Binaries = append(p.Binaries,
			driver.Binary{Name: "corosync", Reason: "cluster membership for the user stack"},
			driver.Binary{Name: "dlm_controld", Reason: "joins the DLM lockspaces"})
		p.Directories = append(p.Directories, "/etc/corosync", "/var/lib/corosync", "/run/dlm")
	}
	return p, ds, nil
}
