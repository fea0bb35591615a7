// SPDX-License-Identifier: Apache-2.0

package main

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/driverhost"
)

// completeValues makes the shells complete flag's value from a fixed list.
func completeValues(c *cobra.Command, flag string, values ...string) {
	err := c.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	if err != nil {
		panic("osr: completion for --" + flag + ": " + err.Error())
	}
}

// driverNames completes the names of the installed drivers.
func (e *env) driverNames(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cands, err := driverhost.Discover(driverhost.SearchDirs(e.global.driverDirs, nil))
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

// kernelVersions completes the kernels whose modules are installed.
func kernelVersions(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ents, _ := os.ReadDir(filepath.Join("/lib", "modules"))
	var out []cobra.Completion
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
