// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/open-sharedroot/osr/framework/internal/hcldepth"
)

// ReadHCL reads osr's native HCL cluster file (see docs/cluster.md): one
// `cluster "NAME" { … }` block holding `node "NAME" { … }` blocks whose parts are
// named as in cluster.conf's <com_info>. Errors carry the file, the line and, for
// misspelt names, a suggestion.
func ReadHCL(file string, data []byte) (*Cluster, error) {
	f, diags := hcldepth.ParseConfig(data, file)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	r := &hclReader{file: file}
	content, d := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "cluster", LabelNames: []string{"name"}}}})
	r.diags = append(r.diags, d...)
	var c *Cluster
	for _, b := range content.Blocks {
		if c != nil {
			r.errorAt(b.DefRange, "Duplicate cluster block", "A cluster file describes one cluster; remove the second cluster block.")
			continue
		}
		c = r.cluster(b)
	}
	if c == nil && !r.diags.HasErrors() {
		return nil, fmt.Errorf("%s: no cluster block found; a cluster file starts with cluster \"NAME\" { … }", file)
	}
	if r.diags.HasErrors() {
		return nil, diagError(r.diags)
	}
	if errs := checkNames(c); len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return c, nil
}

type hclReader struct {
	file  string
	diags hcl.Diagnostics
}

func (r *hclReader) errorAt(rng hcl.Range, summary, detail string) {
	rr := rng
	r.diags = append(r.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &rr})
}

func (r *hclReader) pos(rng hcl.Range) Pos { return Pos{File: r.file, Line: rng.Start.Line} }

// section decodes a block body with string attributes, the ordered map attribute
// "attributes" when withAttrs is set, and the given nested blocks.
func (r *hclReader) section(body hcl.Body, strs map[string]*string, withAttrs bool, blocks ...hcl.BlockHeaderSchema) ([]Attr, hcl.Attributes, hcl.Blocks) {
	schema := &hcl.BodySchema{Blocks: blocks}
	for name := range strs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: name})
	}
	if withAttrs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: "attributes"})
	}
	return r.sectionSchema(body, schema, strs, withAttrs)
}

func (r *hclReader) sectionSchema(body hcl.Body, schema *hcl.BodySchema, strs map[string]*string, withAttrs bool) ([]Attr, hcl.Attributes, hcl.Blocks) {
	content, d := body.Content(schema)
	r.diags = append(r.diags, d...)
	for name, dst := range strs {
		if a, ok := content.Attributes[name]; ok {
			*dst = r.str(a)
		}
	}
	var attrs []Attr
	if a, ok := content.Attributes["attributes"]; ok && withAttrs {
		attrs = r.orderedMap(a)
	}
	return attrs, content.Attributes, content.Blocks
}

// str evaluates an attribute to a string; numbers and bools are written as text.
func (r *hclReader) str(a *hcl.Attribute) string {
	v, d := a.Expr.Value(nil)
	r.diags = append(r.diags, d...)
	if d.HasErrors() {
		return ""
	}
	return r.toString(v, a.Expr.Range(), a.Name)
}

func (r *hclReader) toString(v cty.Value, rng hcl.Range, name string) string {
	if v.IsNull() {
		return ""
	}
	if !v.IsKnown() || !v.Type().IsPrimitiveType() {
		r.errorAt(rng, "Incorrect value type", fmt.Sprintf("%s must be a string, a number or a bool.", name))
		return ""
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		r.errorAt(rng, "Incorrect value type", fmt.Sprintf("%s: %v", name, err))
		return ""
	}
	return s.AsString()
}

// orderedMap reads `NAME = { key = value, … }` keeping the order it was written in.
func (r *hclReader) orderedMap(a *hcl.Attribute) []Attr {
	pairs, d := hcl.ExprMap(a.Expr)
	if d.HasErrors() {
		r.errorAt(a.Expr.Range(), "Incorrect value type", fmt.Sprintf("%s must be an object such as { key = \"value\" }.", a.Name))
		return nil
	}
	var out []Attr
	for _, p := range pairs {
		k, kd := p.Key.Value(nil)
		r.diags = append(r.diags, kd...)
		v, vd := p.Value.Value(nil)
		r.diags = append(r.diags, vd...)
		if kd.HasErrors() || vd.HasErrors() {
			continue
		}
		out = append(out, Attr{Name: r.toString(k, p.Key.Range(), a.Name+" key"), Value: r.toString(v, p.Value.Range(), a.Name+" value")})
	}
	return out
}

