// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"fmt"
	"strconv"
	"strings"
)

// ReadClusterConf reads a Red Hat cluster.conf with comoonics <com_info> elements.
// file names the source in error messages. A document whose root is a single
// <clusternode> is read as a one-node cluster. Syntax errors, and osr's own
// elements out of place (a <filesystem> outside <filesystems>, a <rootvolume>
// outside <com_info>), are errors with the file and line; unknown elements and
// attributes inside <com_info> are kept and reported as warnings in
// ReadWarnings (the originals ignored them, and existing files carry those of
// tools osr does not replace); semantic checks are left to Validate.
func ReadClusterConf(file string, data []byte) (*Cluster, error) {
	return readClusterConf(file, data, false)
}

// readClusterConf is ReadClusterConf; see parse for owned.
func readClusterConf(file string, data []byte, owned bool) (*Cluster, error) {
	root, err := parseXMLTree(file, data, owned)
	if err != nil {
		return nil, err
	}
	r := &ccReader{file: file}
	c := &Cluster{Format: FormatClusterConf, Pos: Pos{File: file, Line: root.line}}
	switch root.name {
	case "cluster":
		r.cluster(c, root)
	case "clusternode":
		if n := r.node(root); n != nil {
			c.Nodes = append(c.Nodes, n)
		}
	default:
		return nil, fmt.Errorf("%s:%d: the root element is <%s>, want <cluster>", file, root.line, root.name)
	}
	r.errs = append(r.errs, checkNames(c)...)
	if len(r.errs) > 0 {
		return nil, joinErrors(r.errs)
	}
	c.ReadWarnings = r.warns
	return c, nil
}

type ccReader struct {
	file  string
	errs  []error
	warns []Problem
}

func (r *ccReader) warnf(n *xmlNode, format string, args ...any) {
	r.warns = append(r.warns, Problem{Pos: r.pos(n), Msg: fmt.Sprintf(format, args...)})
}

func (r *ccReader) pos(n *xmlNode) Pos { return Pos{File: r.file, Line: n.line} }

func (r *ccReader) errorf(n *xmlNode, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s:%d: %s", r.file, n.line, fmt.Sprintf(format, args...)))
}

// attrs assigns the known attributes of n to their targets. Unknown attributes are
// returned when keep is set and ignored with a warning otherwise.
func (r *ccReader) attrs(n *xmlNode, known fields, keep bool) []Attr {
	var rest []Attr
	for _, a := range n.attrs {
		if p := known.target(a.Name); p != nil {
			*p = a.Value
			continue
		}
		if keep {
			rest = append(rest, a)
			continue
		}
		r.warnf(n, "unknown attribute %q on <%s> is ignored; known attributes: %s", a.Name, n.name, knownList(known))
	}
	return rest
}

// field binds an attribute name to where its value goes.
type field struct {
	name string
	dst  *string
}

type fields []field

func (fs fields) target(name string) *string {
	for _, f := range fs {
		if f.name == name {
			return f.dst
		}
	}
	return nil
}

