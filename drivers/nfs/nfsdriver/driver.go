// SPDX-License-Identifier: Apache-2.0

package nfsdriver

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
)

// nfsDriver mounts NFS roots with mount(2) text options, so no mount.nfs is needed in
// the initrd. NFSv3 roots are mounted nolock by default, as the originals did: lockd
// would need rpc.statd and rpcbind running in the initrd.
type nfsDriver struct {
	log hclog.Logger
	// mounter makes the mount(2) calls; tests replace its Syscall.
	mounter driver.MountExecutor
}

// newDriver returns the driver logging through log.
func newDriver(log hclog.Logger) *nfsDriver {
	return &nfsDriver{log: log, mounter: driver.MountExecutor{Logger: log}}
}

// Versions the driver accepts; "" picks the fstype's default.
var nfsVersions = []string{"", "3", "4", "4.0", "4.1", "4.2"}

var nfsSchema = driver.Schema{Attributes: []driver.Attribute{
	{Name: "version", Type: cty.String, Default: cty.StringVal(""), Allowed: nfsVersions,
		Description: `NFS protocol version: "3", "4", "4.0", "4.1" or "4.2"; empty means 3 for fstype nfs and 4.1 for nfs4`},
	{Name: "mount_options", Type: cty.List(cty.String), Default: cty.NullVal(cty.List(cty.String)),
		Description: `extra mount options; unset means the originals' defaults: "nolock" for NFSv3, none for NFSv4`},
	{Name: "transport", Type: cty.String, Default: cty.StringVal("tcp"), Allowed: []string{"tcp", "udp", "rdma"},
		Description: "transport protocol (proto=)"},
	{Name: "port", Type: cty.Number, Default: cty.NumberIntVal(0),
		Description: "NFS server port; 0 asks the portmapper (v3) or uses 2049 (v4)"},
	{Name: "mount_port", Type: cty.Number, Default: cty.NumberIntVal(0),
		Description: "NFSv3 mountd port; 0 asks the portmapper"},
	{Name: "security", Type: cty.String, Default: cty.StringVal("sys"), Allowed: []string{"sys", "none"},
		Description: "RPC security flavour (sec=); Kerberos needs rpc.gssd, which the initrd does not run"},
	{Name: "timeo", Type: cty.Number, Default: cty.NumberIntVal(600),
		Description: "RPC timeout in tenths of a second"},
	{Name: "retrans", Type: cty.Number, Default: cty.NumberIntVal(2),
		Description: "RPC retransmissions before a major timeout"},
	{Name: "mount_attempts", Type: cty.Number, Default: cty.NumberIntVal(30),
		Description: "how often the initrd tries the mount before giving up (the originals' mounttimes; mounttimes= on the command line wins)"},
	{Name: "mount_wait", Type: cty.Number, Default: cty.NumberIntVal(10),
		Description: "seconds between mount attempts (the originals' mountwait; mountwait= on the command line wins)"},
}}

func (*nfsDriver) Describe(context.Context) (*driver.Info, error) {
	return &driver.Info{
		Name:        "nfs",
		Version:     Version,
		FSTypes:     []string{"nfs", "nfs4"},
		Description: "shared root on NFSv3 or NFSv4, mounted by the kernel's NFS client without mount.nfs",
		Schema:      nfsSchema,
	}, nil
}

// effectiveVersion resolves the version attribute against the fstype.
func effectiveVersion(cfg driver.Config, fstype string) string {
	if v := cfg.String("version"); v != "" {
		return v
	}
	if fstype == "nfs4" {
		return "4.1"
	}
	return "3"
}

// forbiddenOptions are set through attributes or computed at boot, never by hand.
var forbiddenOptions = map[string]string{
	"vers": "version", "nfsvers": "version", "proto": "transport", "port": "port",
	"mountport": "mount_port", "sec": "security", "addr": "", "clientaddr": "",
}