func (r *hclReader) cluster(b *hcl.Block) *Cluster {
	c := &Cluster{Name: b.Labels[0], Format: FormatHCL, Pos: r.pos(b.DefRange)}
	attrs, _, blocks := r.section(b.Body, map[string]*string{"config_version": &c.ConfigVersion, "type": &c.Type}, true,
		hcl.BlockHeaderSchema{Type: "node", LabelNames: []string{"name"}},
		hcl.BlockHeaderSchema{Type: "fence_device", LabelNames: []string{"name"}},
		hcl.BlockHeaderSchema{Type: "failover_domain", LabelNames: []string{"name"}},
		hcl.BlockHeaderSchema{Type: "rm"},
		hcl.BlockHeaderSchema{Type: "extra", LabelNames: []string{"element"}},
	)
	c.Attrs = attrs
	for _, blk := range blocks {
		switch blk.Type {
		case "node":
			c.Nodes = append(c.Nodes, r.node(blk))
		case "fence_device":
			d := FenceDevice{Name: blk.Labels[0], Pos: r.pos(blk.DefRange)}
			d.Attrs, _, _ = r.section(blk.Body, map[string]*string{"agent": &d.Agent}, true)
			c.FenceDevices = append(c.FenceDevices, d)
		case "failover_domain":
			c.HasRM = true
			d := FailoverDomain{Name: blk.Labels[0], Pos: r.pos(blk.DefRange)}
			var members hcl.Blocks
			d.Attrs, _, members = r.section(blk.Body, nil, true, hcl.BlockHeaderSchema{Type: "member", LabelNames: []string{"name"}})
			for _, m := range members {
				fm := FailoverDomainNode{Name: m.Labels[0]}
				r.section(m.Body, map[string]*string{"priority": &fm.Priority}, false)
				d.Nodes = append(d.Nodes, fm)
			}
			c.FailoverDomains = append(c.FailoverDomains, d)
		case "rm":
			c.HasRM = true
			var extras hcl.Blocks
			c.RMAttrs, _, extras = r.section(blk.Body, nil, true, hcl.BlockHeaderSchema{Type: "extra", LabelNames: []string{"element"}})
			for _, e := range extras {
				c.RMExtra = append(c.RMExtra, r.extra(e))
			}
		case "extra":
			c.Extra = append(c.Extra, r.extra(blk))
		}
	}
	return c
}

func (r *hclReader) extra(b *hcl.Block) Element {
	e := Element{Name: b.Labels[0], Pos: r.pos(b.DefRange)}
	var children hcl.Blocks
	e.Attrs, _, children = r.section(b.Body, map[string]*string{"text": &e.Text}, true, hcl.BlockHeaderSchema{Type: "extra", LabelNames: []string{"element"}})
	for _, ch := range children {
		e.Children = append(e.Children, r.extra(ch))
	}
	return e
}

func (r *hclReader) node(b *hcl.Block) *Node {
	n := &Node{Name: b.Labels[0], Pos: r.pos(b.DefRange)}
	var id string
	attrs, raw, blocks := r.section(b.Body, map[string]*string{"id": &id, "votes": &n.Votes, "rootsource": &n.RootSource, "hostname": &n.Hostname}, true,
		hcl.BlockHeaderSchema{Type: "rootvolume"},
		hcl.BlockHeaderSchema{Type: "eth", LabelNames: []string{"name"}},
		hcl.BlockHeaderSchema{Type: "syslog"},
		hcl.BlockHeaderSchema{Type: "scsi"},
		hcl.BlockHeaderSchema{Type: "chrootenv"},
		hcl.BlockHeaderSchema{Type: "filesystem"},
		hcl.BlockHeaderSchema{Type: "fenceackserver"},
		hcl.BlockHeaderSchema{Type: "fence", LabelNames: []string{"method"}},
		hcl.BlockHeaderSchema{Type: "extra", LabelNames: []string{"element"}},
		hcl.BlockHeaderSchema{Type: "com_info_extra", LabelNames: []string{"element"}},
	)
	n.Attrs = attrs
	if id != "" {
		v, err := strconv.Atoi(strings.TrimSpace(id))
		if err != nil || v <= 0 {
			r.errorAt(raw["id"].Expr.Range(), "Invalid node id", fmt.Sprintf("node %q: id %q is not a positive number.", n.Name, id))
		}
		n.ID = v
	}
	_, n.HasComInfo = raw["rootsource"]
	if _, ok := raw["hostname"]; ok {
		n.HasComInfo = true
	}
	seen := map[string]hcl.Range{}
	for _, blk := range blocks {
		if first, dup := seen[blk.Type]; dup && blk.Type != "eth" && blk.Type != "filesystem" && blk.Type != "fence" && blk.Type != "extra" && blk.Type != "com_info_extra" {
			r.errorAt(blk.DefRange, "Duplicate "+blk.Type+" block", fmt.Sprintf("node %q already has a %s block at line %d; a node has at most one.", n.Name, blk.Type, first.Start.Line))
			continue
		}
		seen[blk.Type] = blk.DefRange
		if blk.Type != "fence" && blk.Type != "extra" {
			n.HasComInfo = true
		}
		r.nodePart(n, blk)
	}
	return n
}

