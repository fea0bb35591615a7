// SPDX-License-Identifier: Apache-2.0

// Command osr-driver-nfs is osr's driver for shared roots on NFS (versions 3 and 4).
// osr starts it; it is not meant to be run by hand.
package main

import (
	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/drivers/nfs/nfsdriver"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
)

func main() {
	plugin.Serve(func(log hclog.Logger) driver.Driver { return nfsdriver.New(log) })
}
