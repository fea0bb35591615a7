// SPDX-License-Identifier: Apache-2.0

package render

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// xw writes indented XML.
type xw struct {
	b     bytes.Buffer
	depth int
}

func (w *xw) indent() { w.b.WriteString(strings.Repeat("  ", w.depth)) }

func (w *xw) open(name string, attrs []cluster.Attr, empty bool) {
	w.indent()
	w.b.WriteByte('<')
	w.b.WriteString(name)
	for _, a := range attrs {
		w.b.WriteByte(' ')
		w.b.WriteString(a.Name)
		w.b.WriteString(`="`)
		w.b.WriteString(escape(a.Value, true))
		w.b.WriteByte('"')
	}
	if empty {
		w.b.WriteString("/>\n")
		return
	}
	w.b.WriteString(">\n")
	w.depth++
}

func (w *xw) close(name string) {
	w.depth--
	w.indent()
	w.b.WriteString("</" + name + ">\n")
}

// leaf writes <name attrs>text</name>, or <name attrs/> without text.
func (w *xw) leaf(name string, attrs []cluster.Attr, text string) {
	if text == "" {
		w.open(name, attrs, true)
		return
	}
	w.indent()
	w.b.WriteByte('<')
	w.b.WriteString(name)
	for _, a := range attrs {
		w.b.WriteString(" " + a.Name + `="` + escape(a.Value, true) + `"`)
	}
	w.b.WriteString(">" + escape(text, false) + "</" + name + ">\n")
}

func escape(s string, attr bool) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			if attr {
				b.WriteString("&quot;")
			} else {
				b.WriteRune(r)
			}
		case '\n', '\r', '\t':
			if attr {
				b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
			} else {
				b.WriteRune(r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// attrs collects name/value pairs, leaving out empty values.
func attrs(pairs ...string) []cluster.Attr {
	var out []cluster.Attr
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			out = append(out, cluster.Attr{Name: pairs[i], Value: pairs[i+1]})
		}
	}
	return out
}

func (w *xw) element(e cluster.Element) {
	if len(e.Children) == 0 {
		w.leaf(e.Name, e.Attrs, e.Text)
		return
	}
	w.open(e.Name, e.Attrs, false)
	if e.Text != "" {
		w.indent()
		w.b.WriteString(escape(e.Text, false) + "\n")
	}
	for _, c := range e.Children {
		w.element(c)
	}
	w.close(e.Name)
}

// ClusterConfXML writes c as a cluster.conf with <com_info> elements.
func ClusterConfXML(c *cluster.Cluster) []byte {
	w := &xw{}
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.open("cluster", append(attrs("name", c.Name, "config_version", c.ConfigVersion, "type", c.Type), c.Attrs...), false)
	for _, e := range c.Extra {
		w.element(e)
	}
	w.open("clusternodes", nil, false)
	for _, n := range c.Nodes {
		w.node(n)
	}
	w.close("clusternodes")
	if len(c.FenceDevices) > 0 {
		w.open("fencedevices", nil, false)
		for _, d := range c.FenceDevices {
			w.open("fencedevice", append(attrs("name", d.Name, "agent", d.Agent), d.Attrs...), true)
		}
		w.close("fencedevices")
	}
	if c.HasRM || len(c.FailoverDomains) > 0 || len(c.RMExtra) > 0 {
		w.open("rm", c.RMAttrs, false)
		if len(c.FailoverDomains) > 0 {
			w.open("failoverdomains", nil, false)
			for _, d := range c.FailoverDomains {
				a := append(attrs("name", d.Name), d.Attrs...)
				if len(d.Nodes) == 0 {
					w.open("failoverdomain", a, true)
					continue
				}
				w.open("failoverdomain", a, false)
				for _, m := range d.Nodes {
					w.open("failoverdomainnode", attrs("name", m.Name, "priority", m.Priority), true)
				}
				w.close("failoverdomain")
			}
			w.close("failoverdomains")
		}
		for _, e := range c.RMExtra {
			w.element(e)
		}
		w.close("rm")
	}
	w.close("cluster")
	return w.b.Bytes()
}

