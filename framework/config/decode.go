// SPDX-License-Identifier: Apache-2.0

package config

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// The decoding of one file into the file struct, as gohcl.DecodeBody decodes
// it by the structs' hcl tags (the same schema, values and diagnostics; a test
// holds the two equal). gohcl is not used because it links hclwrite, and with
// it go-cmp, whose package init every program reading osr.hcl would pay at
// each start.

// decodeFile decodes a file's body into f.
func decodeFile(body hcl.Body, f *file) hcl.Diagnostics {
	attrs := map[string]any{
		"driver_dirs":    &f.DriverDirs,
		"listfile_dirs":  &f.ListfileDirs,
		"cluster_config": &f.ClusterConfig,
		// driver_call_timeout is kept as the attribute (parseTimeout reads it).
		"driver_call_timeout": nil,
	}
	content, diags := body.Content(schema(attrs,
		hcl.BlockHeaderSchema{Type: "cluster_stack"},
		hcl.BlockHeaderSchema{Type: "driver", LabelNames: []string{"name"}},
		hcl.BlockHeaderSchema{Type: "initrd"}))
	if content == nil {
		return diags
	}
	f.DriverTimeout = content.Attributes["driver_call_timeout"]
	diags = append(diags, decodeAttrs(content.Attributes, attrs)...)

	byType := content.Blocks.ByType()
	if b, d := single(byType, "cluster_stack"); b != nil {
		f.ClusterStack = &clusterStackBlock{DefRange: b.DefRange}
		diags = append(diags, decodeAll(b.Body, map[string]any{
			"authkey":         &f.ClusterStack.AuthKey,
			"token":           &f.ClusterStack.Token,
			"post_join_delay": &f.ClusterStack.PostJoinDelay,
			"files":           &f.ClusterStack.Files,
		})...)
	} else {
		diags = append(diags, d...)
	}
	if blocks := byType["driver"]; len(blocks) > 0 {
		f.Drivers = make([]driverBlock, len(blocks))
		for i, b := range blocks {
			d := &f.Drivers[i]
			attrs := map[string]any{"path": &d.Path}
			content, rest, bdiags := b.Body.PartialContent(schema(attrs))
			diags = append(diags, bdiags...)
			if content != nil {
				d.Body = rest
				diags = append(diags, decodeAttrs(content.Attributes, attrs)...)
			}
			d.Name, d.DefRange = b.Labels[0], b.DefRange
		}
	}
	if b, d := single(byType, "initrd"); b != nil {
		f.Initrd = &initrdBlock{DefRange: b.DefRange}
		i := f.Initrd
		diags = append(diags, decodeAll(b.Body, map[string]any{
			"driver":       &i.Driver,
			"compression":  &i.Compression,
			"output":       &i.Output,
			"host_only":    &i.HostOnly,
			"modules":      &i.Modules,
			"kernel":       &i.Kernel,
			"modules_dir":  &i.ModulesDir,
			"kernel_hooks": &i.KernelHooks,
			"cache_dir":    &i.CacheDir,
			"cache_keep":   &i.CacheKeep,
			"cmdline":      &i.Cmdline,
		})...)
	} else {
		diags = append(diags, d...)
	}
	return diags
}

// schema is the body schema of optional attributes (the keys of attrs, in
// name order) and blocks.
func schema(attrs map[string]any, blocks ...hcl.BlockHeaderSchema) *hcl.BodySchema {
	s := &hcl.BodySchema{Blocks: blocks}
	for _, n := range slices.Sorted(maps.Keys(attrs)) {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}

// single is the one block of type typ, nil when there is none; more than one
// is an error.
func single(byType map[string]hcl.Blocks, typ string) (*hcl.Block, hcl.Diagnostics) {
	blocks := byType[typ]
	switch len(blocks) {
	case 0:
		return nil, nil
	case 1:
		return blocks[0], nil
	}
	return nil, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s block", typ),
		Detail:   fmt.Sprintf("Only one %s block is allowed. Another was defined at %s.", typ, blocks[0].DefRange.String()),
		Subject:  &blocks[1].DefRange,
	}}
}

// decodeAll decodes a block body of optional attributes only.
func decodeAll(body hcl.Body, attrs map[string]any) hcl.Diagnostics {
	content, diags := body.Content(schema(attrs))
	if content == nil {
		return diags
	}
	return append(diags, decodeAttrs(content.Attributes, attrs)...)
}

// decodeAttrs decodes each attribute given into the pointer attrs holds for
// its name (none for a nil one), in name order.
func decodeAttrs(given hcl.Attributes, attrs map[string]any) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, n := range slices.Sorted(maps.Keys(attrs)) {
		if a := given[n]; a != nil && attrs[n] != nil {
			diags = append(diags, decodeExpr(a.Expr, attrs[n])...)
		}
	}
	return diags
}

// decodeExpr evaluates expr and stores it into dst, a pointer to a Go value of
// the type wanted, as gohcl.DecodeExpression does.
func decodeExpr(expr hcl.Expression, dst any) hcl.Diagnostics {
	v, diags := expr.Value(nil)
	ty, err := gocty.ImpliedType(dst)
	if err != nil {
		panic(fmt.Sprintf("config: no HCL type for %T: %v", dst, err))
	}
	if v, err = convert.Convert(v, ty); err == nil {
		err = gocty.FromCtyValue(v, dst)
	}
	if err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsuitable value type",
			Detail:   fmt.Sprintf("Unsuitable value: %s", err.Error()),
			Subject:  expr.StartRange().Ptr(),
			Context:  expr.Range().Ptr(),
		})
	}
	return diags
}
