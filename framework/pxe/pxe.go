// SPDX-License-Identifier: Apache-2.0

// Package pxe writes the network boot entries of a cluster's nodes from its
// configuration: for every MAC of every node a PXELINUX entry
// (pxelinux.cfg/01-<mac>), an iPXE script (ipxe/<mac>.ipxe) and a GRUB entry
// (boot/grub/grub.cfg-01-<mac>), each booting the kernel and the osr initrd
// with the node's parameters (nodeid=, ip=, root=, rootfs=), plus an iPXE
// menu (ipxe/menu.ipxe) that chains the script of the booting MAC or lets
// the admin choose a node. The kernel and initrd are copied beside them. The
// output directory is the TFTP (or HTTP) server's root.
//
// Usage:
//
//	plan, err := pxe.MakePlan(c, pxe.Options{Kernel: k, Initrd: i, Output: dir})
//	if err != nil { … }         // bad MACs, duplicates: file:line
//	err = plan.Write()           // every file atomically
package pxe

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/netaddr"
)

// Options say what MakePlan plans.
type Options struct {
	// Kernel and Initrd are the files to boot; they are copied into Output
	// under their own base names.
	Kernel, Initrd string
	// Output is the directory written: the TFTP server's root.
	Output string
	// Append are more kernel parameters for every entry (console=ttyS0, …).
	Append []string
}

// Entry is the boot entry of one MAC of one node.
type Entry struct {
	// Node and NodeID name the node; NIC is the interface with the MAC.
	Node   string
	NodeID int
	NIC    string
	// MAC is the canonical MAC (lower case, ':').
	MAC string
	// Params are the kernel parameters.
	Params []string
	// Pos is where the NIC is written.
	Pos cluster.Pos
}

// PXEName is the MAC as PXELINUX and GRUB name the entry: 01-aa-bb-….
func (e Entry) PXEName() string { return "01-" + Hyphens(e.MAC) }

// Hyphens is the MAC with '-' separators, as iPXE's ${mac:hexhyp} spells it.
func Hyphens(mac string) string { return strings.ReplaceAll(mac, ":", "-") }

// File is one file of the plan.
type File struct {
	// Path is relative to the output directory.
	Path string
	// Source, for a copy, is the file copied; Data, for an entry, the content.
	Source string
	Data   []byte
	// Size is the size written.
	Size int64
}

// Plan is everything Write writes.
type Plan struct {
	// Cluster names the cluster; Output is the directory.
	Cluster string
	Output  string
	// Kernel and Initrd are the names of the copies in Output.
	Kernel, Initrd string
	Entries        []Entry
	Files          []File
}

// The directories of the entries in the output.
const (
	PXELinuxDir = "pxelinux.cfg"
	IPXEDir     = "ipxe"
	GRUBDir     = "boot/grub"
	// IPXEMenu is the script a DHCP server names for iPXE clients.
	IPXEMenu = IPXEDir + "/menu.ipxe"
)

// MakePlan plans the entries of every node of c. It refuses a cluster that
// does not validate (bad or duplicate MACs, duplicate nodes: every problem
// with its file and line), nodes without a MAC, parameters the kernel
// command line cannot carry, and a kernel or initrd that is not a file.
func MakePlan(c *cluster.Cluster, o Options) (Plan, error) {
	if err := c.Validate(); err != nil {
		return Plan{}, fmt.Errorf("the cluster configuration has problems; fix them first:\n%w", err)
	}
	p := Plan{Cluster: c.Name, Output: o.Output, Kernel: filepath.Base(o.Kernel), Initrd: filepath.Base(o.Initrd)}
	var errs []error
	for _, f := range []struct{ what, path string }{{"kernel", o.Kernel}, {"initrd", o.Initrd}} {
		st, err := os.Stat(f.path)
		switch {
		case f.path == "":
			errs = append(errs, fmt.Errorf("no %s given", f.what))
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", f.what, err))
		case !st.Mode().IsRegular():
			errs = append(errs, fmt.Errorf("%s %s is not a regular file", f.what, f.path))
		default:
			p.Files = append(p.Files, File{Path: filepath.Base(f.path), Source: f.path, Size: st.Size()})
		}
	}
	if o.Output == "" {
		errs = append(errs, errors.New("no output directory given"))
	}
	if p.Kernel == p.Initrd && o.Kernel != "" {
		errs = append(errs, fmt.Errorf("kernel and initrd are both named %s; copies of both cannot share one name", p.Kernel))
	}
	for _, a := range o.Append {
		if err := checkParam(a); err != nil {
			errs = append(errs, fmt.Errorf("--append %q: %w", a, err))
		}
	}
	for _, n := range c.Nodes {
		es, err := nodeEntries(n, o.Append)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Entries = append(p.Entries, es...)
	}
	if err := errors.Join(errs...); err != nil {
		return Plan{}, err
	}
	sort.SliceStable(p.Entries, func(i, j int) bool { return p.Entries[i].NodeID < p.Entries[j].NodeID })
	for _, e := range p.Entries {
		p.add(filepath.Join(PXELinuxDir, e.PXEName()), PXELinux(p, e))
		p.add(filepath.Join(IPXEDir, Hyphens(e.MAC)+".ipxe"), IPXE(p, e))
		p.add(filepath.Join(GRUBDir, "grub.cfg-"+e.PXEName()), GRUB(p, e))
	}
	p.add(IPXEMenu, IPXEMenuScript(p))
	return p, nil
}

