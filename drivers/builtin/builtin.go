// SPDX-License-Identifier: Apache-2.0

// Package builtin lists the drivers osr ships, by name. The image's init calls
// them in its own process (wiring.Drivers' BuiltIn), and osr-init-plugin serves
// each as the program osr-driver-<name> for the build host.
package builtin

import (
	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/drivers/ext3/ext3driver"
	"github.com/open-sharedroot/osr/drivers/gfs2/gfs2driver"
	"github.com/open-sharedroot/osr/drivers/nfs/nfsdriver"
	"github.com/open-sharedroot/osr/drivers/ocfs2/ocfs2driver"
	"github.com/open-sharedroot/osr/framework/driver"
)

// Drivers returns a new map of the built-in drivers' factories by name.
func Drivers() map[string]driver.Factory {
	return map[string]driver.Factory{
		"nfs":   func(log hclog.Logger) driver.Driver { return nfsdriver.New(log) },
		"gfs2":  func(log hclog.Logger) driver.Driver { return gfs2driver.New(log) },
		"ocfs2": func(log hclog.Logger) driver.Driver { return ocfs2driver.New(log) },
		"ext3":  func(log hclog.Logger) driver.Driver { return ext3driver.New(log) },
	}
}