func (*nfsDriver) ValidateConfig(_ context.Context, req driver.ValidateRequest) (driver.Diagnostics, error) {
	var ds driver.Diagnostics
	cfg := req.Config
	v := effectiveVersion(cfg, req.FSType)
	switch {
	case req.FSType == "nfs4" && v == "3":
		ds = append(ds, driver.Errorf([]string{"version"}, `version "3" does not fit fstype nfs4`))
	case req.FSType == "nfs" && strings.HasPrefix(v, "4") && cfg.String("version") != "":
		ds = append(ds, driver.Warnf([]string{"version"}, "fstype nfs with version %s: the root is mounted as nfs4", v))
	}
	for _, o := range cfg.Strings("mount_options") {
		key, _, _ := strings.Cut(o, "=")
		if attr, bad := forbiddenOptions[key]; bad {
			d := driver.Errorf([]string{"mount_options"}, "mount option %q is not allowed here", o)
			if attr != "" {
				d.Detail = fmt.Sprintf("set the %q attribute instead", attr)
			} else {
				d.Detail = "osr computes it from the server address at boot"
			}
			ds = append(ds, d)
		}
		if (key == "lock" || key == "local_lock") && v == "3" {
			ds = append(ds, driver.Warnf([]string{"mount_options"}, "NFSv3 locking needs rpc.statd and rpcbind in the initrd; they are added to the image"))
		}
	}
	for _, p := range []struct {
		name     string
		min, max int
	}{{"port", 0, 65535}, {"mount_port", 0, 65535}, {"timeo", 1, 6000}, {"retrans", 0, 100}, {"mount_attempts", 1, 1000}, {"mount_wait", 0, 3600}} {
		if n := cfg.Int(p.name); n < p.min || n > p.max {
			ds = append(ds, driver.Errorf([]string{p.name}, "%s must be between %d and %d, not %d", p.name, p.min, p.max, n))
		}
	}
	if cfg.String("transport") == "udp" && strings.HasPrefix(v, "4") {
		ds = append(ds, driver.Errorf([]string{"transport"}, "NFSv4 does not run over UDP"))
	}
	if cfg.Int("mount_port") != 0 && strings.HasPrefix(v, "4") {
		ds = append(ds, driver.Warnf([]string{"mount_port"}, "mount_port is ignored by NFSv4"))
	}
	return ds, nil
}

// wantsLocking reports whether an NFSv3 mount will use the kernel's lockd.
func wantsLocking(cfg driver.Config, v string) bool {
	if v != "3" {
		return false
	}
	opts := cfg.Strings("mount_options")
	if cfg.Get("mount_options").IsNull() {
		return false // the default is nolock
	}
	for _, o := range opts {
		if o == "nolock" {
			return false
		}
	}
	return true
}

func (d *nfsDriver) Plan(ctx context.Context, req driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	ds, _ := d.ValidateConfig(ctx, driver.ValidateRequest{Config: req.Config, FSType: req.FSType})
	if ds.HasErrors() {
		return nil, ds, nil
	}
	v := effectiveVersion(req.Config, req.FSType)
	p := &driver.Plan{
		Modules: []driver.Module{
			{Name: "nfs", Reason: "the NFS client"},
			{Name: "sunrpc", Reason: "RPC transport"},
		},
		Binaries: []driver.Binary{
			{Name: "mount.nfs", Optional: true, Reason: "mounting by hand in the rescue shell"},
		},
	}
	// The configured version's client is required; the other one comes along
	// (optional), so rootfs= on the kernel command line can switch versions
	// without a new image.
	p.Modules = append(p.Modules,
		driver.Module{Name: "nfsv3", Optional: v != "3", Reason: "NFSv3"},
		driver.Module{Name: "nfs_acl", Optional: true, Reason: "NFSv3 ACLs"},
		driver.Module{Name: "nfsv4", Optional: v == "3", Reason: "NFSv4"},
		driver.Module{Name: "dns_resolver", Optional: true, Reason: "NFSv4 referrals and id mapping"})
	if req.Config.String("transport") == "rdma" {
		p.Modules = append(p.Modules, driver.Module{Name: "rpcrdma", Reason: "RPC over RDMA"})
	}
	if wantsLocking(req.Config, v) {
		p.Binaries = append(p.Binaries,
			driver.Binary{Name: "rpcbind", Reason: "NFSv3 locking (lockd registers with the portmapper)"},
			driver.Binary{Name: "rpc.statd", Reason: "NFSv3 locking (lock recovery after a reboot)"})
		p.Directories = append(p.Directories, "/var/lib/nfs/sm", "/var/lib/nfs/sm.bak", "/run/rpcbind")
	}
	return p, ds, nil
}