func (p *Plan) add(path string, data []byte) {
	p.Files = append(p.Files, File{Path: path, Data: data, Size: int64(len(data))})
}

// nodeEntries makes an entry for every distinct MAC of n (a VLAN may repeat
// its NIC's MAC).
func nodeEntries(n *cluster.Node, extra []string) ([]Entry, error) {
	var out []Entry
	seen := map[string]bool{}
	for i := range n.NICs {
		nic := &n.NICs[i]
		if nic.MAC == "" {
			continue
		}
		mac, err := netaddr.NormalizeMAC(nic.MAC)
		if err != nil || seen[mac] {
			continue // validation reported a bad MAC
		}
		seen[mac] = true
		params, err := nodeParams(n, nic)
		if err != nil {
			return nil, cluster.Problem{Pos: nic.Pos, Node: strconv.Quote(n.Name), Msg: err.Error()}
		}
		out = append(out, Entry{Node: n.Name, NodeID: n.ID, NIC: nic.Name, MAC: mac, Params: append(params, extra...), Pos: nic.Pos})
	}
	if len(out) == 0 {
		return nil, cluster.Problem{Pos: n.Pos, Node: strconv.Quote(n.Name), Msg: "no NIC with a MAC: a network boot entry is found by the booting NIC's MAC; add mac= to the NIC the node boots from"}
	}
	return out, nil
}

// nodeParams are the kernel parameters of n booting from nic: nodeid=, the
// network (ip=), root= and rootfs=.
func nodeParams(n *cluster.Node, nic *cluster.NIC) ([]string, error) {
	params := []string{fmt.Sprintf("nodeid=%d", n.ID), "ip=" + ipParam(n, nic)}
	if r := n.RootVolumeName(); r != "" {
		params = append(params, "root="+r)
	}
	params = append(params, "rootfs="+n.RootFS())
	for _, p := range params {
		if err := checkParam(p); err != nil {
			return nil, fmt.Errorf("kernel parameter %q: %w", p, err)
		}
	}
	return params, nil
}

// ipParam is the ip= value for a node booting from nic: the NIC's static
// IPv4 address in the kernel's form (<client>::<gw>:<mask>:<host>:<dev>:off),
// <dev>:dhcp for a DHCP NIC, and "cluster" (the configuration as it is) for
// everything ip= cannot say: bond slaves, bridge ports, VLANs, IPv6, auto6,
// or a NIC without an address.
func ipParam(n *cluster.Node, nic *cluster.NIC) string {
	if nic.IsSlave() || nic.Bridge != "" || !nic.IsOnBoot() {
		return "cluster"
	}
	if _, _, isVLAN, _ := nic.VLAN(); isVLAN {
		return "cluster"
	}
	for i := range n.NICs { // a VLAN on this NIC: ip= would take the NIC alone
		if parent, _, ok, _ := n.NICs[i].VLAN(); ok && parent == nic.Name {
			return "cluster"
		}
	}
	if nic.IsDHCP() {
		return nic.Name + ":dhcp"
	}
	pfx, ok, err := nic.Prefix()
	if err != nil || !ok || !pfx.Addr().Is4() {
		return "cluster"
	}
	gw := ""
	if g, ok, err := nic.GatewayAddr(); err == nil && ok {
		gw = g.String()
	}
	host := n.Name
	if n.Hostname != "" {
		host = n.Hostname
	}
	return fmt.Sprintf("%s::%s:%s:%s:%s:off", pfx.Addr(), gw, dottedMask(pfx), host, nic.Name)
}

func dottedMask(p netip.Prefix) string {
	var b [4]byte
	for i := 0; i < p.Bits(); i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(b).String()
}

// checkParam refuses what a kernel parameter cannot hold unquoted, and
// what would end a boot loader's line.
func checkParam(p string) error {
	if strings.ContainsAny(p, " \t\n\r\"'\\;#$`{}") {
		return errors.New("contains white space, quotes or characters boot loader scripts interpret; write the value without them")
	}
	return nil
}
