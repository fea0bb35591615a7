// SPDX-License-Identifier: Apache-2.0

package render

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/apparentlymart/go-textseg/v15/textseg"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"golang.org/x/text/unicode/norm"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// HCLFile writes c as osr's native HCL cluster file.
func HCLFile(c *cluster.Cluster) []byte {
	w := &hclWriter{}
	w.open("cluster", c.Name)
	w.strings("config_version", c.ConfigVersion, "type", c.Type)
	w.object("attributes", c.Attrs)
	for _, e := range c.Extra {
		w.blank()
		w.extra("extra", e)
	}
	for _, n := range c.Nodes {
		w.blank()
		w.node(n)
	}
	for _, d := range c.FenceDevices {
		w.blank()
		w.open("fence_device", d.Name)
		w.strings("agent", d.Agent)
		w.object("attributes", d.Attrs)
		w.close()
	}
	for _, d := range c.FailoverDomains {
		w.blank()
		w.open("failover_domain", d.Name)
		w.object("attributes", d.Attrs)
		for _, m := range d.Nodes {
			w.open("member", m.Name)
			w.numberish("priority", m.Priority)
			w.close()
		}
		w.close()
	}
	if len(c.RMAttrs) > 0 || len(c.RMExtra) > 0 || (c.HasRM && len(c.FailoverDomains) == 0) {
		w.blank()
		w.open("rm")
		w.object("attributes", c.RMAttrs)
		for _, e := range c.RMExtra {
			w.extra("extra", e)
		}
		w.close()
	}
	w.close()
	return w.buf.Bytes()
}

func (w *hclWriter) node(n *cluster.Node) {
	w.open("node", n.Name)
	if n.ID != 0 {
		w.attr("id", strconv.Itoa(n.ID))
	}
	w.numberish("votes", n.Votes)
	w.object("attributes", n.Attrs)
	w.strings("rootsource", n.RootSource, "hostname", n.Hostname)
	if v := n.RootVolume; v != nil {
		w.block("rootvolume", "name", v.Name, "fstype", v.FSType, "mountopts", v.MountOpts)
	}
	for _, nic := range n.NICs {
		w.open("eth", nic.Name)
		w.strings("mac", nic.MAC, "ip", nic.IP, "mask", nic.Mask, "gateway", nic.Gateway, "master", nic.Master,
			"slave", nic.Slave, "type", nic.Type, "bridge", nic.Bridge, "onboot", nic.OnBoot, "driver", nic.Driver)
		props := make([]cluster.Attr, len(nic.Properties))
		for i, p := range nic.Properties {
			props[i] = cluster.Attr{Name: p.Name, Value: p.Value}
		}
		w.object("properties", props)
		w.close()
	}
	if s := n.Syslog; s != nil {
		w.block("syslog", "name", s.Name, "level", s.Level, "subsys", s.Subsys, "type", s.Type, "filter", s.Filter)
	}
	if s := n.SCSI; s != nil {
		w.block("scsi", "failover", s.Failover, "driver", s.Driver, "name", s.Name)
	}
	if e := n.ChrootEnv; e != nil {
		w.block("chrootenv", "mountpoint", e.Mountpoint, "fstype", e.FSType, "device", e.Device, "chrootdir", e.ChrootDir, "mountopts", e.MountOpts)
	}
	for _, f := range n.Filesystems {
		w.block("filesystem", "source", f.Source, "dest", f.Dest, "fstype", f.FSType, "mountopts", f.MountOpts, "mountwait", f.MountWait, "mounttimes", f.MountTimes)
	}
	if f := n.FenceAckServer; f != nil {
		w.open("fenceackserver")
		w.strings("port", f.Port, "user", f.User, "passwd", f.Passwd)
		if f.SSL != nil {
			w.block("ssl", "certfile", f.SSL.CertFile, "keyfile", f.SSL.KeyFile, "verifyfile", f.SSL.VerifyFile)
		}
		w.close()
	}
	for _, e := range n.ComInfoExtra {
		w.extra("com_info_extra", e)
	}
	for _, m := range n.Fence {
		w.open("fence", m.Name)
		w.object("attributes", m.Attrs)
		for _, d := range m.Devices {
			w.open("device", d.Name)
			w.object("attributes", d.Attrs)
			w.close()
		}
		w.close()
	}
	for _, e := range n.Extra {
		w.extra("extra", e)
	}
	w.close()
}

