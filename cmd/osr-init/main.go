// SPDX-License-Identifier: Apache-2.0

// Command osr-init is the osr that goes into an initrd whose driver is built in
// (nfs, gfs2, ocfs2, ext3): /init (PID 1), systemd's /shutdown, dlm_controld's
// fence agent fence_osr, and osr cluster watch|status inside the image. It
// calls the image's driver in its own process (driver.Direct) and links no
// gRPC, protobuf or go-plugin, so an image carries one small Go program. It
// holds no build, no CDSL management and no image reader: the full command line
// is osr's. Images whose driver is a program of its own get osr-init-plugin.
package main

import (
	"os"

	"github.com/open-sharedroot/osr/drivers/builtin"
	"github.com/open-sharedroot/osr/framework/boot/wiring"
	"github.com/open-sharedroot/osr/internal/bootroles"
)

func main() {
	os.Exit(bootroles.Main(os.Args, wiring.Drivers{BuiltIn: builtin.Drivers()}, "osr-init"))
}
