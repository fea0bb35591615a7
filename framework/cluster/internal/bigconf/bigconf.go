// SPDX-License-Identifier: Apache-2.0

// Package bigconf writes large cluster.conf files for benchmarks and load tests.
package bigconf

import (
	"fmt"
	"strings"
)

// Generate returns a cluster.conf of n nodes in the com_info format, each with a
// bond of two NICs and a management NIC. Node i is named node<i>, has nodeid i and
// the MACs 00:1A:HH:LL:00:01 to 00:1A:HH:LL:00:03, where HHLL is i in hex.
func Generate(n int) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<cluster name=\"big\" config_version=\"1\">\n  <clusternodes>\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `    <clusternode name="node%d" nodeid="%d" votes="1">
      <com_info>
        <rootvolume name="/dev/VG_SR/LV_SR" fstype="gfs2"/>
        <eth name="bond0" ip="10.%d.%d.1" mask="255.255.255.0" gateway="10.0.0.254"><properties><property name="BONDING_OPTS">mode=1 miimon=100</property></properties></eth>
        <eth name="eth0" mac="00:1A:%02X:%02X:00:01" master="bond0" slave="yes"/>
        <eth name="eth1" mac="00:1A:%02X:%02X:00:02" master="bond0" slave="yes"/>
        <eth name="eth2" mac="00:1A:%02X:%02X:00:03" ip="192.168.%d.%d" mask="16" onboot="no"/>
        <syslog name="loghost"/>
      </com_info>
    </clusternode>
`, i, i, i/256, i%256, i/256, i%256, i/256, i%256, i/256, i%256, i/256, i%256)
	}
	b.WriteString("  </clusternodes>\n</cluster>\n")
	return []byte(b.String())
}
