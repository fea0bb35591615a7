// SPDX-License-Identifier: Apache-2.0

// Package nfsdriver is osr's driver for shared roots on NFS (versions 3 and 4). It is served as the program
// osr-driver-nfs (osr-init-plugin under that name), and called in process by the
// image's osr-init (see docs/layout.md).
package nfsdriver

import (
	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/driver"
)

// Version is the driver's version: set at link time with
// -X github.com/open-sharedroot/osr/drivers/nfs/nfsdriver.Version=….
var Version = "0.1.0-dev"

// New is the driver, logging to log.
func New(log hclog.Logger) driver.Driver { return newDriver(log) }
