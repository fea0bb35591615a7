package render

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// DefaultOCFS2Port is the o2cb interconnect port used when a node names no tcp_port.
const DefaultOCFS2Port = "7777"

// OCFS2Conf writes the /etc/ocfs2/cluster.conf o2cb reads: a node stanza for every
// node (its first static address, port tcp_port or 7777, number = node id) and the
// cluster stanza, as com-queryclusterconf's "convert ocfs2" did.
func OCFS2Conf(c *cluster.Cluster) ([]byte, error) {
	if c.Name == "" {
		return nil, fmt.Errorf("the cluster has no name; o2cb needs one")
	}
	var b bytes.Buffer
	for _, n := range c.Nodes {
		ip := firstStaticIP(n)
		if ip == "" {
			return nil, fmt.Errorf("%s: node %s has no static IP address; o2cb needs one per node", n.Pos, n.Name)
		}
		port := DefaultOCFS2Port
		for _, a := range n.Attrs {
			if a.Name == "tcp_port" && a.Value != "" {
				port = a.Value
			}
		}
		fmt.Fprintf(&b, "node:\n\tip_port = %s\n\tip_address = %s\n\tnumber = %d\n\tname = %s\n\tcluster = %s\n\n", port, ip, n.ID, n.Name, c.Name)
	}
	fmt.Fprintf(&b, "cluster:\n\tnode_count = %d\n\tname = %s\n", len(c.Nodes), c.Name)
	return b.Bytes(), nil
}

// CorosyncConf writes a corosync.conf (totem, nodelist, quorum) for GFS2 on a
// corosync/dlm cluster: ring0_addr is the node's first static address, or its name
// when it uses DHCP only; votes other than 1 become quorum_votes.
func CorosyncConf(c *cluster.Cluster) ([]byte, error) {
	if c.Name == "" {
		return nil, fmt.Errorf("the cluster has no name; corosync needs cluster_name")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "totem {\n\tversion: 2\n\tcluster_name: %s\n\ttransport: knet\n}\n\nnodelist {\n", c.Name)
	for _, n := range c.Nodes {
		addr := firstStaticIP(n)
		if addr == "" {
			addr = n.Name
		}
		if addr == "" {
			return nil, fmt.Errorf("%s: node #%d has neither a static address nor a name", n.Pos, n.ID)
		}
		fmt.Fprintf(&b, "\tnode {\n\t\tring0_addr: %s\n\t\tname: %s\n\t\tnodeid: %d\n", addr, n.Name, n.ID)
		if v := n.EffectiveVotes(); v != 1 {
			fmt.Fprintf(&b, "\t\tquorum_votes: %s\n", strconv.Itoa(v))
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n\nquorum {\n\tprovider: corosync_votequorum\n")
	if len(c.Nodes) == 2 {
		b.WriteString("\ttwo_node: 1\n")
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}
