// SPDX-License-Identifier: Apache-2.0

// Package buildinfo is osr's version, the same in every osr program (osr,
// osr-driverhost, osr-init, osr-init-plugin).
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// Version is osr's version, made on first use (reading the build information
// costs start-up time): set at link time, else what the Go toolchain recorded.
var Version = sync.OnceValue(version)

// linkVersion is set at link time with -ldflags "-X github.com/open-sharedroot/osr/internal/buildinfo.linkVersion=…"; make
// passes the output of git describe.
var linkVersion string

// version is linkVersion when the linker set it, else the module version Go
// recorded (v0.2.0 for `go install …/cmd/osr@v0.2.0`), else the VCS revision of a
// build from a checkout, else "devel".
func version() string {
	if linkVersion != "" {
		return linkVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return fromBuildInfo(info)
}

// fromBuildInfo picks the version from what the Go toolchain recorded.
func fromBuildInfo(info *debug.BuildInfo) string {
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
