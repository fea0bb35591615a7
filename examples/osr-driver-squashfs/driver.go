// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"regexp"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
)

// squashfsDriver serves roots made of a read-only squashfs image, with a tmpfs
// overlay on top or read-only.
type squashfsDriver struct {
	log hclog.Logger
	// mounter makes the mount(2) calls; tests may replace its Syscall.
	mounter driver.MountExecutor
	// runDir holds the mounts beneath the root: the image's, the overlay's tmpfs and,
	// when the image is a file, the root device's. It stays reachable after
	// switch_root under /run, as the init moves /run into the new root.
	runDir string
}

// newDriver returns the driver logging through log.
func newDriver(log hclog.Logger) *squashfsDriver {
	return &squashfsDriver{log: log, mounter: driver.MountExecutor{Logger: log}, runDir: "/run/osr-squashfs"}
}

// tmpfsSize matches the size= values tmpfs accepts: bytes with an optional k, m or g
// suffix, or a percentage of RAM.
var tmpfsSize = regexp.MustCompile(`^[0-9]+[kmgKMG%]?$`)

var schema = driver.Schema{Attributes: []driver.Attribute{
	{Name: "overlay", Type: cty.String, Default: cty.StringVal("tmpfs"), Allowed: []string{"tmpfs", "none"},
		Description: "what lies on top of the read-only image: a tmpfs overlay, or nothing (read-only root)"},
	{Name: "overlay_size", Type: cty.String, Default: cty.StringVal("50%"),
		Description: "size of the tmpfs overlay (tmpfs size= syntax)"},
	{Name: "image", Type: cty.String, Default: cty.StringVal(""),
		Description: "path of the squashfs image on the root device; empty means the device is the image"},
	{Name: "device_fstype", Type: cty.String, Default: cty.StringVal("ext4"),
		Description: "filesystem of the root device that holds the image (when image is set)"},
}}

func (*squashfsDriver) Describe(context.Context) (*driver.Info, error) {
	return &driver.Info{
		Name:        "squashfs",
		Version:     "0.3.0",
		FSTypes:     []string{"squashfs"},
		Description: "read-only squashfs root with a tmpfs overlay",
		Schema:      schema,
	}, nil
}

func (*squashfsDriver) ValidateConfig(_ context.Context, req driver.ValidateRequest) (driver.Diagnostics, error) {
	var ds driver.Diagnostics
	if size := req.Config.String("overlay_size"); !tmpfsSize.MatchString(size) {
		ds = append(ds, driver.Errorf([]string{"overlay_size"}, "overlay_size %q is not a tmpfs size (like 512m, 2g or 50%%)", size))
	}
	if img := req.Config.String("image"); img != "" && !strings.HasPrefix(img, "/") {
		ds = append(ds, driver.Errorf([]string{"image"}, "image %q must be an absolute path on the root device", img))
	}
	if req.Config.String("device_fstype") == "" {
		ds = append(ds, driver.Errorf([]string{"device_fstype"}, "device_fstype must name a filesystem type, like ext4 or xfs"))
	}
	return ds, nil
}

func (d *squashfsDriver) Plan(ctx context.Context, req driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	ds, _ := d.ValidateConfig(ctx, driver.ValidateRequest{Config: req.Config, FSType: req.FSType})
	if ds.HasErrors() {
		return nil, ds, nil
	}
	p := &driver.Plan{Modules: []driver.Module{{Name: "squashfs", Reason: "the image"}}}
	if req.Config.String("overlay") == "tmpfs" {
		p.Modules = append(p.Modules, driver.Module{Name: "overlay", Reason: "the writable layer"})
	}
	if req.Config.String("image") != "" {
		p.Modules = append(p.Modules,
			driver.Module{Name: "loop", Reason: "the image is a file on the root device"},
			driver.Module{Name: req.Config.String("device_fstype"), Reason: "the root device's filesystem, which holds the image"})
	}
	p.Binaries = []driver.Binary{{Name: "unsquashfs", Optional: true, Reason: "inspecting the image from the rescue shell"}}
	return p, ds, nil
}
