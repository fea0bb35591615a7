// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a cluster configuration.
type Problem struct {
	// Pos is where the offending part is written.
	Pos Pos
	// Node names the node concerned ("" for cluster-wide problems).
	Node string
	// Msg says what is wrong and what to do.
	Msg string
}

// Error renders the problem as "file:line: node NAME: message".
func (p Problem) Error() string {
	if p.Node != "" {
		return fmt.Sprintf("%s: node %s: %s", p.Pos, p.Node, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.Pos, p.Msg)
}

// Problems is every problem Validate found; it is an error.
type Problems []Problem

// Error renders one problem a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Validate checks the configuration the way a boot depends on it: unique node ids,
// names and MACs; well-formed MACs, addresses, netmasks and gateways; a root volume on
// every node, of one filesystem type osr knows (see Warnings for differing device names); bond slaves
// whose master exists. It returns nil or Problems holding every problem found.
func (c *Cluster) Validate() error {
	v := &validator{c: c}
	v.run()
	if len(v.probs) == 0 {
		return nil
	}
	return v.probs
}

type validator struct {
	c     *Cluster
	probs Problems
}

func (v *validator) add(pos Pos, node, format string, args ...any) {
	v.probs = append(v.probs, Problem{Pos: pos, Node: node, Msg: fmt.Sprintf(format, args...)})
}

func nodeLabel(n *Node) string {
	switch {
	case n.Name != "":
		return strconv.Quote(n.Name)
	case n.ID != 0:
		return fmt.Sprintf("#%d", n.ID)
	}
	return "(unnamed)"
}

func (v *validator) run() {
	c := v.c
	if len(c.Nodes) == 0 {
		v.add(c.Pos, "", "the cluster has no nodes; add at least one clusternode")
	}
	ids := map[int]*Node{}
	names := map[string]*Node{}
	type macUse struct {
		node *Node
		nic  string
	}
	macs := map[string]macUse{}
	var rootRef *Node
	for _, n := range c.Nodes {
		label := nodeLabel(n)
		switch {
		case n.ID == 0:
			v.add(n.Pos, label, "no node id; give it a unique nodeid (1, 2, …)")
		case ids[n.ID] != nil:
			v.add(n.Pos, label, "node id %d is already used by node %s (line %d); node ids must be unique", n.ID, nodeLabel(ids[n.ID]), ids[n.ID].Pos.Line)
		default:
			ids[n.ID] = n
		}
		switch {
		case n.Name == "":
			v.add(n.Pos, label, "no name; give the node its host name")
		case names[n.Name] != nil:
			v.add(n.Pos, label, "the name is already used by the node at line %d; node names must be unique", names[n.Name].Pos.Line)
		default:
			names[n.Name] = n
		}
		if n.Votes != "" {
			if x, err := strconv.Atoi(strings.TrimSpace(n.Votes)); err != nil || x < 0 {
				v.add(n.Pos, label, "votes %q is not a number", n.Votes)
			}
		}
		v.rootVolume(n, label, &rootRef)
		nicNames := map[string]bool{}
		for i := range n.NICs {
			nic := &n.NICs[i]
			if nic.Name == "" {
				v.add(nic.Pos, label, "an eth without a name; name the device (eth0, bond0, …)")
			} else if nicNames[nic.Name] {
				v.add(nic.Pos, label, "interface %s is described twice", nic.Name)
			}
			nicNames[nic.Name] = true
			if nic.MAC != "" {
				if key, err := NormalizeMAC(nic.MAC); err != nil {
					v.add(nic.Pos, label, "interface %s: %v", nic.Name, err)
				} else if prev, dup := macs[key]; dup && prev.node != n {
					v.add(nic.Pos, label, "interface %s: MAC %s is also on node %s interface %s (line %d); a MAC identifies one node", nic.Name, nic.MAC, nodeLabel(prev.node), prev.nic, prev.node.Pos.Line)
				} else if !dup {
					macs[key] = macUse{node: n, nic: nic.Name}
				}
			}
			v.nic(n, nic, label)
		}
		for _, fs := range n.Filesystems {
			if fs.Dest == "" || !strings.HasPrefix(fs.Dest, "/") {
				v.add(fs.Pos, label, "filesystem %s: dest %q must be an absolute path in the root", fs.Source, fs.Dest)
			}
			if fs.FSType == "" {
				v.add(fs.Pos, label, "filesystem %s: no fstype; give bind, rbind or the filesystem type", fs.Source)
			}
			for _, num := range [][2]string{{"mounttimes", fs.MountTimes}, {"mountwait", fs.MountWait}} {
				if x, err := strconv.Atoi(strings.TrimSpace(num[1])); num[1] != "" && (err != nil || x < 0) {
					v.add(fs.Pos, label, "filesystem %s: %s %q is not a number", fs.Source, num[0], num[1])
				}
			}
		}
		for i := range n.NICs {
			nic := &n.NICs[i]
			if nic.Master != "" && !nicNames[nic.Master] {
				v.add(nic.Pos, label, "interface %s is a slave of %s, which the node does not describe; add an eth named %s", nic.Name, nic.Master, nic.Master)
			}
			v.virtual(n, nic, label)
		}
	}
}

func (v *validator) rootVolume(n *Node, label string, ref **Node) {
	rv := n.RootVolume
	if rv == nil || rv.Name == "" {
		v.add(n.Pos, label, "no root volume; add <rootvolume name=\"DEVICE\" fstype=\"…\"/> to its com_info (rootvolume { name = … } in HCL)")
		return
	}
	if _, ok := DefaultsFor(n.RootFS()); !ok {
		v.add(rv.Pos, label, "unknown root filesystem type %q; use one of %s", rv.FSType, strings.Join(KnownFSTypes(), ", "))
	}
	if *ref == nil {
		*ref = n
		return
	}
	r := *ref
	if r.RootFS() != n.RootFS() {
		v.add(rv.Pos, label, "root filesystem type %s differs from node %s's %s at line %d; all nodes share one root", n.RootFS(), nodeLabel(r), r.RootFS(), r.RootVolume.Pos.Line)
	}
}

// Warnings are what the configuration holds that osr accepts but doubts: the
// reader's (unknown attributes, ignored) and nodes that name their root
// volume differently. The originals allowed the latter, since one shared
// disk may have a different device name on each node; each node's init
// mounts the device its own rootvolume names.
func (c *Cluster) Warnings() []Problem {
	out := append([]Problem(nil), c.ReadWarnings...)
	var ref *Node
	for _, n := range c.Nodes {
		rv := n.RootVolume
		if rv == nil || rv.Name == "" {
			continue
		}
		if ref == nil {
			ref = n
			continue
		}
		if rv.Name != ref.RootVolume.Name {
			out = append(out, Problem{Pos: rv.Pos, Node: nodeLabel(n), Msg: fmt.Sprintf(
				"root volume %s differs from node %s's %s at line %d; fine when both name the same shared device, each node mounts its own",
				rv.Name, nodeLabel(ref), ref.RootVolume.Name, ref.RootVolume.Pos.Line)})
		}
	}
	for _, n := range c.Nodes {
		for i := range n.NICs {
			nic := &n.NICs[i]
			if !nic.MaskDefaulted() {
				continue
			}
			p, _, _ := nic.Prefix()
			out = append(out, Problem{Pos: nic.Pos, Node: nodeLabel(n), Msg: fmt.Sprintf(
				"interface %s: no netmask; the init sets %s (an IPv4 address gets /24, an IPv6 address /64); write mask= to say which", nic.Name, p)})
		}
	}
	return out
}

func (v *validator) nic(n *Node, nic *NIC, label string) {
	if _, _, err := nic.Addr(); err != nil {
		v.add(nic.Pos, label, "%v", err)
	} else if _, _, err := nic.PrefixLen(); err != nil {
		v.add(nic.Pos, label, "%v", err)
	} else if _, _, err := nic.Prefix(); err != nil {
		v.add(nic.Pos, label, "%v", err)
	}
	if _, _, err := nic.GatewayAddr(); err != nil {
		v.add(nic.Pos, label, "%v", err)
	}
	if nic.Slave != "" && !isYes(nic.Slave) && !isNo(nic.Slave) {
		v.add(nic.Pos, label, "interface %s: slave %q must be yes or no", nic.Name, nic.Slave)
	}
	if nic.OnBoot != "" && !isYes(nic.OnBoot) && !isNo(nic.OnBoot) {
		v.add(nic.Pos, label, "interface %s: onboot %q must be yes or no", nic.Name, nic.OnBoot)
	}
	if isYes(nic.Slave) && nic.Master == "" {
		v.add(nic.Pos, label, "interface %s is a slave but names no master; add master=\"bond0\" (or the bond it belongs to)", nic.Name)
	}
}

// virtual checks what the init needs to build a VLAN or a bridge port.
func (v *validator) virtual(n *Node, nic *NIC, label string) {
	if _, _, _, err := nic.VLAN(); err != nil {
		v.add(nic.Pos, label, "%v", err)
	}
	if nic.Bridge == "" {
		return
	}
	br, ok := n.NIC(nic.Bridge)
	switch {
	case nic.Bridge == nic.Name:
		v.add(nic.Pos, label, "interface %s names itself as its bridge", nic.Name)
	case !ok:
		// The init creates the bridge and gives it the port's address.
		for i := range n.NICs {
			o := &n.NICs[i]
			if o == nic {
				break
			}
			if o.Bridge == nic.Bridge && o.IP != "" && nic.IP != "" {
				v.add(nic.Pos, label, "interfaces %s and %s both give an address to bridge %s; describe the bridge (an eth named %s with type=\"Bridge\") and give it the address", o.Name, nic.Name, nic.Bridge, nic.Bridge)
			}
		}
	case br.Bridge != "":
		v.add(nic.Pos, label, "interface %s is a port of %s, which is itself a port of %s; a bridge cannot be a port", nic.Name, nic.Bridge, br.Bridge)
	case nic.IP != "":
		v.add(nic.Pos, label, "interface %s is a port of bridge %s and has an address; a port carries none, give it to %s", nic.Name, nic.Bridge, nic.Bridge)
	case nic.IsSlave():
		v.add(nic.Pos, label, "interface %s is a bond slave and a bridge port; make the bond (%s) the port instead", nic.Name, nic.Master)
	}
}
