// SPDX-License-Identifier: Apache-2.0

// Command osr-init-plugin is osr-init that also speaks the driver protocol
// (go-plugin gRPC). It is the /init of images whose driver is a program of its
// own (a third party's, or one built on its own), which it starts at boot and
// checks against the manifest's sha256. Started as osr-driver-<name>, it serves
// that built-in driver as a program, exactly as the separate osr-driver-<name>
// would: the installed drivers the build host starts are links to it.
package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/open-sharedroot/osr/drivers/builtin"
	"github.com/open-sharedroot/osr/framework/boot/driverprogram"
	"github.com/open-sharedroot/osr/framework/boot/wiring"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
	"github.com/open-sharedroot/osr/internal/bootroles"
)

func main() {
	drivers := builtin.Drivers()
	if d, ok := strings.CutPrefix(filepath.Base(os.Args[0]), "osr-driver-"); ok {
		f, ok := drivers[d]
		if !ok {
			os.Stderr.WriteString("osr-init-plugin: no built-in driver " + d + " (built in: ext3, gfs2, nfs, ocfs2)\n")
			os.Exit(2)
		}
		plugin.Serve(f)
		os.Exit(0)
	}
	os.Exit(bootroles.Main(os.Args, wiring.Drivers{BuiltIn: drivers, Program: driverprogram.Start}, "osr-init-plugin"))
}
