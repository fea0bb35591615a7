// SPDX-License-Identifier: Apache-2.0

// Command osr-driverhost is osr with the commands that talk to drivers (build,
// drivers, config validate, listfiles, kernel-hook) and osr cluster's commands
// that link the fence methods (fence, fence-ack, status, watch). osr execs it
// for those, with the same command line; it is not meant to be run by hand. It
// answers every other osr command too.
package main

import (
	"github.com/open-sharedroot/osr/internal/cli"
	_ "github.com/open-sharedroot/osr/internal/drivercli" // the commands that talk to drivers
)

func main() { cli.Main() }
