// SPDX-License-Identifier: Apache-2.0

// Package paths holds where an installed osr keeps its files on the host. The
// directories are compiled in: make sets them at link time from PREFIX, LIBEXECDIR,
// SYSCONFDIR and DATADIR with
//
//	-ldflags "-X github.com/open-sharedroot/osr/internal/paths.libexecDir=/usr/local/libexec …"
//
// and a plain go build gets the layout of a distribution package (/usr/libexec,
// /etc, /usr/share). Paths inside an initrd image do not come from here: the image
// layout is fixed whatever the host's installation.
package paths

import "path"

// The installation directories, set by the linker. They are variables only so that
// -X can reach them; nothing assigns them at run time.
var (
	sysconfDir = "/etc"
	libexecDir = "/usr/libexec"
	dataDir    = "/usr/share"
)

// SysconfDir is the host's configuration directory (SYSCONFDIR), /etc by default.
func SysconfDir() string { return sysconfDir }

// LibexecDir is the directory of internal programs (LIBEXECDIR), /usr/libexec by default.
func LibexecDir() string { return libexecDir }

// DataDir is the directory of read-only data (DATADIR), /usr/share by default.
func DataDir() string { return dataDir }

// ConfigFile is osr.hcl: SYSCONFDIR/osr/osr.hcl.
func ConfigFile() string { return path.Join(sysconfDir, "osr", "osr.hcl") }

// DriverDir holds the installed osr-driver-* binaries: LIBEXECDIR/osr/drivers.
func DriverDir() string { return path.Join(libexecDir, "osr", "drivers") }

// ListfileDir holds the listfiles osr ships: DATADIR/osr/listfiles.
func ListfileDir() string { return path.Join(dataDir, "osr", "listfiles") }

// ListfileDropinDir holds the listfiles of packagers and administrators, which
// replace shipped ones of the same name: SYSCONFDIR/osr/listfiles.d.
func ListfileDropinDir() string { return path.Join(sysconfDir, "osr", "listfiles.d") }

// Dir is one compiled-in path, for `osr version --paths`.
type Dir struct {
	// Name says what the path is for ("config", "drivers", …).
	Name string
	// Path is the path.
	Path string
}

// All lists the compiled-in paths, in the order osr reads them.
func All() []Dir {
	return []Dir{
		{"config", ConfigFile()},
		{"drivers", DriverDir()},
		{"listfiles", ListfileDir()},
		{"listfiles.d", ListfileDropinDir()},
	}
}
