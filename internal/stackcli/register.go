// SPDX-License-Identifier: Apache-2.0

package stackcli

import (
	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/internal/cli"
)

// registered are the commands this package adds to osr cluster; osr lists
// each with a stand-in (cli.ClusterStandIns).
var registered []func(e *env) *cobra.Command

// register adds a subcommand to osr cluster.
func register(f func(e *env) *cobra.Command) {
	registered = append(registered, f)
	cli.RegisterCluster(f)
}
