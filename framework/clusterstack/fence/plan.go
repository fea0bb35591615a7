// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// Kind is how osr carries out a fence device.
type Kind string

// The kinds of fence device osr carries out.
const (
	KindIPMI   Kind = "ipmi"
	KindSSH    Kind = "ssh"
	KindManual Kind = "manual"
)

// agentKinds maps a <fencedevice agent> to what osr does for it. The IPMI names are
// the fence-agents programs that are fence_ipmilan under another name.
var agentKinds = map[string]Kind{
	"fence_ipmilan":     KindIPMI,
	"fence_ipmilanplus": KindIPMI,
	"fence_idrac":       KindIPMI,
	"fence_ilo3":        KindIPMI,
	"fence_ilo4":        KindIPMI,
	"fence_ilo5":        KindIPMI,
	"fence_imm":         KindIPMI,
	"fence_osr_ssh":     KindSSH,
	"fence_manual":      KindManual,
	"fence_ack_manual":  KindManual,
}

// Agents lists the fence device agents osr carries out, sorted.
func Agents() []string {
	names := make([]string, 0, len(agentKinds))
	for n := range agentKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Victim is the node to fence.
type Victim struct {
	ID   int
	Name string
}

// Method is one of the victim's fence methods, its devices resolved.
type Method struct {
	Name    string
	Devices []Device
	Pos     cluster.Pos
}

// Device is a fence device bound to one victim: the shared <fencedevice> with the
// node's own parameters (port, nodename, …) laid over it.
type Device struct {
	// Name is the fence device's name.
	Name string
	// Agent is the device's agent as written.
	Agent string
	// Kind is what osr does for the agent.
	Kind Kind
	// Params are the device's attributes followed by the node's; a later one wins.
	Params []cluster.Attr
	// Pos is where the node names the device; DevicePos where the device is defined.
	Pos, DevicePos cluster.Pos

	common commonConfig
	ipmi   *ipmiConfig
	ssh    *sshConfig
	manual *manualConfig
}

// Param returns the value of a parameter; a node's value wins over the device's.
func (d Device) Param(name string) (string, bool) {
	for i := len(d.Params) - 1; i >= 0; i-- {
		if d.Params[i].Name == name {
			return d.Params[i].Value, true
		}
	}
	return "", false
}

// Secrets are the parameter values that must never be logged.
func (d Device) Secrets() []string {
	var out []string
	for _, p := range d.Params {
		if cluster.IsSecretAttr(p.Name) && p.Value != "" {
			out = append(out, p.Value)
		}
	}
	return out
}

// Plan resolves the fence methods of the node with the given id.
func Plan(c *cluster.Cluster, nodeID int) (Victim, []Method, error) {
	for _, n := range c.Nodes {
		if n.ID == nodeID {
			ms, err := planNode(c, n)
			return Victim{ID: n.ID, Name: n.Name}, ms, err
		}
	}
	return Victim{ID: nodeID}, nil, fmt.Errorf("%s: no node has id %d; the cluster configuration must list every node corosync knows, with the same ids", c.Pos, nodeID)
}

// PlanByName resolves the fence methods of the node named name, or of the node whose
// id is name written as a number.
func PlanByName(c *cluster.Cluster, name string) (Victim, []Method, error) {
	for _, n := range c.Nodes {
		if n.Name == name || fmt.Sprint(n.ID) == name {
			ms, err := planNode(c, n)
			return Victim{ID: n.ID, Name: n.Name}, ms, err
		}
	}
	names := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		names[i] = n.Name
	}
	return Victim{}, nil, fmt.Errorf("%s: no node %q (the nodes are %s)", c.Pos, name, strings.Join(names, ", "))
}

