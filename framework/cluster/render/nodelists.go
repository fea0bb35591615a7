// SPDX-License-Identifier: Apache-2.0

package render

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

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
	if err := checkConfigNames(c, "ocfs2 cluster.conf"); err != nil {
		return nil, err
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

// DefaultTokenMS is corosync's token timeout when the configuration names none
// (<totem token="…"/> in cluster.conf).
const DefaultTokenMS = 3000

// CorosyncOptions tune the corosync.conf that CorosyncConfWith writes.
type CorosyncOptions struct {
	// TokenMS is totem's token timeout in milliseconds; 0 takes the cluster
	// configuration's <totem token="…"/>, else DefaultTokenMS.
	TokenMS int
}

// CorosyncConf writes a corosync.conf for GFS2 on a corosync/dlm cluster with the
// default options; see CorosyncConfWith.
func CorosyncConf(c *cluster.Cluster) ([]byte, error) {
	return CorosyncConfWith(c, CorosyncOptions{})
}

// CorosyncConfWith writes a corosync.conf (totem, nodelist, quorum) for GFS2 on a
// corosync/dlm cluster: knet transport with aes256/sha256 crypto through NSS (every
// node needs the same /etc/corosync/authkey), the token timeout, and a node entry
// per node whose ring0_addr is the node's first static address, or its name when it
// uses DHCP only; votes other than 1 become quorum_votes. Quorum is votequorum with
// two_node for two nodes (which implies wait_for_all: a cold start waits for both),
// expected_votes (the sum of the votes) otherwise.
func CorosyncConfWith(c *cluster.Cluster, o CorosyncOptions) ([]byte, error) {
	if c.Name == "" {
		return nil, fmt.Errorf("the cluster has no name; corosync needs cluster_name")
	}
	if err := checkConfigNames(c, "corosync.conf"); err != nil {
		return nil, err
	}
	token := o.TokenMS
	if token == 0 {
		t, err := TotemToken(c)
		if err != nil {
			return nil, err
		}
		token = t
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "totem {\n\tversion: 2\n\tcluster_name: %s\n\ttransport: knet\n\ttoken: %d\n", c.Name, token)
	b.WriteString("\tcrypto_model: nss\n\tcrypto_cipher: aes256\n\tcrypto_hash: sha256\n}\n\nnodelist {\n")
	votes := 0
	for _, n := range c.Nodes {
		addr := firstStaticIP(n)
		if addr == "" {
			addr = n.Name
		}
		if addr == "" {
			return nil, fmt.Errorf("%s: node #%d has neither a static address nor a name", n.Pos, n.ID)
		}
		fmt.Fprintf(&b, "\tnode {\n\t\tring0_addr: %s\n\t\tname: %s\n\t\tnodeid: %d\n", addr, n.Name, n.ID)
		v := n.EffectiveVotes()
		votes += v
		if v != 1 {
			fmt.Fprintf(&b, "\t\tquorum_votes: %s\n", strconv.Itoa(v))
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n\nquorum {\n\tprovider: corosync_votequorum\n")
	if len(c.Nodes) == 2 {
		b.WriteString("\ttwo_node: 1\n")
	} else {
		fmt.Fprintf(&b, "\texpected_votes: %d\n", votes)
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// TotemToken is the token timeout the cluster configuration gives in
// <totem token="…"/> (milliseconds), or DefaultTokenMS when it gives none.
func TotemToken(c *cluster.Cluster) (int, error) {
	for _, e := range c.Extra {
		if e.Name != "totem" {
			continue
		}
		for _, a := range e.Attrs {
			if a.Name != "token" {
				continue
			}
			v, err := strconv.Atoi(strings.TrimSpace(a.Value))
			if err != nil || v < 100 {
				return 0, fmt.Errorf("%s: <totem token=%q>: want the token timeout in milliseconds (at least 100)", e.Pos, a.Value)
			}
			return v, nil
		}
	}
	return DefaultTokenMS, nil
}
