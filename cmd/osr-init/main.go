// SPDX-License-Identifier: Apache-2.0

// Command osr-init is the osr that goes into the initrd: /init (PID 1), systemd's
// /shutdown, dlm_controld's fence agent fence_osr, and osr's built-in drivers as
// a multi-call program. Started as osr-driver-<name> (the image links
// /usr/libexec/osr/drivers/osr-driver-<name> to /init), it serves that driver over
// go-plugin gRPC in its own process, exactly as the separate osr-driver-<name>
// program would; the driver protocol is linked once, here. It holds no build,
// no CDSL management and no image reader: the full command line is osr's.
package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/drivers/ext3/ext3driver"
	"github.com/open-sharedroot/osr/drivers/gfs2/gfs2driver"
	"github.com/open-sharedroot/osr/drivers/nfs/nfsdriver"
	"github.com/open-sharedroot/osr/drivers/ocfs2/ocfs2driver"
	"github.com/open-sharedroot/osr/framework/clusterstack/fence"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
	"github.com/open-sharedroot/osr/framework/shutdown"
	"github.com/open-sharedroot/osr/internal/bootroles"
	"github.com/open-sharedroot/osr/internal/buildinfo"
)

// builtin are the drivers osr-init serves under the name osr-driver-<name>.
var builtin = map[string]driver.Factory{
	"nfs":   func(log hclog.Logger) driver.Driver { return nfsdriver.New(log) },
	"gfs2":  func(log hclog.Logger) driver.Driver { return gfs2driver.New(log) },
	"ocfs2": func(log hclog.Logger) driver.Driver { return ocfs2driver.New(log) },
	"ext3":  func(log hclog.Logger) driver.Driver { return ext3driver.New(log) },
}

func main() {
	name := filepath.Base(os.Args[0])
	if d, ok := strings.CutPrefix(name, "osr-driver-"); ok {
		f, ok := builtin[d]
		if !ok {
			os.Stderr.WriteString("osr-init: no built-in driver " + d + " (built in: ext3, gfs2, nfs, ocfs2)\n")
			os.Exit(2)
		}
		plugin.Serve(f)
		os.Exit(0)
	}
	switch {
	case os.Getpid() == 1 && name == shutdown.BinaryName:
		// systemd-shutdown execs osr as /shutdown in /run/initramfs at the end.
		bootroles.Shutdown(os.Args[1:])
	case os.Getpid() == 1:
		os.Exit(bootroles.Init(os.Args[1:]))
	case name == fence.AgentName:
		os.Exit(bootroles.FenceAgent(os.Args[1:]))
	}
	os.Exit(bootroles.Commands(os.Args[1:], "osr "+buildinfo.Version()+" (osr-init)", os.Stdout, os.Stderr))
}
