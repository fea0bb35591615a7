// SPDX-License-Identifier: Apache-2.0

package sharedroot

import _ "embed"

//go:embed network-init.sh
var networkInitScript []byte

// The lines the network init prints besides OSR-HOSTNAME, OSR-ROOT and
// OSR-INIT-DONE.
const (
	MarkerNet            = "OSR-NET: "            // "link address;" of every address
	MarkerBond           = "OSR-BOND: "           // bond0's mode, slaves and active slave with its MAC
	MarkerVLAN           = "OSR-VLAN: "           // "device | id | link;" of every VLAN
	MarkerBridge         = "OSR-BRIDGE: "         // br1's ports
	MarkerRoute          = "OSR-ROUTE: "          // the route to osr.e2e.server
	MarkerNetFiles       = "OSR-NETFILES: "       // the network files the init handed over in /run, by system
	MarkerNetFile        = "OSR-NETFILE: "        // "NAME: " and the lines of a networkd file
	MarkerNetReady       = "OSR-NET-READY"        // waiting for "failover TOKEN" on the console
	MarkerFailover       = "OSR-FAILOVER: "       // the active slave after the failover
	MarkerFailoverRead   = "OSR-FAILOVER-READ: "  // what /osr-shared/host-TOKEN says
	MarkerFailoverWrote  = "OSR-FAILOVER-WROTE: " // followed by TOKEN once node-TOKEN is written
	NetworkServerParam   = "osr.e2e.server="      // the kernel parameter naming the NFS server
	FailoverHostFile     = SharedDir + "/host-"   // + TOKEN: what the host writes after the pull
	FailoverNodeFile     = SharedDir + "/node-"   // + TOKEN: what the node writes after the failover
	FailoverNodeContents = "written by %s after the failover\n"
)

// UseNetworkInit replaces the tree's /sbin/init with the network test's init:
// it shows bond0, its VLAN, the bridge br1 and the route to the server, then
// takes "failover TOKEN" on the console; see network-init.sh.
func (t *Tree) UseNetworkInit() error {
	return t.WriteFile("sbin/init", networkInitScript, 0o755)
}
