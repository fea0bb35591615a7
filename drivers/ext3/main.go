// SPDX-License-Identifier: Apache-2.0

// Command osr-driver-ext3 is osr's driver for roots on a local ext2, ext3 or ext4
// filesystem. osr starts it; it is not meant to be run by hand.
package main

import (
	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/drivers/ext3/ext3driver"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
)

func main() {
	plugin.Serve(func(log hclog.Logger) driver.Driver { return ext3driver.New(log) })
}