func (w *xw) node(n *cluster.Node) {
	id := ""
	if n.ID != 0 {
		id = strconv.Itoa(n.ID)
	}
	w.open("clusternode", append(attrs("name", n.Name, "nodeid", id, "votes", n.Votes), n.Attrs...), false)
	if n.HasComInfo {
		w.comInfo(n)
	}
	if len(n.Fence) > 0 {
		{
			w.open("fence", nil, false)
			for _, m := range n.Fence {
				a := append(attrs("name", m.Name), m.Attrs...)
				if len(m.Devices) == 0 {
					w.open("method", a, true)
					continue
				}
				w.open("method", a, false)
				for _, d := range m.Devices {
					w.open("device", append(attrs("name", d.Name), d.Attrs...), true)
				}
				w.close("method")
			}
			w.close("fence")
		}
	}
	for _, e := range n.Extra {
		w.element(e)
	}
	w.close("clusternode")
}

func (w *xw) comInfo(n *cluster.Node) {
	w.open("com_info", nil, false)
	if v := n.RootVolume; v != nil {
		w.open("rootvolume", attrs("name", v.Name, "fstype", v.FSType, "mountopts", v.MountOpts), true)
	}
	if n.RootSource != "" {
		w.open("rootsource", attrs("name", n.RootSource), true)
	}
	for _, nic := range n.NICs {
		w.nic(nic)
	}
	if s := n.Syslog; s != nil {
		w.open("syslog", attrs("name", s.Name, "level", s.Level, "subsys", s.Subsys, "type", s.Type, "filter", s.Filter), true)
	}
	if s := n.SCSI; s != nil {
		w.open("scsi", attrs("failover", s.Failover, "driver", s.Driver, "name", s.Name), true)
	}
	if e := n.ChrootEnv; e != nil {
		w.open("chrootenv", attrs("mountpoint", e.Mountpoint, "fstype", e.FSType, "device", e.Device, "chrootdir", e.ChrootDir, "mountopts", e.MountOpts), true)
	}
	if len(n.Filesystems) > 0 {
		w.open("filesystems", nil, false)
		for _, f := range n.Filesystems {
			w.open("filesystem", attrs("source", f.Source, "dest", f.Dest, "fstype", f.FSType, "mountopts", f.MountOpts, "mountwait", f.MountWait, "mounttimes", f.MountTimes), true)
		}
		w.close("filesystems")
	}
	if f := n.FenceAckServer; f != nil {
		a := attrs("port", f.Port, "user", f.User, "passwd", f.Passwd)
		if f.SSL == nil {
			w.open("fenceackserver", a, true)
		} else {
			w.open("fenceackserver", a, false)
			w.open("ssl", attrs("certfile", f.SSL.CertFile, "keyfile", f.SSL.KeyFile, "verifyfile", f.SSL.VerifyFile), true)
			w.close("fenceackserver")
		}
	}
	if n.Hostname != "" {
		w.open("hostname", attrs("name", n.Hostname), true)
	}
	for _, e := range n.ComInfoExtra {
		w.element(e)
	}
	w.close("com_info")
}

func (w *xw) nic(c cluster.NIC) {
	a := attrs("name", c.Name, "mac", c.MAC, "ip", c.IP, "mask", c.Mask, "gateway", c.Gateway,
		"master", c.Master, "slave", c.Slave, "type", c.Type, "bridge", c.Bridge, "onboot", c.OnBoot, "driver", c.Driver)
	if len(c.Properties) == 0 {
		w.open("eth", a, true)
		return
	}
	w.open("eth", a, false)
	w.open("properties", nil, false)
	for _, p := range c.Properties {
		if p.ValueAttr {
			w.open("property", []cluster.Attr{{Name: "name", Value: p.Name}, {Name: "value", Value: p.Value}}, true)
		} else {
			w.leaf("property", []cluster.Attr{{Name: "name", Value: p.Name}}, p.Value)
		}
	}
	w.close("properties")
	w.close("eth")
}
