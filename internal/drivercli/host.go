// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"sort"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driverhost"
)

// driverHost returns a host that finds drivers in --driver-dir, $OSR_DRIVER_PATH,
// the configured dirs and the default dir, and logs their output through e.log.
// The caller must Close it.
func driverHost(e *env, cfg *loadedConfig) *driverhost.Host {
	var cfgDirs []string
	var paths map[string]string
	var timeouts driver.Timeouts
	if cfg != nil {
		cfgDirs = cfg.DriverDirs
		paths = cfg.DriverPaths()
		timeouts.Call = cfg.DriverCallTimeout
	}
	return driverhost.New(driverhost.Options{
		Dirs:     driverhost.SearchDirs(e.DriverDirs(), cfgDirs),
		Paths:    paths,
		Logger:   e.Log(),
		Timeouts: timeouts,
	})
}

// driverNames completes the names of the installed drivers.
func driverNames(e *env) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cands, err := driverhost.Discover(driverhost.SearchDirs(e.DriverDirs(), nil))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		seen := map[string]bool{}
		var out []cobra.Completion
		for _, c := range cands {
			if !seen[c.Name] {
				seen[c.Name] = true
				out = append(out, c.Name)
			}
		}
		sort.Strings(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
