// SPDX-License-Identifier: Apache-2.0

package render

// The HCL writer as it was made with hclwrite: the tests check HCLFile against it.

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// hclwriteFile is HCLFile made with hclwrite and hclwrite.Format.
func hclwriteFile(c *cluster.Cluster) []byte {
	f := hclwrite.NewEmptyFile()
	cb := f.Body().AppendNewBlock("cluster", []string{c.Name}).Body()
	hclwriteStrings(cb, "config_version", c.ConfigVersion, "type", c.Type)
	hclwriteMap(cb, "attributes", c.Attrs)
	for _, e := range c.Extra {
		cb.AppendNewline()
		hclwriteExtra(cb, "extra", e)
	}
	for _, n := range c.Nodes {
		cb.AppendNewline()
		hclwriteNode(cb, n)
	}
	for _, d := range c.FenceDevices {
		cb.AppendNewline()
		b := cb.AppendNewBlock("fence_device", []string{d.Name}).Body()
		hclwriteStrings(b, "agent", d.Agent)
		hclwriteMap(b, "attributes", d.Attrs)
	}
	for _, d := range c.FailoverDomains {
		cb.AppendNewline()
		b := cb.AppendNewBlock("failover_domain", []string{d.Name}).Body()
		hclwriteMap(b, "attributes", d.Attrs)
		for _, m := range d.Nodes {
			mb := b.AppendNewBlock("member", []string{m.Name}).Body()
			hclwriteNumberish(mb, "priority", m.Priority)
		}
	}
	if len(c.RMAttrs) > 0 || len(c.RMExtra) > 0 || (c.HasRM && len(c.FailoverDomains) == 0) {
		cb.AppendNewline()
		b := cb.AppendNewBlock("rm", nil).Body()
		hclwriteMap(b, "attributes", c.RMAttrs)
		for _, e := range c.RMExtra {
			hclwriteExtra(b, "extra", e)
		}
	}
	return hclwrite.Format(f.Bytes())
}

func hclwriteNode(parent *hclwrite.Body, n *cluster.Node) {
	b := parent.AppendNewBlock("node", []string{n.Name}).Body()
	if n.ID != 0 {
		b.SetAttributeValue("id", cty.NumberIntVal(int64(n.ID)))
	}
	hclwriteNumberish(b, "votes", n.Votes)
	hclwriteMap(b, "attributes", n.Attrs)
	hclwriteStrings(b, "rootsource", n.RootSource, "hostname", n.Hostname)
	if v := n.RootVolume; v != nil {
		hclwriteStrings(b.AppendNewBlock("rootvolume", nil).Body(), "name", v.Name, "fstype", v.FSType, "mountopts", v.MountOpts)
	}
	for _, nic := range n.NICs {
		eb := b.AppendNewBlock("eth", []string{nic.Name}).Body()
		hclwriteStrings(eb, "mac", nic.MAC, "ip", nic.IP, "mask", nic.Mask, "gateway", nic.Gateway, "master", nic.Master,
			"slave", nic.Slave, "type", nic.Type, "bridge", nic.Bridge, "onboot", nic.OnBoot, "driver", nic.Driver)
		props := make([]cluster.Attr, len(nic.Properties))
		for i, p := range nic.Properties {
			props[i] = cluster.Attr{Name: p.Name, Value: p.Value}
		}
		hclwriteMap(eb, "properties", props)
	}
	if s := n.Syslog; s != nil {
		hclwriteStrings(b.AppendNewBlock("syslog", nil).Body(), "name", s.Name, "level", s.Level, "subsys", s.Subsys, "type", s.Type, "filter", s.Filter)
	}
	if s := n.SCSI; s != nil {
		hclwriteStrings(b.AppendNewBlock("scsi", nil).Body(), "failover", s.Failover, "driver", s.Driver, "name", s.Name)
	}
	if e := n.ChrootEnv; e != nil {
		hclwriteStrings(b.AppendNewBlock("chrootenv", nil).Body(), "mountpoint", e.Mountpoint, "fstype", e.FSType, "device", e.Device, "chrootdir", e.ChrootDir, "mountopts", e.MountOpts)
	}
	for _, f := range n.Filesystems {
		hclwriteStrings(b.AppendNewBlock("filesystem", nil).Body(), "source", f.Source, "dest", f.Dest, "fstype", f.FSType, "mountopts", f.MountOpts, "mountwait", f.MountWait, "mounttimes", f.MountTimes)
	}
	if f := n.FenceAckServer; f != nil {
		fb := b.AppendNewBlock("fenceackserver", nil).Body()
		hclwriteStrings(fb, "port", f.Port, "user", f.User, "passwd", f.Passwd)
		if f.SSL != nil {
			hclwriteStrings(fb.AppendNewBlock("ssl", nil).Body(), "certfile", f.SSL.CertFile, "keyfile", f.SSL.KeyFile, "verifyfile", f.SSL.VerifyFile)
		}
	}
	for _, e := range n.ComInfoExtra {
		hclwriteExtra(b, "com_info_extra", e)
	}
	for _, m := range n.Fence {
		mb := b.AppendNewBlock("fence", []string{m.Name}).Body()
		hclwriteMap(mb, "attributes", m.Attrs)
		for _, d := range m.Devices {
			hclwriteMap(mb.AppendNewBlock("device", []string{d.Name}).Body(), "attributes", d.Attrs)
		}
	}
	for _, e := range n.Extra {
		hclwriteExtra(b, "extra", e)
	}
}

