// SPDX-License-Identifier: Apache-2.0

// Package gfs2driver is osr's driver for shared roots on GFS2. It is served as the program
// osr-driver-gfs2 (osr-init-plugin under that name), and called in process by the
// image's osr-init (see docs/layout.md).
package gfs2driver

import (
	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/driver"
)

// Version is the driver's version: set at link time with
// -X github.com/open-sharedroot/osr/drivers/gfs2/gfs2driver.Version=….
var Version = "0.1.0-dev"

// New is the driver, logging to log.
func New(log hclog.Logger) driver.Driver { return newDriver(log) }
