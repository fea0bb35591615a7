// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/internal/buildinfo"
	"github.com/open-sharedroot/osr/internal/paths"
)

func init() {
	registerNamed(func(e *env) *cobra.Command {
		var showPaths bool
		c := &cobra.Command{
			Use:   "version [--paths]",
			Short: "print osr's version and the driver protocol it speaks",
			Long: `Prints osr's version, the driver protocol version and the Go runtime, as
osr --version does. With --paths also the compiled-in paths (set by make
install's PREFIX, SYSCONFDIR, LIBEXECDIR and DATADIR): osr.hcl, the driver
directory and the listfile directories, one "name path" per line.`,
			Args: noArgs,
			RunE: func(*cobra.Command, []string) error {
				fmt.Fprintln(e.stdout, versionLine())
				if showPaths {
					for _, d := range paths.All() {
						fmt.Fprintf(e.stdout, "%-12s %s\n", d.Name, d.Path)
					}
				}
				return nil
			},
		}
		c.Flags().BoolVar(&showPaths, "paths", false, "also print the compiled-in paths")
		return c
	}, "version")
}

// versionLine is what osr version and osr --version print.
func versionLine() string {
	return fmt.Sprintf("osr %s (driver protocol %d, %s %s/%s)", buildinfo.Version(), driverProtocol, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
