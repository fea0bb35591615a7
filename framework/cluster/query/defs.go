// SPDX-License-Identifier: Apache-2.0

package query

import (
	"fmt"
	"strconv"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// nicField answers ip, mask, gateway, master and slave: the attribute as written.
func nicField(get func(*cluster.NIC) string) func(e *Engine, a []string) ([]string, error) {
	return func(e *Engine, a []string) ([]string, error) {
		nic, err := e.nic(a[0], a[1])
		if err != nil {
			return nil, err
		}
		return one(get(nic)), nil
	}
}

// nodeField answers the per-node queries (rootvolume, rootfs, …).
func nodeField(get func(*cluster.Node) string) func(e *Engine, a []string) ([]string, error) {
	return func(e *Engine, a []string) ([]string, error) {
		n, err := e.node(a[0])
		if err != nil {
			return nil, err
		}
		return one(get(n)), nil
	}
}

// scsiFailover is the node's multipath style: as written, else "driver" for a
// cluster.conf (the originals' default, whatever the filesystem) and the root
// filesystem's default for osr's HCL cluster files.
func scsiFailover(c *cluster.Cluster, n *cluster.Node) string {
	if c.Format == cluster.FormatClusterConf && (n.SCSI == nil || n.SCSI.Failover == "") {
		return "driver"
	}
	return n.SCSIFailover()
}

var defs = map[string]*Def{}

func def(d *Def) { defs[d.Name] = d }

func init() {
	def(&Def{Name: "nodeids", Optional: "SEP", Sep: " ", Summary: "the node ids",
		run: func(e *Engine, _ []string) ([]string, error) {
			var out []string
			for _, id := range e.Cluster.NodeIDs() {
				out = append(out, itoa(id))
			}
			return out, nil
		}})
	def(&Def{Name: "nodes", Summary: "the number of nodes",
		run: func(e *Engine, _ []string) ([]string, error) { return one(itoa(len(e.Cluster.Nodes))), nil }})
	def(&Def{Name: "clustername", Summary: "the cluster's name",
		run: func(e *Engine, _ []string) ([]string, error) { return one(e.Cluster.Name), nil }})
	def(&Def{Name: "nodename", Args: []string{"MAC"}, Summary: "the name of the node with that MAC",
		run: func(e *Engine, a []string) ([]string, error) {
			n, _, err := e.byMAC(a[0])
			if err != nil {
				return nil, err
			}
			return one(n.Name), nil
		}})
	def(&Def{Name: "nodeid", Args: []string{"MAC"}, Summary: "the id of the node with that MAC",
		run: func(e *Engine, a []string) ([]string, error) {
			n, _, err := e.byMAC(a[0])
			if err != nil {
				return nil, err
			}
			return one(itoa(n.ID)), nil
		}})
	def(&Def{Name: "nodenamebyid", Args: []string{"ID"}, Summary: "the name of the node with that id",
		run: func(e *Engine, a []string) ([]string, error) {
			id, err := strconv.Atoi(a[0])
			if err != nil {
				return nil, fmt.Errorf("node id %q is not a number", a[0])
			}
			n, ok := e.Cluster.NodeByID(id)
			if !ok {
				return nil, fmt.Errorf("no node has id %d", id)
			}
			return one(n.Name), nil
		}})
	def(&Def{Name: "netdevs", Args: []string{"NODE"}, Optional: "SEP", Sep: " ", Summary: "the node's network device names",
		run: func(e *Engine, a []string) ([]string, error) {
			n, err := e.node(a[0])
			if err != nil {
				return nil, err
			}
			var out []string
			for _, c := range n.NICs {
				out = append(out, c.Name)
			}
			return out, nil
		}})
	def(&Def{Name: "ip", Args: []string{"NODENAME", "DEV"}, Summary: "the device's address (or dhcp)",
		run: nicField(func(c *cluster.NIC) string { return c.IP })})
	def(&Def{Name: "mask", Args: []string{"NODENAME", "DEV"}, Summary: "the device's netmask",
		run: nicField(func(c *cluster.NIC) string { return c.Mask })})
	def(&Def{Name: "gateway", Args: []string{"NODENAME", "DEV"}, Summary: "the device's gateway",
		run: nicField(func(c *cluster.NIC) string { return c.Gateway })})
	def(&Def{Name: "master", Args: []string{"NODENAME", "DEV"}, Summary: "the bond the device is enslaved to",
		run: nicField(func(c *cluster.NIC) string { return c.Master })})
	def(&Def{Name: "slave", Args: []string{"NODENAME", "DEV"}, Summary: "whether the device is a bond slave",
		run: nicField(func(c *cluster.NIC) string { return c.Slave })})
	def(&Def{Name: "hosts", Sep: "\n", Summary: "an /etc/hosts line for each node's first static address",
		run: func(e *Engine, _ []string) ([]string, error) {
			var out []string
			for _, n := range e.Cluster.Nodes {
				for _, c := range n.NICs {
					if c.IP != "" && !c.IsDHCP() {
						out = append(out, cluster.Printable(c.IP)+" \t"+cluster.Printable(n.Name))
						break
					}
				}
			}
			return out, nil
		}})
	def(&Def{Name: "ifconfig", Args: []string{"MAC"}, Sep: " ", Summary: "device name, address and netmask of the interface with that MAC",
		run: func(e *Engine, a []string) ([]string, error) {
			_, nic, err := e.byMAC(a[0])
			if err != nil {
				return nil, err
			}
			return []string{nic.Name, nic.IP, nic.Mask}, nil
		}})
	def(&Def{Name: "rootvolume", Args: []string{"NODENAME"}, Summary: "the root device",
		run: nodeField((*cluster.Node).RootVolumeName)})
	def(&Def{Name: "rootfs", Args: []string{"NODENAME"}, Summary: "the root filesystem type (default gfs)",
		run: nodeField((*cluster.Node).RootFS)})
	def(&Def{Name: "mountopts", Args: []string{"NODENAME"}, Summary: "the root mount options (default: the filesystem's)",
		run: nodeField((*cluster.Node).MountOpts)})
	def(&Def{Name: "syslog", Args: []string{"NODENAME"}, Summary: "the log host(s)",
		run: nodeField((*cluster.Node).SyslogServer)})
	def(&Def{Name: "scsifailover", Args: []string{"NODENAME"}, Summary: "the multipath style (driver, mapper, rdac, …; default driver)",
		run: func(e *Engine, a []string) ([]string, error) {
			n, err := e.node(a[0])
			if err != nil {
				return nil, err
			}
			return one(scsiFailover(e.Cluster, n)), nil
		}})
	def(&Def{Name: "failoverdomainnodes", Args: []string{"DOMAIN"}, Optional: "SEP", Sep: " ", Summary: "the members of a failover domain",
		run: func(e *Engine, a []string) ([]string, error) {
			d, ok := e.Cluster.FailoverDomain(a[0])
			if !ok {
				return nil, fmt.Errorf("no failover domain named %q", a[0])
			}
			var out []string
			for _, m := range d.Nodes {
				out = append(out, m.Name)
			}
			return out, nil
		}})
	def(&Def{Name: "failoverdomainprefnode", Args: []string{"DOMAIN"}, Summary: "the preferred member (lowest priority) of a failover domain",
		run: func(e *Engine, a []string) ([]string, error) {
			d, ok := e.Cluster.FailoverDomain(a[0])
			if !ok {
				return nil, fmt.Errorf("no failover domain named %q", a[0])
			}
			name, ok := d.PreferredNode()
			if !ok {
				return nil, fmt.Errorf("failover domain %q has no members", a[0])
			}
			return one(name), nil
		}})
	def(&Def{Name: "query_value", Args: []string{"XPATH"}, Rest: "PARAM...", Sep: " ", anyItem: true,
		Summary: "what the XPath selects in the cluster.conf, %(paramN)s replaced by the N-th PARAM",
		run:     func(e *Engine, a []string) ([]string, error) { return e.runXPath(a[0], a[1:]) }})
	def(&Def{Name: "query_xml", Args: []string{"XPATH"}, Rest: "PARAM...", Sep: "\n", anyItem: true,
		Summary: "the elements the XPath selects, as XML (one a line with -s)",
		run:     func(e *Engine, a []string) ([]string, error) { return e.runXPath(a[0], a[1:]) }})
	def(&Def{Name: "convert", Args: []string{"FORMAT"}, Summary: "the configuration in another format (ocfs2, corosync, hcl, clusterconf)",
		run: func(e *Engine, a []string) ([]string, error) {
			if e.Convert == nil {
				return nil, fmt.Errorf("conversion is not available here")
			}
			s, err := e.Convert(e.Cluster, a[0])
			if err != nil {
				return nil, err
			}
			return one(s), nil
		}})
}