func (w *hclWriter) extra(blockType string, e cluster.Element) {
	w.open(blockType, e.Name)
	w.object("attributes", e.Attrs)
	w.strings("text", e.Text)
	for _, c := range e.Children {
		w.extra("extra", c)
	}
	w.close()
}

// hclWriter writes HCL laid out as hclwrite.Format (and terraform fmt) lay it
// out: two spaces a level, and the equals signs of one-line attributes that
// follow each other aligned. The tests hold its output to hclwrite's.
type hclWriter struct {
	buf   bytes.Buffer
	depth int
	// run are the one-line attributes not yet written: their equals signs
	// line up when the run ends.
	run []hclAttr
}

type hclAttr struct{ name, value string }

// line writes one line at the current depth.
func (w *hclWriter) line(s string) {
	w.buf.WriteString(strings.Repeat("  ", w.depth))
	w.buf.WriteString(s)
	w.buf.WriteByte('\n')
}

// flush writes the run of one-line attributes, aligned.
func (w *hclWriter) flush() {
	width := 0
	for _, a := range w.run {
		width = max(width, columns(a.name))
	}
	for _, a := range w.run {
		w.line(a.name + strings.Repeat(" ", width-columns(a.name)) + " = " + a.value)
	}
	w.run = w.run[:0]
}

// attr adds a one-line attribute whose value is already HCL.
func (w *hclWriter) attr(name, value string) { w.run = append(w.run, hclAttr{name, value}) }

// blank writes an empty line.
func (w *hclWriter) blank() {
	w.flush()
	w.buf.WriteByte('\n')
}

// open starts a block with quoted labels; close ends it.
func (w *hclWriter) open(blockType string, labels ...string) {
	w.flush()
	var b strings.Builder
	b.WriteString(blockType)
	for _, l := range labels {
		b.WriteString(" " + quote(l))
	}
	w.line(b.String() + " {")
	w.depth++
}

func (w *hclWriter) close() {
	w.flush()
	w.depth--
	w.line("}")
}

// block writes a block without labels holding the string pairs.
func (w *hclWriter) block(blockType string, pairs ...string) {
	w.open(blockType)
	w.strings(pairs...)
	w.close()
}

// strings adds name/value pairs as strings, leaving out empty values.
func (w *hclWriter) strings(pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			w.attr(pairs[i], quote(pairs[i+1]))
		}
	}
}

// numberish writes a value that is normally a number as a number when it is one in
// canonical spelling, and as a string otherwise, so it reads back exactly.
func (w *hclWriter) numberish(name, v string) {
	if v == "" {
		return
	}
	if i, err := strconv.Atoi(v); err == nil && strconv.Itoa(i) == v {
		w.attr(name, v)
		return
	}
	w.attr(name, quote(v))
}

// object writes an ordered map as an object constructor, keys in the given
// order: a key that is an identifier bare, any other quoted.
func (w *hclWriter) object(name string, attrs []cluster.Attr) {
	if len(attrs) == 0 {
		return
	}
	w.flush()
	w.line(name + " = {")
	w.depth++
	for _, a := range attrs {
		key := quote(a.Name)
		if hclsyntax.ValidIdentifier(a.Name) {
			key = a.Name
		}
		w.attr(key, quote(a.Value))
	}
	w.flush()
	w.depth--
	w.line("}")
}

// quote is s as an HCL quoted string, in Unicode normal form C as HCL keeps
// strings: escapes for quotes, backslashes and control characters, and "$${"
// and "%%{" for the template introducers.
func quote(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '$', '%':
			b.WriteRune(r)
			if strings.HasPrefix(s[i+1:], "{") {
				b.WriteRune(r)
			}
		default:
			switch {
			case unicode.IsPrint(r):
				b.WriteRune(r)
			case r < 0x10000:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// columns is how many columns an attribute's name takes, counted as
// hclwrite counts them to align: the grapheme clusters of each of its HCL
// tokens (a quoted name is several: the quotes, and its text split at "$"
// and "%").
func columns(name string) int {
	if !strings.HasPrefix(name, `"`) {
		return graphemes([]byte(name))
	}
	toks, _ := hclsyntax.LexExpression([]byte(name), "", hcl.InitialPos)
	n := 0
	for _, t := range toks {
		n += graphemes(t.Bytes)
	}
	return n
}

func graphemes(b []byte) int {
	n, err := textseg.TokenCount(b, textseg.ScanGraphemeClusters)
	if err != nil {
		return len(b)
	}
	return n
}
