// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/internal/paths"
)

func init() {
	register(func(e *env) *cobra.Command {
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
	})
}

// linkVersion is set at link time with -ldflags "-X github.com/open-sharedroot/osr/internal/cli.linkVersion=…"; make
// passes the output of git describe.
var linkVersion string

// buildVersion is linkVersion when the linker set it, else the module version Go
// recorded (v0.2.0 for `go install …/cmd/osr@v0.2.0`), else the VCS revision of a
// build from a checkout, else "devel".
func buildVersion() string {
	if linkVersion != "" {
		return linkVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return versionFromBuildInfo(info)
}

// versionFromBuildInfo picks the version from what the Go toolchain recorded.
func versionFromBuildInfo(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev + dirty
}

// versionLine is what osr version and osr --version print.
func versionLine() string {
	return fmt.Sprintf("osr %s (driver protocol %d, %s %s/%s)", version(), driverProtocol, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
