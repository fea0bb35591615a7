// SPDX-License-Identifier: Apache-2.0

package render

import (
	"strconv"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// HCLFile writes c as osr's native HCL cluster file.
func HCLFile(c *cluster.Cluster) []byte {
	f := hclwrite.NewEmptyFile()
	cb := f.Body().AppendNewBlock("cluster", []string{c.Name}).Body()
	setStrings(cb, "config_version", c.ConfigVersion, "type", c.Type)
	setMap(cb, "attributes", c.Attrs)
	for _, e := range c.Extra {
		cb.AppendNewline()
		extra(cb, "extra", e)
	}
	for _, n := range c.Nodes {
		cb.AppendNewline()
		hclNode(cb, n)
	}
	for _, d := range c.FenceDevices {
		cb.AppendNewline()
		b := cb.AppendNewBlock("fence_device", []string{d.Name}).Body()
		setStrings(b, "agent", d.Agent)
		setMap(b, "attributes", d.Attrs)
	}
	for _, d := range c.FailoverDomains {
		cb.AppendNewline()
		b := cb.AppendNewBlock("failover_domain", []string{d.Name}).Body()
		setMap(b, "attributes", d.Attrs)
		for _, m := range d.Nodes {
			mb := b.AppendNewBlock("member", []string{m.Name}).Body()
			setNumberish(mb, "priority", m.Priority)
		}
	}
	if len(c.RMAttrs) > 0 || len(c.RMExtra) > 0 || (c.HasRM && len(c.FailoverDomains) == 0) {
		cb.AppendNewline()
		b := cb.AppendNewBlock("rm", nil).Body()
		setMap(b, "attributes", c.RMAttrs)
		for _, e := range c.RMExtra {
			extra(b, "extra", e)
		}
	}
	return hclwrite.Format(f.Bytes())
}

func hclNode(parent *hclwrite.Body, n *cluster.Node) {
	b := parent.AppendNewBlock("node", []string{n.Name}).Body()
	if n.ID != 0 {
		b.SetAttributeValue("id", cty.NumberIntVal(int64(n.ID)))
	}
	setNumberish(b, "votes", n.Votes)
	setMap(b, "attributes", n.Attrs)
	setStrings(b, "rootsource", n.RootSource, "hostname", n.Hostname)
	if v := n.RootVolume; v != nil {
		setStrings(b.AppendNewBlock("rootvolume", nil).Body(), "name", v.Name, "fstype", v.FSType, "mountopts", v.MountOpts)
	}
	for _, nic := range n.NICs {
		eb := b.AppendNewBlock("eth", []string{nic.Name}).Body()
		setStrings(eb, "mac", nic.MAC, "ip", nic.IP, "mask", nic.Mask, "gateway", nic.Gateway, "master", nic.Master,
			"slave", nic.Slave, "type", nic.Type, "bridge", nic.Bridge, "onboot", nic.OnBoot, "driver", nic.Driver)
		props := make([]cluster.Attr, len(nic.Properties))
		for i, p := range nic.Properties {
			props[i] = cluster.Attr{Name: p.Name, Value: p.Value}
		}
		setMap(eb, "properties", props)
	}
	if s := n.Syslog; s != nil {
		setStrings(b.AppendNewBlock("syslog", nil).Body(), "name", s.Name, "level", s.Level, "subsys", s.Subsys, "type", s.Type, "filter", s.Filter)
	}
	if s := n.SCSI; s != nil {
		setStrings(b.AppendNewBlock("scsi", nil).Body(), "failover", s.Failover, "driver", s.Driver, "name", s.Name)
	}
	if e := n.ChrootEnv; e != nil {
		setStrings(b.AppendNewBlock("chrootenv", nil).Body(), "mountpoint", e.Mountpoint, "fstype", e.FSType, "device", e.Device, "chrootdir", e.ChrootDir, "mountopts", e.MountOpts)
	}
	for _, f := range n.Filesystems {
		setStrings(b.AppendNewBlock("filesystem", nil).Body(), "source", f.Source, "dest", f.Dest, "fstype", f.FSType, "mountopts", f.MountOpts, "mountwait", f.MountWait, "mounttimes", f.MountTimes)
	}
	if f := n.FenceAckServer; f != nil {
		fb := b.AppendNewBlock("fenceackserver", nil).Body()
		setStrings(fb, "port", f.Port, "user", f.User, "passwd", f.Passwd)
		if f.SSL != nil {
			setStrings(fb.AppendNewBlock("ssl", nil).Body(), "certfile", f.SSL.CertFile, "keyfile", f.SSL.KeyFile, "verifyfile", f.SSL.VerifyFile)
		}
	}
	for _, e := range n.ComInfoExtra {
		extra(b, "com_info_extra", e)
	}
	for _, m := range n.Fence {
		mb := b.AppendNewBlock("fence", []string{m.Name}).Body()
		setMap(mb, "attributes", m.Attrs)
		for _, d := range m.Devices {
			setMap(mb.AppendNewBlock("device", []string{d.Name}).Body(), "attributes", d.Attrs)
		}
	}
	for _, e := range n.Extra {
		extra(b, "extra", e)
	}
}

func extra(parent *hclwrite.Body, blockType string, e cluster.Element) {
	b := parent.AppendNewBlock(blockType, []string{e.Name}).Body()
	setMap(b, "attributes", e.Attrs)
	setStrings(b, "text", e.Text)
	for _, c := range e.Children {
		extra(b, "extra", c)
	}
}

// setStrings sets name/value pairs, leaving out empty values.
func setStrings(b *hclwrite.Body, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			b.SetAttributeValue(pairs[i], cty.StringVal(pairs[i+1]))
		}
	}
}

// setNumberish writes a value that is normally a number as a number when it is one in
// canonical spelling, and as a string otherwise, so it reads back exactly.
func setNumberish(b *hclwrite.Body, name, v string) {
	if v == "" {
		return
	}
	if i, err := strconv.Atoi(v); err == nil && strconv.Itoa(i) == v {
		b.SetAttributeValue(name, cty.NumberIntVal(int64(i)))
		return
	}
	b.SetAttributeValue(name, cty.StringVal(v))
}

// setMap writes an ordered map as an object constructor, keys in the given order.
func setMap(b *hclwrite.Body, name string, attrs []cluster.Attr) {
	if len(attrs) == 0 {
		return
	}
	items := make([]hclwrite.ObjectAttrTokens, len(attrs))
	for i, a := range attrs {
		key := hclwrite.TokensForValue(cty.StringVal(a.Name))
		if hclsyntax.ValidIdentifier(a.Name) {
			key = hclwrite.TokensForIdentifier(a.Name)
		}
		items[i] = hclwrite.ObjectAttrTokens{Name: key, Value: hclwrite.TokensForValue(cty.StringVal(a.Value))}
	}
	b.SetAttributeRaw(name, hclwrite.TokensForObject(items))
}
