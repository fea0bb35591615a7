// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"strconv"
	"strings"
)

// NodeByMAC returns the node with a NIC whose MAC equals mac (any case, ':' or '-')
// together with that NIC.
func (c *Cluster) NodeByMAC(mac string) (*Node, *NIC, bool) {
	want, err := NormalizeMAC(mac)
	for _, n := range c.Nodes {
		for i := range n.NICs {
			nic := &n.NICs[i]
			if nic.MAC == "" {
				continue
			}
			if err != nil {
				// Not a well-formed MAC: only an exact (case-insensitive) spelling matches.
				if strings.EqualFold(nic.MAC, mac) {
					return n, nic, true
				}
				continue
			}
			if got, nerr := NormalizeMAC(nic.MAC); nerr == nil && got == want {
				return n, nic, true
			}
		}
	}
	return nil, nil, false
}

// NodeByID returns the node with the given id.
func (c *Cluster) NodeByID(id int) (*Node, bool) {
	for _, n := range c.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return nil, false
}

// NodeByName returns the node with the given name.
func (c *Cluster) NodeByName(name string) (*Node, bool) {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return nil, false
}

// FindNode looks a node up by what a person would type: a name, a node id or a MAC,
// tried in that order.
func (c *Cluster) FindNode(key string) (*Node, bool) {
	if n, ok := c.NodeByName(key); ok {
		return n, true
	}
	if id, err := strconv.Atoi(key); err == nil {
		if n, ok := c.NodeByID(id); ok {
			return n, true
		}
	}
	if n, _, ok := c.NodeByMAC(key); ok {
		return n, true
	}
	return nil, false
}

// NIC returns the node's interface with the given device name, or, when key is a MAC,
// the interface with that MAC.
func (n *Node) NIC(key string) (*NIC, bool) {
	for i := range n.NICs {
		if n.NICs[i].Name == key {
			return &n.NICs[i], true
		}
	}
	if _, err := NormalizeMAC(key); err == nil {
		for i := range n.NICs {
			if n.NICs[i].HasMAC(key) {
				return &n.NICs[i], true
			}
		}
	}
	return nil, false
}

// NodeIDs lists the node ids in the order the nodes were written.
func (c *Cluster) NodeIDs() []int {
	ids := make([]int, len(c.Nodes))
	for i, n := range c.Nodes {
		ids[i] = n.ID
	}
	return ids
}

// FailoverDomain returns the failover domain with the given name.
func (c *Cluster) FailoverDomain(name string) (*FailoverDomain, bool) {
	for i := range c.FailoverDomains {
		if c.FailoverDomains[i].Name == name {
			return &c.FailoverDomains[i], true
		}
	}
	return nil, false
}

// PreferredNode is the member with the lowest priority (compared as numbers; members
// without a priority come last); among equals the first written wins.
func (d *FailoverDomain) PreferredNode() (string, bool) {
	best, bestPrio := -1, 0
	for i, m := range d.Nodes {
		p, err := strconv.Atoi(strings.TrimSpace(m.Priority))
		if err != nil {
			p = int(^uint(0) >> 1)
		}
		if best < 0 || p < bestPrio {
			best, bestPrio = i, p
		}
	}
	if best < 0 {
		return "", false
	}
	return d.Nodes[best].Name, true
}

// Secret is a value in the configuration that must not be readable by everyone.
type Secret struct {
	// Where names the secret, e.g. `node "n1" fenceackserver passwd`.
	Where string
	Pos   Pos
}

// Secrets lists the secrets the configuration holds (fence passwords and the like).
// A file holding any must be stored readable by root only.
func (c *Cluster) Secrets() []Secret {
	var out []Secret
	for _, d := range c.FenceDevices {
		for _, a := range d.Attrs {
			if IsSecretAttr(a.Name) && a.Value != "" {
				out = append(out, Secret{Where: "fence device " + strconv.Quote(d.Name) + " " + a.Name, Pos: d.Pos})
			}
		}
	}
	for _, n := range c.Nodes {
		if n.FenceAckServer != nil && n.FenceAckServer.Passwd != "" {
			out = append(out, Secret{Where: "node " + strconv.Quote(n.Name) + " fenceackserver passwd", Pos: n.Pos})
		}
		for _, m := range n.Fence {
			for _, d := range m.Devices {
				for _, a := range d.Attrs {
					if IsSecretAttr(a.Name) && a.Value != "" {
						out = append(out, Secret{Where: "node " + strconv.Quote(n.Name) + " fence device " + strconv.Quote(d.Name) + " " + a.Name, Pos: n.Pos})
					}
				}
			}
		}
		out = append(out, elementSecrets("node "+strconv.Quote(n.Name)+" ", n.Extra)...)
		out = append(out, elementSecrets("node "+strconv.Quote(n.Name)+" com_info ", n.ComInfoExtra)...)
	}
	out = append(out, elementSecrets("", c.Extra)...)
	out = append(out, elementSecrets("rm ", c.RMExtra)...)
	return out
}

// elementSecrets finds secret attributes anywhere in elements osr keeps
// without modelling them: <rm> resources and services, other tools' parts.
func elementSecrets(prefix string, elems []Element) []Secret {
	var out []Secret
	for _, e := range elems {
		for _, a := range e.Attrs {
			if IsSecretAttr(a.Name) && a.Value != "" {
				out = append(out, Secret{Where: prefix + "<" + e.Name + "> " + a.Name, Pos: e.Pos})
			}
		}
		out = append(out, elementSecrets(prefix, e.Children)...)
	}
	return out
}

// HasSecrets reports whether the configuration holds any secret.
func (c *Cluster) HasSecrets() bool { return len(c.Secrets()) > 0 }

// IsSecretAttr reports whether an attribute of that name holds a secret: passwords
// (passwd, password, snmp_priv_passwd, …) but not the path of a script producing one.
func IsSecretAttr(name string) bool {
	n := strings.ToLower(name)
	if strings.HasSuffix(n, "_script") {
		return false
	}
	return strings.Contains(n, "passwd") || strings.Contains(n, "password") || n == "community"
}
