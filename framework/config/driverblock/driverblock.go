// SPDX-License-Identifier: Apache-2.0

// Package driverblock decodes a driver "<name>" { … } block of osr.hcl against the
// schema the driver reports, and ties the driver's diagnostics to the block's
// source. It is apart from package config so that reading osr.hcl does not link
// the driver protocol.
package driverblock

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/config"
	"github.com/open-sharedroot/osr/framework/driver"
)

// reservedAttributes are attributes of a driver block that osr itself handles.
var reservedAttributes = []string{"path"}

// Spec turns a driver's schema into an hcldec spec; absent attributes take the
// schema's defaults.
func Spec(s driver.Schema) hcldec.ObjectSpec {
	spec := hcldec.ObjectSpec{}
	for _, a := range s.Attributes {
		var as hcldec.Spec = &hcldec.AttrSpec{Name: a.Name, Type: a.Type, Required: a.Required}
		def := a.Default
		if def == cty.NilVal {
			def = cty.NullVal(a.Type)
		}
		if !a.Required {
			as = &hcldec.DefaultSpec{Primary: as, Default: &hcldec.LiteralSpec{Value: def}}
		}
		spec[a.Name] = as
	}
	for _, b := range s.Blocks {
		inner := Spec(b.Schema)
		switch b.Nesting {
		case driver.NestingList:
			spec[b.TypeName] = &hcldec.BlockListSpec{TypeName: b.TypeName, Nested: inner}
		case driver.NestingMap:
			spec[b.TypeName] = &hcldec.BlockMapSpec{TypeName: b.TypeName, LabelNames: []string{"name"}, Nested: inner}
		default:
			spec[b.TypeName] = &hcldec.BlockSpec{TypeName: b.TypeName, Nested: inner}
		}
	}
	return spec
}

// Decode decodes a driver block against the schema its driver reported. A nil block
// (the driver is not configured) decodes to the defaults. Unknown attributes, wrong
// types and values outside an attribute's allowed list are diagnostics pointing at
// the block's lines.
func Decode(b *config.DriverBlock, s driver.Schema) (driver.Config, hcl.Diagnostics) {
	if b == nil {
		cfg, err := driver.DefaultConfig(s)
		if err != nil {
			return cfg, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Driver defaults are invalid", Detail: err.Error()}}
		}
		return cfg, nil
	}
	spec := Spec(s)
	val, diags := hcldec.Decode(b.Body, spec, nil)
	for _, d := range diags {
		if d.Summary == "Unsupported argument" || d.Summary == "Unsupported block type" {
			d.Detail = strings.TrimSpace(d.Detail + " " + validNames(b.Name, s))
		}
	}
	if diags.HasErrors() {
		return driver.Config{}, diags
	}
	for _, a := range s.Attributes {
		if len(a.Allowed) == 0 {
			continue
		}
		v := val.GetAttr(a.Name)
		if v.IsNull() || !v.IsKnown() || slices.Contains(a.Allowed, v.AsString()) {
			continue
		}
		rng := hcldec.SourceRange(b.Body, spec[a.Name])
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value",
			Detail:   fmt.Sprintf("%s in driver %q must be one of %s, not %q.", a.Name, b.Name, quoteList(a.Allowed), v.AsString()),
			Subject:  &rng,
		})
	}
	return driver.Config{Value: val}, diags
}

// Diagnostics turns a driver's diagnostics into HCL diagnostics that point at the
// attribute they name (or at the block when they name none).
func Diagnostics(b *config.DriverBlock, s driver.Schema, ds driver.Diagnostics, driverName string) hcl.Diagnostics {
	var out hcl.Diagnostics
	spec := Spec(s)
	for _, d := range ds {
		sev := hcl.DiagError
		if d.Severity == driver.Warning {
			sev = hcl.DiagWarning
		}
		hd := &hcl.Diagnostic{Severity: sev, Summary: d.Summary, Detail: d.Detail}
		if hd.Detail == "" {
			hd.Detail = fmt.Sprintf("Reported by the %s driver.", driverName)
		}
		if b != nil {
			rng := b.DefRange
			if len(d.Path) > 0 {
				if sp, ok := spec[d.Path[0]]; ok {
					if r := hcldec.SourceRange(b.Body, sp); r.Filename != "" && !isEmptyRange(r) {
						rng = r
					}
				}
			}
			hd.Subject = &rng
		} else if len(d.Path) > 0 {
			hd.Detail += fmt.Sprintf(" (attribute %s, at its default; set it in driver %q { … })", strings.Join(d.Path, "."), driverName)
		}
		out = append(out, hd)
	}
	return out
}

func isEmptyRange(r hcl.Range) bool { return r.Start.Byte == r.End.Byte && r.Start.Line == 0 }

func validNames(driverName string, s driver.Schema) string {
	var names []string
	for _, a := range s.Attributes {
		names = append(names, a.Name)
	}
	for _, b := range s.Blocks {
		names = append(names, b.TypeName+" {}")
	}
	names = append(names, reservedAttributes...)
	sort.Strings(names)
	return fmt.Sprintf("Valid names in driver %q: %s.", driverName, strings.Join(names, ", "))
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
