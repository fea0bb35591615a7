// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// completeValues makes the shells complete flag's value from a fixed list.
func completeValues(c *cobra.Command, flag string, values ...string) {
	err := c.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	if err != nil {
		panic("osr: completion for --" + flag + ": " + err.Error())
	}
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
