// SPDX-License-Identifier: Apache-2.0

// Command osr-driver-gfs2 is osr's driver for shared roots on GFS2. osr starts it; it
// is not meant to be run by hand.
package main

import (
	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/driver"
)

// version is set at link time.
var version = "0.1.0-dev"

func main() {
	driver.Serve(func(log hclog.Logger) driver.Driver { return newDriver(log) })
}