func knownList(known fields) string {
	names := make([]string, 0, len(known))
	for _, f := range known {
		names = append(names, f.name)
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}

func (r *ccReader) cluster(c *Cluster, n *xmlNode) {
	c.Attrs = r.attrs(n, fields{{"name", &c.Name}, {"config_version", &c.ConfigVersion}, {"type", &c.Type}}, true)
	for _, ch := range n.children {
		switch ch.name {
		case "clusternodes":
			for _, cn := range ch.children {
				if cn.name != "clusternode" {
					r.errorf(cn, "unexpected <%s> in <clusternodes>; only <clusternode> belongs there", cn.name)
					continue
				}
				if node := r.node(cn); node != nil {
					c.Nodes = append(c.Nodes, node)
				}
			}
		case "fencedevices":
			for _, fd := range ch.children {
				if fd.name != "fencedevice" {
					r.errorf(fd, "unexpected <%s> in <fencedevices>; only <fencedevice> belongs there", fd.name)
					continue
				}
				d := FenceDevice{Pos: r.pos(fd)}
				d.Attrs = r.attrs(fd, fields{{"name", &d.Name}, {"agent", &d.Agent}}, true)
				c.FenceDevices = append(c.FenceDevices, d)
			}
		case "rm":
			r.rm(c, ch)
		default:
			c.Extra = append(c.Extra, ch.toElement(r.file))
		}
	}
}

func (r *ccReader) rm(c *Cluster, n *xmlNode) {
	c.HasRM = true
	c.RMAttrs = append([]Attr(nil), n.attrs...)
	for _, ch := range n.children {
		if ch.name != "failoverdomains" {
			c.RMExtra = append(c.RMExtra, ch.toElement(r.file))
			continue
		}
		for _, fdn := range ch.children {
			if fdn.name != "failoverdomain" {
				r.errorf(fdn, "unexpected <%s> in <failoverdomains>; only <failoverdomain> belongs there", fdn.name)
				continue
			}
			d := FailoverDomain{Pos: r.pos(fdn)}
			d.Attrs = r.attrs(fdn, fields{{"name", &d.Name}}, true)
			for _, m := range fdn.children {
				if m.name != "failoverdomainnode" {
					r.errorf(m, "unexpected <%s> in <failoverdomain>; only <failoverdomainnode> belongs there", m.name)
					continue
				}
				var fm FailoverDomainNode
				r.attrs(m, fields{{"name", &fm.Name}, {"priority", &fm.Priority}}, false)
				d.Nodes = append(d.Nodes, fm)
			}
			c.FailoverDomains = append(c.FailoverDomains, d)
		}
	}
}

func (r *ccReader) node(n *xmlNode) *Node {
	node := &Node{Pos: r.pos(n)}
	var id string
	node.Attrs = r.attrs(n, fields{{"nodeid", &id}, {"name", &node.Name}, {"votes", &node.Votes}}, true)
	if id != "" {
		v, err := strconv.Atoi(strings.TrimSpace(id))
		if err != nil || v <= 0 {
			r.errorf(n, "node %q: nodeid %q is not a positive number", node.Name, id)
		}
		node.ID = v
	}
	for _, ch := range n.children {
		switch ch.name {
		case "com_info":
			if node.HasComInfo {
				r.errorf(ch, "node %q has a second <com_info>; merge them into one", node.Name)
			}
			node.HasComInfo = true
			r.comInfo(node, ch)
		case "fence":
			if len(ch.children) == 0 {
				node.Extra = append(node.Extra, ch.toElement(r.file))
				continue
			}
			for _, m := range ch.children {
				if m.name != "method" {
					r.errorf(m, "unexpected <%s> in <fence>; only <method> belongs there", m.name)
					continue
				}
				fm := FenceMethod{Pos: r.pos(m)}
				fm.Attrs = r.attrs(m, fields{{"name", &fm.Name}}, true)
				for _, d := range m.children {
					if d.name != "device" {
						r.errorf(d, "unexpected <%s> in <method>; only <device> belongs there", d.name)
						continue
					}
					ref := FenceDeviceRef{Pos: r.pos(d)}
					ref.Attrs = r.attrs(d, fields{{"name", &ref.Name}}, true)
					fm.Devices = append(fm.Devices, ref)
				}
				node.Fence = append(node.Fence, fm)
			}
		default:
			if r.comInfoOutside(ch) {
				continue
			}
			node.Extra = append(node.Extra, ch.toElement(r.file))
		}
	}
	return node
}

// once reports a repeated single element of com_info.
func (r *ccReader) once(node *Node, n *xmlNode, seen map[string]bool) bool {
	if seen[n.name] {
		r.errorf(n, "node %q has a second <%s>; a node has at most one", node.Name, n.name)
		return false
	}
	seen[n.name] = true
	return true
}

func (r *ccReader) comInfo(node *Node, n *xmlNode) {
	seen := map[string]bool{}
	eths := 0
	for _, ch := range n.children {
		if ch.name == "eth" {
			eths++
		}
	}
	if eths > 0 {
		node.NICs = make([]NIC, 0, eths)
	}
	for _, ch := range n.children {
		switch ch.name {
		case "rootvolume":
			r.leaf(ch)
			if r.once(node, ch, seen) {
				v := &RootVolume{Pos: r.pos(ch)}
				r.attrs(ch, fields{{"name", &v.Name}, {"fstype", &v.FSType}, {"mountopts", &v.MountOpts}}, false)
				node.RootVolume = v
			}
		case "rootsource":
			r.leaf(ch)
			if r.once(node, ch, seen) {
				r.attrs(ch, fields{{"name", &node.RootSource}}, false)
			}
		case "eth":
			node.NICs = append(node.NICs, NIC{})
			r.nic(&node.NICs[len(node.NICs)-1], ch)
		case "syslog":
			r.leaf(ch)
			if r.once(node, ch, seen) {
				s := &Syslog{}
				r.attrs(ch, fields{{"name", &s.Name}, {"level", &s.Level}, {"subsys", &s.Subsys}, {"type", &s.Type}, {"filter", &s.Filter}}, false)
				node.Syslog = s
			}
		case "scsi":
			r.leaf(ch)
			if r.once(node, ch, seen) {
				s := &SCSI{}
				r.attrs(ch, fields{{"failover", &s.Failover}, {"driver", &s.Driver}, {"name", &s.Name}}, false)
				node.SCSI = s
			}
		case "chrootenv":
			r.leaf(ch)
			if r.once(node, ch, seen) {
				e := &ChrootEnv{}
				r.attrs(ch, fields{{"mountpoint", &e.Mountpoint}, {"fstype", &e.FSType}, {"device", &e.Device}, {"chrootdir", &e.ChrootDir}, {"mountopts", &e.MountOpts}}, false)
				node.ChrootEnv = e
			}
		case "filesystems":
			for _, f := range ch.children {
				if f.name != "filesystem" {
					r.errorf(f, "unexpected <%s> in <filesystems>; only <filesystem> belongs there", f.name)
					continue
				}
				r.leaf(f)
				fs := Filesystem{Pos: r.pos(f)}
				r.attrs(f, fields{{"source", &fs.Source}, {"dest", &fs.Dest}, {"fstype", &fs.FSType}, {"mountopts", &fs.MountOpts}, {"mountwait", &fs.MountWait}, {"mounttimes", &fs.MountTimes}}, false)
				node.Filesystems = append(node.Filesystems, fs)
			}
		case "fenceackserver":
			if r.once(node, ch, seen) {
				node.FenceAckServer = r.fenceAckServer(ch)
			}
		case "hostname":
			r.leaf(ch)
			if r.once(node, ch, seen) {
				r.attrs(ch, fields{{"name", &node.Hostname}}, false)
			}
		default:
			r.unknownComInfo(ch)
			node.ComInfoExtra = append(node.ComInfoExtra, ch.toElement(r.file))
		}
	}
}

// nic reads an <eth> into c.
func (r *ccReader) nic(c *NIC, n *xmlNode) {
	c.Pos = r.pos(n)
	r.attrs(n, fields{
		{"name", &c.Name}, {"mac", &c.MAC}, {"ip", &c.IP}, {"mask", &c.Mask}, {"gateway", &c.Gateway},
		{"master", &c.Master}, {"slave", &c.Slave}, {"type", &c.Type}, {"bridge", &c.Bridge},
		{"onboot", &c.OnBoot}, {"driver", &c.Driver},
	}, false)
	for _, ch := range n.children {
		if ch.name != "properties" {
			r.errorf(ch, "unexpected <%s> in <eth>; only <properties> belongs there", ch.name)
			continue
		}
		for _, p := range ch.children {
			if p.name != "property" {
				r.errorf(p, "unexpected <%s> in <properties>; only <property> belongs there", p.name)
				continue
			}
			var prop Property
			var value string
			hasValue := false
			for _, a := range p.attrs {
				switch a.Name {
				case "name":
					prop.Name = a.Value
				case "value":
					value, hasValue = a.Value, true
				default:
					r.warnf(p, "unknown attribute %q on <property> is ignored; known attributes: name, value", a.Name)
				}
			}
			if hasValue {
				prop.Value, prop.ValueAttr = value, true
			} else {
				prop.Value = strings.TrimSpace(p.textString())
			}
			c.Properties = append(c.Properties, prop)
		}
	}
}

func (r *ccReader) fenceAckServer(n *xmlNode) *FenceAckServer {
	f := &FenceAckServer{}
	r.attrs(n, fields{{"port", &f.Port}, {"user", &f.User}, {"passwd", &f.Passwd}}, false)
	for _, ch := range n.children {
		if ch.name != "ssl" {
			r.errorf(ch, "unexpected <%s> in <fenceackserver>; only <ssl> belongs there", ch.name)
			continue
		}
		r.leaf(ch)
		s := &SSL{}
		r.attrs(ch, fields{{"certfile", &s.CertFile}, {"keyfile", &s.KeyFile}, {"verifyfile", &s.VerifyFile}}, false)
		f.SSL = s
	}
	return f
}
