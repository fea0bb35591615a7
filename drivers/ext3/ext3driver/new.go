// SPDX-License-Identifier: Apache-2.0

// Package ext3driver is osr's driver for roots on a local ext2, ext3 or ext4
// filesystem. It is served as the program
// osr-driver-ext3 (osr-init-plugin under that name), and called in process by the
// image's osr-init (see docs/layout.md).
package ext3driver

import (
	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/driver"
)

// Version is the driver's version: set at link time with
// -X github.com/open-sharedroot/osr/drivers/ext3/ext3driver.Version=….
var Version = "0.1.0-dev"

// New is the driver, logging to log.
func New(log hclog.Logger) driver.Driver { return newDriver(log) }
