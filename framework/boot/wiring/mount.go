// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
	"github.com/open-sharedroot/osr/framework/manifest"
)

// socketDir is where the driver's gRPC socket goes: short, and present in
// every initrd once /run is mounted.
const socketDir = "/run/osr"

// startFunc starts the image's driver and returns it with the function that
// stops it.
type startFunc func(ctx context.Context) (driver.Mounter, func(), error)

// rootMounter has the manifest's driver mount the root. err, when set, is why
// the manifest could not be read: the mount step then fails with it.
type rootMounter struct {
	manifest *manifest.Manifest
	cluster  *cluster.Cluster // nil when the image has no cluster configuration
	log      *bootlog.Log
	start    startFunc
	err      error
}

func newRootMounter(m *manifest.Manifest, c *cluster.Cluster, r *reaper.Reaper, log *bootlog.Log) *rootMounter {
	return &rootMounter{manifest: m, cluster: c, log: log, start: launcher(m.Driver, r, log, socketDir)}
}

// launcher starts the driver binary named in the manifest, its sha256 checked
// before exec, with its socket in sockets, and keeps its exit status from the
// reaper.
func launcher(d manifest.Driver, r *reaper.Reaper, log *bootlog.Log, sockets string) startFunc {
	return func(ctx context.Context) (driver.Mounter, func(), error) {
		sum, err := hex.DecodeString(d.SHA256)
		if err != nil || len(sum) == 0 {
			return nil, nil, fmt.Errorf("manifest: driver %s: sha256 %q is not a hex digest (rebuild the image with osr build)", d.Name, d.SHA256)
		}
		if err := os.MkdirAll(sockets, 0o700); err != nil {
			return nil, nil, fmt.Errorf("create the driver socket dir: %w", err)
		}
		logger := hclog.New(&hclog.LoggerOptions{Name: "driver", Output: logWriter{log}, Level: hclog.Info})
		release := r.Hold()
		p, err := plugin.Launch(ctx, d.Path, plugin.LaunchOptions{
			Logger: logger, SHA256: sum, SocketDir: sockets, StartTimeout: 30 * time.Second,
		})
		if err == nil {
			r.Own(p.PID())
		}
		release()
		if err != nil {
			return nil, nil, fmt.Errorf("start driver %s %s: %w", d.Name, d.Version, err)
		}
		p.SetName(d.Name)
		stop := func() {
			pid := p.PID()
			p.Kill()
			r.Forget(pid)
		}
		return p, stop, nil
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

// logWriter sends the driver's log lines into the boot log.
type logWriter struct{ log *bootlog.Log }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Printf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
