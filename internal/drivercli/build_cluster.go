// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/config"
	"github.com/open-sharedroot/osr/framework/config/driverblock"
	"github.com/open-sharedroot/osr/framework/driver"
)

// checkLockTable refuses a driver block whose lock_table (GFS2 with lock_dlm)
// names another cluster than the cluster configuration, pointing at the line.
func checkLockTable(e *env, cfg *loadedConfig, block *config.DriverBlock, info *driver.Info, dcfg driver.Config, c *cluster.Cluster) error {
	if c == nil || info.Schema.Attribute("lock_table") == nil {
		return nil
	}
	if p := info.Schema.Attribute("lock_protocol"); p != nil && dcfg.String("lock_protocol") != "lock_dlm" {
		return nil
	}
	if err := clusterstack.CheckLockTable(dcfg.String("lock_table"), c); err != nil {
		d := driver.Errorf([]string{"lock_table"}, "%v", err)
		d.Detail = "Checked by osr build against the cluster configuration."
		ds := driver.Diagnostics{d}
		return e.Report(cfg.Loader(), driverblock.Diagnostics(block, info.Schema, ds, info.Name))
	}
	return nil
}
