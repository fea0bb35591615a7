// SPDX-License-Identifier: Apache-2.0

// Package wiring connects the osr init (package boot) to what an osr image
// holds: it reads the image's manifest, loads the embedded cluster
// configuration once, and hands boot.Run the implementations of its
// interfaces built from them: the node lookup (boot.NodeFinder over the
// cluster model), the module loader (framework/kmod/loader over the image's
// module index), the cluster stack (framework/clusterstack, when the image
// has one), the root mount (the manifest's driver, started and checked
// against its sha256) and the CDSL bind (the root's inventory and cdsltab).
//
// Usage, in the osr binary when it runs as PID 1:
//
//	log := bootlog.New(os.Stderr)
//	err := boot.Run(ctx, wiring.Image(wiring.Options{Args: args, Log: log}))
//
// Image never fails: what it could not read is reported by the step that
// needs it, so break points and the rescue shell still work on a broken
// image.
package wiring

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/manifest"
)

// Options say where the image's files are and what the init already has.
type Options struct {
	// Args are the init's arguments from the kernel, handed to the real init.
	Args []string
	// Log is the boot log; nil starts one on stderr.
	Log *bootlog.Log
	// Reaper reaps orphans and keeps the driver's exit status; nil starts one
	// that logs to Log.
	Reaper *reaper.Reaper
	// Manifest is the manifest's path; "" means manifest.Path.
	Manifest string
	// ModulesRoot is where the image keeps /lib/modules; "" means /lib/modules.
	ModulesRoot string
	// Drivers are the drivers this init has built in and how it starts driver
	// programs.
	Drivers Drivers
}

// Image reads the image's manifest and cluster configuration and returns the
// boot configuration built from them.
func Image(o Options) boot.Config {
	if o.Log == nil {
		o.Log = bootlog.New(os.Stderr)
	}
	if o.Reaper == nil {
		o.Reaper = reaper.New(o.Log.Printf)
	}
	if o.Manifest == "" {
		o.Manifest = manifest.Path
	}
	if o.ModulesRoot == "" {
		o.ModulesRoot = "/lib/modules"
	}
	cfg := boot.Config{Args: o.Args, Log: o.Log, Reaper: o.Reaper, CDSL: newCDSLBinder()}
	m, err := readManifest(o.Manifest)
	if err != nil {
		cfg.Root = &rootMounter{err: err}
		return cfg
	}
	cfg.DefaultCmdline = m.Cmdline
	cfg.DriverModules = m.Modules
	cfg.OptionalDriverModules = m.OptionalModules
	cfg.Modules = &moduleLoader{dir: filepath.Join(o.ModulesRoot, m.Kernel), cmdline: "/proc/cmdline", log: o.Log}
	var c *cluster.Cluster
	if m.Cluster != "" {
		c, err = cluster.Load(m.Cluster)
		if err != nil {
			err = fmt.Errorf("the cluster configuration embedded in the image: %w", err)
			o.Log.Errorf("%v", err)
			cfg.Nodes = nodes{err: err}
		} else {
			cfg.Nodes = nodes{c: c}
			if m.ClusterStack != "" {
				cfg.Cluster = &clusterstack.Stack{Cluster: c, Image: m.ClusterStack, Runner: o.Reaper, Logf: o.Log.Infof}
			}
		}
	}
	cfg.Root = newRootMounter(m, c, o.Drivers, o.Reaper, o.Log)
	return cfg
}

func readManifest(path string) (*manifest.Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w (was this image built by osr build?)", path, err)
	}
	m, err := manifest.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