func hclwriteExtra(parent *hclwrite.Body, blockType string, e cluster.Element) {
	b := parent.AppendNewBlock(blockType, []string{e.Name}).Body()
	hclwriteMap(b, "attributes", e.Attrs)
	hclwriteStrings(b, "text", e.Text)
	for _, c := range e.Children {
		hclwriteExtra(b, "extra", c)
	}
}

// hclwriteStrings sets name/value pairs, leaving out empty values.
func hclwriteStrings(b *hclwrite.Body, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			b.SetAttributeValue(pairs[i], cty.StringVal(pairs[i+1]))
		}
	}
}

// hclwriteNumberish writes a value that is normally a number as a number when it is one in
// canonical spelling, and as a string otherwise, so it reads back exactly.
func hclwriteNumberish(b *hclwrite.Body, name, v string) {
	if v == "" {
		return
	}
	if i, err := strconv.Atoi(v); err == nil && strconv.Itoa(i) == v {
		b.SetAttributeValue(name, cty.NumberIntVal(int64(i)))
		return
	}
	b.SetAttributeValue(name, cty.StringVal(v))
}

// hclwriteMap writes an ordered map as an object constructor, keys in the given order.
func hclwriteMap(b *hclwrite.Body, name string, attrs []cluster.Attr) {
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

// TestHCLFileAsHCLWrite: HCLFile writes, byte for byte, what hclwrite and
// hclwrite.Format write for the same cluster.
func TestHCLFileAsHCLWrite(t *testing.T) {
	odd := &cluster.Cluster{
		Name: `odd "name" ${x}`, ConfigVersion: "-3", Type: "gfs",
		Attrs: []cluster.Attr{{Name: "a", Value: "1"}, {Name: "with space", Value: "%{y} $ % $x"}, {Name: "größe", Value: "ü\u0301"}, {Name: "e\u0301", Value: "x"}},
		Extra: []cluster.Element{{Name: "cman", Text: "line\r\nnext\ttab \x01 \u2028 \U0001F600 \xff", Children: []cluster.Element{{Name: "inner"}}}},
		Nodes: []*cluster.Node{
			{ID: -2, Name: "n1", Votes: "01", Hostname: "h", RootVolume: &cluster.RootVolume{}, Syslog: &cluster.Syslog{Name: "s"},
				NICs:           []cluster.NIC{{Name: "eth0", MAC: "m", Properties: []cluster.Property{{Name: "K", Value: "v"}}}, {Name: "eth1"}},
				FenceAckServer: &cluster.FenceAckServer{Port: "12242", SSL: &cluster.SSL{CertFile: "c"}},
				Fence:          []cluster.FenceMethod{{Name: "1", Devices: []cluster.FenceDeviceRef{{Name: "d", Attrs: []cluster.Attr{{Name: "port", Value: "2"}}}}}},
				ComInfoExtra:   []cluster.Element{{Name: "x", Attrs: []cluster.Attr{{Name: "1abc", Value: ""}}}},
			},
			{Name: "n2", Votes: "7"},
		},
		FenceDevices:    []cluster.FenceDevice{{Name: "d", Agent: "fence_ipmilan"}},
		FailoverDomains: []cluster.FailoverDomain{{Name: "fd", Nodes: []cluster.FailoverDomainNode{{Name: "n1", Priority: "1"}, {Name: "n2", Priority: "x"}}}},
		RMExtra:         []cluster.Element{{Name: "resources"}},
	}
	cases := map[string]*cluster.Cluster{
		"odd":     odd,
		"empty":   {},
		"rm only": {Name: "c", HasRM: true},
	}
	for _, in := range []string{"large.conf", "two-node.hcl", "seed-example.conf"} {
		cases[in] = load(t, in)
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, want := string(HCLFile(c)), string(hclwriteFile(c))
			if got != want {
				t.Errorf("HCLFile differs from hclwrite's (-hclwrite +HCLFile):\n%s", cmp.Diff(want, got))
			}
		})
	}
}

// FuzzHCLFile: for any names and values, HCLFile writes what hclwrite writes.
func FuzzHCLFile(f *testing.F) {
	f.Add("c", "k", "v", "1", "eth0")
	f.Add(`q"${x}`, "with space", "%{y}\n\t\\", "-0", "e\u0301")
	f.Add("", "größe", "\x00\u2028\U0001F600\xff", "012", "$")
	f.Fuzz(func(t *testing.T, name, key, value, number, label string) {
		c := &cluster.Cluster{
			Name: name, ConfigVersion: number, Type: value,
			Attrs: []cluster.Attr{{Name: key, Value: value}, {Name: value, Value: key}, {Name: label, Value: name}},
			Nodes: []*cluster.Node{{Name: label, Votes: number, Hostname: value,
				NICs:  []cluster.NIC{{Name: key, MAC: value, Properties: []cluster.Property{{Name: key, Value: value}}}},
				Fence: []cluster.FenceMethod{{Name: number, Devices: []cluster.FenceDeviceRef{{Name: name, Attrs: []cluster.Attr{{Name: label, Value: number}}}}}},
			}},
			FailoverDomains: []cluster.FailoverDomain{{Name: key, Nodes: []cluster.FailoverDomainNode{{Name: label, Priority: number}}}},
			RMExtra:         []cluster.Element{{Name: value, Text: name, Attrs: []cluster.Attr{{Name: number, Value: label}}}},
		}
		if got, want := string(HCLFile(c)), string(hclwriteFile(c)); got != want {
			t.Errorf("HCLFile differs from hclwrite's (-hclwrite +HCLFile):\n%s", cmp.Diff(want, got))
		}
	})
}
