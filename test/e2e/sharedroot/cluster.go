// SPDX-License-Identifier: Apache-2.0

package sharedroot

import _ "embed"

//go:embed cluster-init.sh
var clusterInitScript []byte

// The lines the cluster init prints besides the standard ones.
const (
	MarkerStatus    = "OSR-STATUS: "
	MarkerStatusEnd = "OSR-STATUS-END"
	MarkerWrote     = "OSR-WROTE: "
	MarkerLeaving   = "OSR-LEAVING"
)

// UseClusterInit replaces the tree's /sbin/init with the cluster tests' init: it
// keeps writing to the shared filesystem and takes commands on the console
// (write NODE, status, leave); see cluster-init.sh.
func (t *Tree) UseClusterInit() error {
	return t.WriteFile("sbin/init", clusterInitScript, 0o755)
}
