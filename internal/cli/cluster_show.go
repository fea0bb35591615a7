// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/cluster"
)

func init() {
	clusterCommands = append(clusterCommands, newClusterNodesCmd, newClusterNodeCmd)
}

func newClusterNodesCmd(e *env) *cobra.Command {
	var (
		cf     clusterFileFlags
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "nodes",
		Short: "a table of the nodes",
		Long:  "Prints a table of the nodes: id, name, votes, root filesystem, root volume and interfaces.",
		RunE: func(_ *cobra.Command, pos []string) error {
			if len(pos) > 0 {
				return usagef("nodes takes no arguments (got %q); use 'osr cluster node %s' for one node", pos[0], pos[0])
			}
			return runClusterNodes(e, &cf, asJSON)
		},
	}
	cf.bind(c.Flags())
	c.Flags().BoolVar(&asJSON, "json", false, "print the nodes as JSON")
	return c
}

func runClusterNodes(e *env, cf *clusterFileFlags, asJSON bool) error {
	c, err := loadCluster(e, cf, "")
	if err != nil {
		return err
	}
	if asJSON {
		views := make([]nodeView, len(c.Nodes))
		for i, n := range c.Nodes {
			views[i] = viewNode(n)
		}
		return writeJSON(e.stdout, views)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tVOTES\tROOTFS\tROOTVOLUME\tINTERFACES")
	for _, n := range c.Nodes {
		var nics []string
		for _, nic := range n.NICs {
			nics = append(nics, nicSummary(&nic))
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", n.ID, n.Name, n.EffectiveVotes(), n.RootFS(), dash(n.RootVolumeName()), dash(strings.Join(nics, " ")))
	}
	return tw.Flush()
}

// nicSummary renders an interface in a table cell: eth0=10.0.0.1/24, eth1>bond0, eth2=dhcp(down).
func nicSummary(nic *cluster.NIC) string {
	s := nic.Name
	switch {
	case nic.Master != "":
		s += ">" + nic.Master
	case nic.IsDHCP():
		s += "=dhcp"
	case nic.IP != "":
		if p, ok, err := nic.Prefix(); err == nil && ok {
			s += "=" + p.String()
		} else {
			s += "=" + nic.IP
		}
	}
	if !nic.IsOnBoot() {
		s += "(down)"
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newClusterNodeCmd(e *env) *cobra.Command {
	var (
		cf     clusterFileFlags
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "node NAME|ID|MAC",
		Short: "everything about one node",
		Long: `Prints everything the configuration says about one node, found by name, node id
or MAC address: effective values, "(default)" where the configuration left a
value out, secrets only as set.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runClusterNode(e, &cf, asJSON, pos) },
	}
	cf.bind(c.Flags())
	c.Flags().BoolVar(&asJSON, "json", false, "print the node as JSON")
	return c
}

func runClusterNode(e *env, cf *clusterFileFlags, asJSON bool, pos []string) error {
	if len(pos) != 1 {
		return usagef("node takes one argument: a node name, id or MAC")
	}
	c, err := loadCluster(e, cf, "")
	if err != nil {
		return err
	}
	n, ok := c.FindNode(pos[0])
	if !ok {
		return fmt.Errorf("no node named %q, nor with that id or MAC, in %s; 'osr cluster nodes' lists them", pos[0], c.Pos.File)
	}
	if asJSON {
		return writeJSON(e.stdout, viewNode(n))
	}
	writeNode(e.stdout, n)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// nodeView is a node as JSON: effective values, secrets left out.
type nodeView struct {
	ID           int       `json:"id"`
	Name         string    `json:"name"`
	Votes        int       `json:"votes"`
	RootVolume   string    `json:"rootvolume"`
	RootFS       string    `json:"rootfs"`
	MountOpts    string    `json:"mountopts"`
	RootSource   string    `json:"rootsource,omitempty"`
	SCSIFailover string    `json:"scsifailover"`
	Syslog       string    `json:"syslog,omitempty"`
	Interfaces   []nicView `json:"interfaces"`
	Source       string    `json:"source"`
}

type nicView struct {
	Name       string            `json:"name"`
	MAC        string            `json:"mac,omitempty"`
	IP         string            `json:"ip,omitempty"`
	Mask       string            `json:"mask,omitempty"`
	Gateway    string            `json:"gateway,omitempty"`
	Master     string            `json:"master,omitempty"`
	Slave      bool              `json:"slave"`
	OnBoot     bool              `json:"onboot"`
	Type       string            `json:"type,omitempty"`
	Bridge     string            `json:"bridge,omitempty"`
	Driver     string            `json:"driver,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

func viewNode(n *cluster.Node) nodeView {
	v := nodeView{ID: n.ID, Name: n.Name, Votes: n.EffectiveVotes(), RootVolume: n.RootVolumeName(), RootFS: n.RootFS(),
		MountOpts: n.MountOpts(), RootSource: n.RootSource, SCSIFailover: n.SCSIFailover(), Syslog: n.SyslogServer(),
		Interfaces: []nicView{}, Source: n.Pos.String()}
	for _, c := range n.NICs {
		nv := nicView{Name: c.Name, MAC: c.MAC, IP: c.IP, Mask: c.Mask, Gateway: c.Gateway, Master: c.Master,
			Slave: c.IsSlave(), OnBoot: c.IsOnBoot(), Type: c.Type, Bridge: c.Bridge, Driver: c.Driver}
		if len(c.Properties) > 0 {
			nv.Properties = map[string]string{}
			for _, p := range c.Properties {
				nv.Properties[p.Name] = p.Value
			}
		}
		v.Interfaces = append(v.Interfaces, nv)
	}
	return v
}

// writeNode prints one node for people: effective values, with "(default)" where
// the configuration left a value out, and secrets shown only as set.
func writeNode(w io.Writer, n *cluster.Node) {
	fmt.Fprintf(w, "node %s (id %d, votes %d) at %s\n", n.Name, n.ID, n.EffectiveVotes(), n.Pos)
	def := func(written string) string {
		if written == "" {
			return " (default)"
		}
		return ""
	}
	var fstype, opts string
	if n.RootVolume != nil {
		fstype, opts = n.RootVolume.FSType, n.RootVolume.MountOpts
	}
	fmt.Fprintf(w, "  rootvolume:   %s\n", dash(n.RootVolumeName()))
	fmt.Fprintf(w, "  rootfs:       %s%s\n", n.RootFS(), def(fstype))
	fmt.Fprintf(w, "  mountopts:    %s%s\n", dash(n.MountOpts()), def(opts))
	if n.RootSource != "" {
		fmt.Fprintf(w, "  rootsource:   %s\n", n.RootSource)
	}
	failover := ""
	if n.SCSI != nil {
		failover = n.SCSI.Failover
	}
	fmt.Fprintf(w, "  scsifailover: %s%s\n", n.SCSIFailover(), def(failover))
	if n.SCSI != nil && n.SCSI.Driver != "" {
		fmt.Fprintf(w, "  scsi driver:  %s\n", n.SCSI.Driver)
	}
	if n.Syslog != nil {
		fmt.Fprintf(w, "  syslog:       %s", dash(n.Syslog.Name))
		if n.Syslog.Type != "" {
			fmt.Fprintf(w, " (%s)", n.Syslog.Type)
		}
		fmt.Fprintln(w)
	}
	ch := n.Chroot()
	fmt.Fprintf(w, "  chroot:       %s (%s on %s, %s)%s\n", ch.ChrootDir, ch.FSType, ch.Device, ch.MountOpts, map[bool]string{true: " (default)", false: ""}[n.ChrootEnv == nil])
	if len(n.NICs) > 0 {
		fmt.Fprintln(w, "  interfaces:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range n.NICs {
			fmt.Fprintf(tw, "    %s\t%s\n", c.Name, nicDetail(&c))
		}
		tw.Flush()
	}
	for _, f := range n.Filesystems {
		fmt.Fprintf(w, "  filesystem:   %s on %s (%s %s)\n", f.Source, f.Dest, dash(f.FSType), dash(f.MountOpts))
	}
	if f := n.FenceAckServer; f != nil {
		pw := "not set"
		if f.Passwd != "" {
			pw = "set"
		}
		fmt.Fprintf(w, "  fenceackserver: port %s user %s password %s\n", dash(f.Port), dash(f.User), pw)
	}
	for _, m := range n.Fence {
		var devs []string
		for _, d := range m.Devices {
			devs = append(devs, d.Name)
		}
		fmt.Fprintf(w, "  fence method %s: %s\n", m.Name, dash(strings.Join(devs, ", ")))
	}
}

func nicDetail(c *cluster.NIC) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	add("mac", c.MAC)
	switch {
	case c.IsDHCP():
		parts = append(parts, "dhcp")
	case c.IP != "":
		if p, ok, err := c.Prefix(); err == nil && ok {
			add("ip", p.String())
		} else {
			add("ip", c.IP)
			add("mask", c.Mask)
		}
	}
	add("gateway", c.Gateway)
	add("slave of", c.Master)
	add("bridge", c.Bridge)
	add("type", c.Type)
	add("driver", c.Driver)
	if !c.IsOnBoot() {
		parts = append(parts, "down at boot")
	}
	for _, p := range c.Properties {
		parts = append(parts, p.Name+"="+strconv.Quote(p.Value))
	}
	return strings.Join(parts, ", ")
}
