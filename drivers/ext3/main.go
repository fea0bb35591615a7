// SPDX-License-Identifier: Apache-2.0

// Command osr-driver-ext3 is osr's driver for roots on a local ext2, ext3 or ext4
// filesystem. osr starts it; it is not meant to be run by hand.
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
