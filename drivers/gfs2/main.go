// SPDX-License-Identifier: Apache-2.0

// Command osr-driver-gfs2 is osr's driver for shared roots on GFS2. osr starts it; it
// is not meant to be run by hand.
package main

import (
	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/drivers/gfs2/gfs2driver"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
)

func main() {
	plugin.Serve(func(log hclog.Logger) driver.Driver { return gfs2driver.New(log) })
}