func (r *hclReader) nodePart(n *Node, blk *hcl.Block) {
	switch blk.Type {
	case "rootvolume":
		v := &RootVolume{Pos: r.pos(blk.DefRange)}
		r.section(blk.Body, map[string]*string{"name": &v.Name, "fstype": &v.FSType, "mountopts": &v.MountOpts}, false)
		n.RootVolume = v
	case "eth":
		n.NICs = append(n.NICs, r.nic(blk))
	case "syslog":
		s := &Syslog{}
		r.section(blk.Body, map[string]*string{"name": &s.Name, "level": &s.Level, "subsys": &s.Subsys, "type": &s.Type, "filter": &s.Filter}, false)
		n.Syslog = s
	case "scsi":
		s := &SCSI{}
		r.section(blk.Body, map[string]*string{"failover": &s.Failover, "driver": &s.Driver, "name": &s.Name}, false)
		n.SCSI = s
	case "chrootenv":
		e := &ChrootEnv{}
		r.section(blk.Body, map[string]*string{"mountpoint": &e.Mountpoint, "fstype": &e.FSType, "device": &e.Device, "chrootdir": &e.ChrootDir, "mountopts": &e.MountOpts}, false)
		n.ChrootEnv = e
	case "filesystem":
		f := Filesystem{Pos: r.pos(blk.DefRange)}
		r.section(blk.Body, map[string]*string{"source": &f.Source, "dest": &f.Dest, "fstype": &f.FSType, "mountopts": &f.MountOpts, "mountwait": &f.MountWait, "mounttimes": &f.MountTimes}, false)
		n.Filesystems = append(n.Filesystems, f)
	case "fenceackserver":
		f := &FenceAckServer{}
		_, _, ssl := r.section(blk.Body, map[string]*string{"port": &f.Port, "user": &f.User, "passwd": &f.Passwd}, false, hcl.BlockHeaderSchema{Type: "ssl"})
		for i, s := range ssl {
			if i > 0 {
				r.errorAt(s.DefRange, "Duplicate ssl block", "fenceackserver has at most one ssl block.")
				continue
			}
			f.SSL = &SSL{}
			r.section(s.Body, map[string]*string{"certfile": &f.SSL.CertFile, "keyfile": &f.SSL.KeyFile, "verifyfile": &f.SSL.VerifyFile}, false)
		}
		n.FenceAckServer = f
	case "fence":
		m := FenceMethod{Name: blk.Labels[0], Pos: r.pos(blk.DefRange)}
		var devs hcl.Blocks
		m.Attrs, _, devs = r.section(blk.Body, nil, true, hcl.BlockHeaderSchema{Type: "device", LabelNames: []string{"name"}})
		for _, d := range devs {
			ref := FenceDeviceRef{Name: d.Labels[0], Pos: r.pos(d.DefRange)}
			ref.Attrs, _, _ = r.section(d.Body, nil, true)
			m.Devices = append(m.Devices, ref)
		}
		n.Fence = append(n.Fence, m)
	case "extra":
		n.Extra = append(n.Extra, r.extra(blk))
	case "com_info_extra":
		n.ComInfoExtra = append(n.ComInfoExtra, r.extra(blk))
	}
}

func (r *hclReader) nic(blk *hcl.Block) NIC {
	c := NIC{Name: blk.Labels[0], Pos: r.pos(blk.DefRange)}
	strs := map[string]*string{
		"mac": &c.MAC, "ip": &c.IP, "mask": &c.Mask, "gateway": &c.Gateway, "master": &c.Master,
		"slave": &c.Slave, "type": &c.Type, "bridge": &c.Bridge, "onboot": &c.OnBoot, "driver": &c.Driver,
	}
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "properties"}}}
	for name := range strs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: name})
	}
	_, raw, _ := r.sectionSchema(blk.Body, schema, strs, false)
	if a, ok := raw["properties"]; ok {
		for _, p := range r.orderedMap(a) {
			c.Properties = append(c.Properties, Property{Name: p.Name, Value: p.Value})
		}
	}
	return c
}

// diagError renders HCL diagnostics as "file:line: summary; detail" lines.
func diagError(diags hcl.Diagnostics) error {
	var errs []error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		where := "<input>"
		if d.Subject != nil {
			where = fmt.Sprintf("%s:%d", d.Subject.Filename, d.Subject.Start.Line)
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += "; " + d.Detail
		}
		errs = append(errs, fmt.Errorf("%s: %s", where, msg))
	}
	return joinErrors(errs)
}