// Validate checks the fence configuration of every node: each node has at least one
// method, every device it names exists, is of an agent osr carries out and has the
// parameters that agent needs. It reports every problem at once with file and line.
func Validate(c *cluster.Cluster) error {
	var errs []error
	for _, n := range c.Nodes {
		if _, err := planNode(c, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func planNode(c *cluster.Cluster, n *cluster.Node) ([]Method, error) {
	if len(n.Fence) == 0 {
		return nil, fmt.Errorf("%s: node %q has no fence method; give it a <fence><method> (HCL: fence \"1\" { device \"NAME\" {} }) naming a fence device, "+
			"or disable fencing for the whole cluster with <dlm enable_fencing=\"0\"/> where data loss on a node failure is acceptable", n.Pos, n.Name)
	}
	devices := map[string]*cluster.FenceDevice{}
	for i := range c.FenceDevices {
		devices[c.FenceDevices[i].Name] = &c.FenceDevices[i]
	}
	var errs []error
	methods := make([]Method, 0, len(n.Fence))
	for i, fm := range n.Fence {
		m := Method{Name: fm.Name, Pos: fm.Pos}
		if m.Name == "" {
			m.Name = fmt.Sprint(i + 1)
		}
		if len(fm.Devices) == 0 {
			errs = append(errs, fmt.Errorf("%s: node %q, fence method %q names no device", fm.Pos, n.Name, m.Name))
		}
		for _, ref := range fm.Devices {
			fd, ok := devices[ref.Name]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: node %q, fence method %q names device %q, which is not among the fence devices (%s)",
					ref.Pos, n.Name, m.Name, ref.Name, deviceNames(c)))
				continue
			}
			d, err := bindDevice(n, fd, ref)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			m.Devices = append(m.Devices, d)
		}
		methods = append(methods, m)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return methods, nil
}

func deviceNames(c *cluster.Cluster) string {
	if len(c.FenceDevices) == 0 {
		return "the configuration defines none"
	}
	names := make([]string, len(c.FenceDevices))
	for i, d := range c.FenceDevices {
		names[i] = d.Name
	}
	return strings.Join(names, ", ")
}

func bindDevice(n *cluster.Node, fd *cluster.FenceDevice, ref cluster.FenceDeviceRef) (Device, error) {
	d := Device{Name: fd.Name, Agent: fd.Agent, Pos: ref.Pos, DevicePos: fd.Pos}
	d.Params = append(append(d.Params, fd.Attrs...), ref.Attrs...)
	kind, ok := agentKinds[fd.Agent]
	if !ok {
		return d, fmt.Errorf("%s: fence device %q has agent %q, which osr does not carry out; use one of %s",
			fd.Pos, fd.Name, fd.Agent, strings.Join(Agents(), ", "))
	}
	d.Kind = kind
	p := &params{d: &d, node: n}
	d.common = p.common()
	switch kind {
	case KindIPMI:
		d.ipmi = p.ipmi()
	case KindSSH:
		d.ssh = p.ssh()
	case KindManual:
		d.manual = p.manual()
	}
	p.unknown()
	if err := errors.Join(p.errs...); err != nil {
		return d, err
	}
	return d, nil
}

// Files lists the files the fence devices of c read when they act: ssh keys and
// known_hosts files (KnownHostsPath for an ssh device that names none) and password
// scripts. The paths are absolute and the same on the build host and inside the
// chroot: the build copies each into the chroot, secret ones 0600. Sorted, without
// duplicates. It fails when the fence configuration is not valid.
func Files(c *cluster.Cluster) ([]string, error) {
	if off, _, err := Disabled(c); err != nil || off {
		return nil, err
	}
	seen := map[string]bool{}
	for _, n := range c.Nodes {
		ms, err := planNode(c, n)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			for _, d := range m.Devices {
				switch {
				case d.ssh != nil:
					seen[d.ssh.knownHosts] = true
					if d.ssh.identityFile != "" {
						seen[d.ssh.identityFile] = true
					}
				case d.ipmi != nil && d.ipmi.passwdScript != "":
					seen[d.ipmi.passwdScript] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}
