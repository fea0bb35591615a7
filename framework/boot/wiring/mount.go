// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/manifest"
)

// startFunc starts the image's driver and returns it with the function that
// stops it.
type startFunc func(ctx context.Context) (driver.Mounter, func(), error)

// Drivers are how this init reaches the driver an image's manifest names.
type Drivers struct {
	// BuiltIn are the drivers linked into this init, by name. A manifest whose
	// driver is built in (built_in) is called in the init's own process
	// (driver.Direct): nothing is started and no protocol is spoken.
	BuiltIn map[string]driver.Factory
	// Program starts the driver program a manifest names (package
	// driverprogram); it returns the driver with the function that stops it.
	// Nil when this init cannot start driver programs.
	Program func(ctx context.Context, d manifest.Driver, r *reaper.Reaper, log *bootlog.Log) (driver.Mounter, func(), error)
}

// names lists the built-in drivers for messages.
func (ds Drivers) names() string {
	var n []string
	for name := range ds.BuiltIn {
		n = append(n, name)
	}
	if len(n) == 0 {
		return "none"
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

// rootMounter has the manifest's driver mount the root. err, when set, is why
// the manifest could not be read: the mount step then fails with it.
type rootMounter struct {
	manifest *manifest.Manifest
	cluster  *cluster.Cluster // nil when the image has no cluster configuration
	log      *bootlog.Log
	start    startFunc
	err      error
}

func newRootMounter(m *manifest.Manifest, c *cluster.Cluster, ds Drivers, r *reaper.Reaper, log *bootlog.Log) *rootMounter {
	return &rootMounter{manifest: m, cluster: c, log: log, start: starter(m.Driver, ds, r, log)}
}

// starter is how the manifest's driver d is started: in this process when it is
// built in, else as its program.
func starter(d manifest.Driver, ds Drivers, r *reaper.Reaper, log *bootlog.Log) startFunc {
	if d.BuiltIn {
		f, ok := ds.BuiltIn[d.Name]
		if !ok {
			return failed(fmt.Errorf("manifest: driver %s is built into the image's init, but this init has no driver %s (built in: %s); rebuild the image with osr build",
				d.Name, d.Name, ds.names()))
		}
		return inProcess(d, f, r, log)
	}
	if ds.Program == nil {
		return failed(fmt.Errorf("manifest: driver %s is a program of its own (%s), and this init starts no driver programs (it calls only its built-in drivers: %s); rebuild the image with osr build, which puts an init that starts driver programs into images like this one",
			d.Name, d.Path, ds.names()))
	}
	return func(ctx context.Context) (driver.Mounter, func(), error) {
		return ds.Program(ctx, d, r, log)
	}
}

func failed(err error) startFunc {
	return func(context.Context) (driver.Mounter, func(), error) { return nil, nil, err }
}

// inProcess calls the built-in driver f in this process. The driver logs into
// the boot log under its name. While it runs, the reaper leaves unregistered
// zombies alone: the driver waits for the programs it starts (fsck, mount
// helpers) itself, and a reaper running beside it would take their exit status.
func inProcess(d manifest.Driver, f driver.Factory, r *reaper.Reaper, log *bootlog.Log) startFunc {
	return func(ctx context.Context) (driver.Mounter, func(), error) {
		logger := hclog.New(&hclog.LoggerOptions{Name: "driver." + d.Name, Output: log.Writer(), Level: hclog.Info})
		impl := driver.NewDirect(f(logger), d.Name, driver.Timeouts{})
		info, err := impl.Describe(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("built-in driver %s: %w", d.Name, err)
		}
		if info.Name != d.Name || info.Version != d.Version {
			return nil, nil, fmt.Errorf("manifest: driver %s %s, but this init's built-in driver is %s %s; rebuild the image with osr build",
				d.Name, d.Version, info.Name, info.Version)
		}
		release := r.Hold()
		return impl, release, nil
	}
}

// MountRoot starts the driver, sends it the mount request and stops it.
func (d *rootMounter) MountRoot(ctx context.Context, spec boot.MountSpec) error {
	if d.err != nil {
		return d.err
	}
	m := d.manifest
	cfg, err := m.Driver.DecodeConfig()
	if err != nil {
		return err
	}
	p, stop, err := d.start(ctx)
	if err != nil {
		return err
	}
	defer stop()
	req := mountRequest(spec, m.FSType, d.cluster)
	req.Config = cfg
	res, err := p.Mount(ctx, req)
	if res != nil {
		for _, w := range res.Diagnostics {
			d.log.Printf("driver %s: warning: %s", m.Driver.Name, w.Error())
		}
	}
	if err != nil {
		return fmt.Errorf("driver %s could not mount %s on %s: %w", m.Driver.Name, spec.Source, spec.Target, err)
	}
	return nil
}

// mountRequest is what the driver is told: the spec (mounttimes= and
// mountwait= as Attempts and Wait), the image's filesystem type when neither
// the command line nor the node names one, this node with its addresses and
// every member of the cluster.
func mountRequest(spec boot.MountSpec, fstype string, c *cluster.Cluster) driver.MountRequest {
	if spec.FSType != "" {
		fstype = spec.FSType
	}
	req := driver.MountRequest{
		FSType: fstype, Source: spec.Source, Target: spec.Target, ReadOnly: spec.ReadOnly,
		Options: splitOptions(spec.Options), Parameters: map[string]string{},
		Node: driver.ClusterNode{ID: spec.Node.ID, Name: spec.Node.Name}, Attempts: spec.Tries, Wait: spec.Wait,
	}
	if c != nil {
		req.Nodes, req.ClusterName = driverNodes(c), c.Name
		for _, n := range req.Nodes {
			if n.ID == spec.Node.ID {
				req.Node = n
			}
		}
	}
	for _, prm := range spec.Params.All {
		req.Parameters[prm.Name] = prm.Value
	}
	return req
}

func splitOptions(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}
