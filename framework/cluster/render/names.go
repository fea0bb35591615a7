// SPDX-License-Identifier: Apache-2.0

package render

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// checkConfigNames refuses to render a daemon's configuration (corosync.conf,
// the ocfs2 cluster.conf) from names and addresses that could break out of
// their line or field: the cluster name and every node name must follow
// cluster.CheckClusterName and cluster.CheckNodeName, every address written
// must be an IP address. The readers refuse such names already; this keeps a
// cluster built another way from injecting a node or a setting.
func checkConfigNames(c *cluster.Cluster, what string) error {
	var errs []error
	if err := cluster.CheckClusterName(c.Name); err != nil {
		errs = append(errs, fmt.Errorf("%s: cluster name %s: %v", c.Pos, strconv.Quote(c.Name), err))
	}
	for _, n := range c.Nodes {
		if n.Name != "" {
			if err := cluster.CheckNodeName(n.Name); err != nil {
				errs = append(errs, fmt.Errorf("%s: node name %s: %v", n.Pos, strconv.Quote(n.Name), err))
			}
		}
		if ip := firstStaticIP(n); ip != "" {
			if _, err := netip.ParseAddr(ip); err != nil {
				errs = append(errs, fmt.Errorf("%s: node %s: address %s is not an IP address", n.Pos, strconv.Quote(n.Name), strconv.Quote(ip)))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s not written: %w", what, errors.Join(errs...))
	}
	return nil
}
