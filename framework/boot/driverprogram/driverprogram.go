// SPDX-License-Identifier: Apache-2.0

// Package driverprogram starts, at boot, the driver program an image's manifest
// names: its sha256 checked before exec, in its own process group, spoken to
// over go-plugin gRPC (package plugin), with the reaper keeping its exit status.
// The init of images whose driver is a program of its own (a third party's, or
// one built on its own) links it; the init of images with a built-in driver
// calls the driver in its own process and links no gRPC.
package driverprogram

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
	"github.com/open-sharedroot/osr/framework/manifest"
)

// SocketDir is where the driver's gRPC socket goes: short, and present in
// every initrd once /run is mounted.
const SocketDir = "/run/osr"

// StartTimeout bounds the driver's handshake at boot.
const StartTimeout = 30 * time.Second

// Start starts the driver program d names with its socket in SocketDir; see
// StartIn. Its signature is wiring.Drivers' Program.
func Start(ctx context.Context, d manifest.Driver, r *reaper.Reaper, log *bootlog.Log) (driver.Mounter, func(), error) {
	return StartIn(ctx, d, r, log, SocketDir)
}

// StartIn starts the driver program at d.Path after checking it has d's
// sha256, with its socket in sockets, logging into log, and registers it with
// r so the reaper leaves its exit status to go-plugin. The returned function
// stops the driver and every process it started.
func StartIn(ctx context.Context, d manifest.Driver, r *reaper.Reaper, log *bootlog.Log, sockets string) (driver.Mounter, func(), error) {
	sum, err := hex.DecodeString(d.SHA256)
	if err != nil || len(sum) == 0 {
		return nil, nil, fmt.Errorf("manifest: driver %s: sha256 %q is not a hex digest (rebuild the image with osr build)", d.Name, d.SHA256)
	}
	if err := os.MkdirAll(sockets, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create the driver socket dir: %w", err)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "driver", Output: log.Writer(), Level: hclog.Info})
	release := r.Hold()
	p, err := plugin.Launch(ctx, d.Path, plugin.LaunchOptions{
		Logger: logger, SHA256: sum, SocketDir: sockets, StartTimeout: StartTimeout,
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
