// SPDX-License-Identifier: Apache-2.0

// Package initrd builds osr's initrd: it gathers what the image must hold (osr as
// /init, the driver and its manifest, the driver's plan, the listfiles, the kernel
// module closure with firmware, the ELF libraries of every binary, the cluster
// configuration), fills an image archive and writes it atomically.
package initrd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/kmod"
	"github.com/open-sharedroot/osr/framework/listfile"
)

// Request is everything a build needs. Build checks it and refuses with errors that
// say what to do.
type Request struct {
	// Driver is the running driver; DriverInfo what it said of itself; DriverBinary
	// the host path of its program (copied into the image and hashed).
	Driver       driver.Driver
	DriverInfo   *driver.Info
	DriverBinary string
	// DriverConfig is the driver block decoded against the driver's schema.
	DriverConfig driver.Config
	// FSType is the root filesystem type (from the cluster, or one the driver serves).
	FSType string

	// Kernel is the module index of the kernel the image is for.
	Kernel *kmod.Index
	// ExtraModules are modules the user asked for (osr.hcl, --modules is a dir).
	ExtraModules []string
	// HostOnly narrows the network and block drivers to this machine's hardware.
	HostOnly bool
	// Sysfs is where HostOnly reads modaliases; default /sys.
	Sysfs string

	// Root is the system the image is assembled from; "" or "/" is the host.
	Root string
	// Listfiles is the loaded listfile set; nil takes none.
	Listfiles *listfile.Set
	// OnRequest names listfiles taken only when asked for ("debug").
	OnRequest []string

	// Cluster and ClusterFile are the cluster configuration embedded in the image.
	Cluster     *cluster.Cluster
	ClusterFile string
	// ClusterStack holds the settings of the cluster stack's chroot (osr.hcl's
	// cluster_stack block), used when the driver asks for the stack's listfile.
	ClusterStack clusterstack.Settings

	// InitBinary is osr-init, the image's /init (and /usr/bin/osr) when the
	// driver is built in (see DriverBuiltIn): it calls the driver in its own
	// process and links no gRPC.
	InitBinary string
	// PluginInitBinary is osr-init-plugin, the image's /init when the driver is
	// a program of its own, which it starts at boot. The built-in drivers the
	// build host starts are links to it.
	PluginInitBinary string
	// OSRVersion is recorded in the manifest.
	OSRVersion string
	// ModTime is the build time recorded in the manifest (SOURCE_DATE_EPOCH).
	ModTime int64
	// Target is passed to the driver's Plan.
	Target driver.Target
	// Cmdline holds default kernel parameters for the init, recorded in the
	// manifest (osr.hcl's initrd { cmdline }).
	Cmdline string
	// CacheDir, when set, is the build's cache directory (the image
	// segments' one), where the firmware names of module files are
	// remembered between builds.
	CacheDir string

	// Progress, when set, is told what the build is doing.
	Progress func(stage string)
}

func (r *Request) root() string {
	if r.Root == "" {
		return "/"
	}
	return r.Root
}

// hostPath is the host path of a path inside the build root.
func (r *Request) hostPath(p string) string { return filepath.Join(r.root(), p) }

func (r *Request) progress(format string, args ...any) {
	if r.Progress != nil {
		r.Progress(fmt.Sprintf(format, args...))
	}
}

func (r *Request) check() error {
	switch {
	case r.Driver == nil || r.DriverInfo == nil:
		return fmt.Errorf("no driver: give one with --driver NAME or initrd { driver = … } in osr.hcl")
	case r.DriverBinary == "":
		return fmt.Errorf("driver %s: the path of its binary is unknown", r.DriverInfo.Name)
	case r.Kernel == nil:
		return fmt.Errorf("no kernel modules: give --kernel VERSION or --modules DIR")
	case r.InitBinary == "" || r.PluginInitBinary == "":
		return fmt.Errorf("the osr programs to install as /init are unknown (osr-init and osr-init-plugin)")
	case r.FSType != "" && !r.DriverInfo.ServesFSType(r.FSType):
		return fmt.Errorf("driver %s does not mount fstype %q (it mounts %v); pick the driver for the cluster's root filesystem",
			r.DriverInfo.Name, r.FSType, r.DriverInfo.FSTypes)
	}
	return nil
}

// checkContext returns ctx's error, wrapped as the build being stopped.
func checkContext(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("build stopped: %w", err)
	}
	return nil
}

// DriverBuiltIn reports whether DriverBinary is PluginInitBinary itself
// (osr-init-plugin reached through a link osr-driver-<name>, as make install
// lays the built-in drivers out): the driver is then one of those osr-init
// has built in, and the image carries osr-init alone, which calls the driver
// in its own process.
func (r *Request) DriverBuiltIn() bool {
	if r.DriverBinary == "" || r.PluginInitBinary == "" {
		return false
	}
	d, err := os.Stat(r.DriverBinary)
	if err != nil {
		return false
	}
	i, err := os.Stat(r.PluginInitBinary)
	return err == nil && os.SameFile(d, i)
}

// Init is the program that goes into the image as /init: osr-init when the
// driver is built in, else osr-init-plugin.
func (r *Request) Init() (path, name string) {
	if r.DriverBuiltIn() {
		return r.InitBinary, "osr-init"
	}
	return r.PluginInitBinary, "osr-init-plugin"
}
