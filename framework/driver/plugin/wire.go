// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"github.com/open-sharedroot/osr/framework/driver"

	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"github.com/zclconf/go-cty/cty/msgpack"

	pb "github.com/open-sharedroot/osr/framework/driver/internal/driverpb"
)

// This file converts between the public types and the generated protobuf types.

func schemaToProto(s driver.Schema) (*pb.Schema, error) {
	out := &pb.Schema{}
	for _, a := range s.Attributes {
		t, err := ctyjson.MarshalType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: type: %w", a.Name, err)
		}
		var def []byte
		if a.Default != cty.NilVal && !a.Default.IsNull() {
			def, err = ctyjson.Marshal(a.Default, a.Type)
			if err != nil {
				return nil, fmt.Errorf("attribute %q: default: %w", a.Name, err)
			}
		}
		out.Attributes = append(out.Attributes, &pb.Attribute{
			Name: a.Name, Type: t, Required: a.Required, Default: def,
			Description: a.Description, Sensitive: a.Sensitive, Allowed: a.Allowed,
		})
	}
	for _, b := range s.Blocks {
		inner, err := schemaToProto(b.Schema)
		if err != nil {
			return nil, fmt.Errorf("block %q: %w", b.TypeName, err)
		}
		out.Blocks = append(out.Blocks, &pb.NestedBlock{
			TypeName: b.TypeName, Nesting: pb.NestedBlock_Nesting(b.Nesting), Schema: inner, Description: b.Description,
		})
	}
	return out, nil
}

func schemaFromProto(p *pb.Schema) (driver.Schema, error) {
	var s driver.Schema
	if p == nil {
		return s, nil
	}
	for _, a := range p.GetAttributes() {
		t, err := ctyjson.UnmarshalType(a.GetType())
		if err != nil {
			return s, fmt.Errorf("attribute %q: type: %w", a.GetName(), err)
		}
		def := cty.NilVal
		if len(a.GetDefault()) > 0 {
			def, err = ctyjson.Unmarshal(a.GetDefault(), t)
			if err != nil {
				return s, fmt.Errorf("attribute %q: default: %w", a.GetName(), err)
			}
		}
		s.Attributes = append(s.Attributes, driver.Attribute{
			Name: a.GetName(), Type: t, Required: a.GetRequired(), Default: def,
			Description: a.GetDescription(), Sensitive: a.GetSensitive(), Allowed: a.GetAllowed(),
		})
	}
	for _, b := range p.GetBlocks() {
		inner, err := schemaFromProto(b.GetSchema())
		if err != nil {
			return s, fmt.Errorf("block %q: %w", b.GetTypeName(), err)
		}
		s.Blocks = append(s.Blocks, driver.NestedBlock{
			TypeName: b.GetTypeName(), Nesting: driver.Nesting(b.GetNesting()), Schema: inner, Description: b.GetDescription(),
		})
	}
	return s, nil
}

func infoToProto(i *driver.Info) (*pb.DescribeResponse, error) {
	s, err := schemaToProto(i.Schema)
	if err != nil {
		return nil, err
	}
	return &pb.DescribeResponse{
		Name: i.Name, Version: i.Version, Fstypes: i.FSTypes, Capabilities: i.Capabilities,
		Schema: s, Description: i.Description,
	}, nil
}

func infoFromProto(p *pb.DescribeResponse) (*driver.Info, error) {
	s, err := schemaFromProto(p.GetSchema())
	if err != nil {
		return nil, fmt.Errorf("driver %q sent a bad schema: %w", p.GetName(), err)
	}
	return &driver.Info{
		Name: p.GetName(), Version: p.GetVersion(), FSTypes: p.GetFstypes(), Capabilities: p.GetCapabilities(),
		Description: p.GetDescription(), Schema: s,
	}, nil
}

func configToProto(c driver.Config) (*pb.DynamicValue, error) {
	if c.Value == cty.NilVal {
		return nil, nil
	}
	b, err := msgpack.Marshal(c.Value, c.Value.Type())
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return &pb.DynamicValue{Msgpack: b}, nil
}

func configFromProto(p *pb.DynamicValue, t cty.Type) (driver.Config, error) {
	if p == nil || len(p.GetMsgpack()) == 0 {
		return driver.Config{Value: cty.NullVal(t)}, nil
	}
	v, err := msgpack.Unmarshal(p.GetMsgpack(), t)
	if err != nil {
		return driver.Config{}, fmt.Errorf("decode config: %w", err)
	}
	return driver.Config{Value: v}, nil
}

func diagsToProto(ds driver.Diagnostics) []*pb.Diagnostic {
	out := make([]*pb.Diagnostic, 0, len(ds))
	for _, d := range ds {
		out = append(out, &pb.Diagnostic{
			Severity: pb.Diagnostic_Severity(d.Severity), Summary: d.Summary, Detail: d.Detail, AttributePath: d.Path,
		})
	}
	return out
}

func diagsFromProto(ps []*pb.Diagnostic) driver.Diagnostics {
	var out driver.Diagnostics
	for _, p := range ps {
		sev := driver.Severity(p.GetSeverity())
		if sev != driver.Warning {
			sev = driver.Error // unknown severities are treated as errors, the safe side
		}
		out = append(out, driver.Diagnostic{Severity: sev, Summary: p.GetSummary(), Detail: p.GetDetail(), Path: p.GetAttributePath()})
	}
	return out
}

func targetToProto(t driver.Target) *pb.Target {
	return &pb.Target{KernelVersion: t.KernelVersion, Arch: t.Arch, DistroId: t.DistroID, DistroLike: t.DistroLike}
}

func targetFromProto(p *pb.Target) driver.Target {
	return driver.Target{KernelVersion: p.GetKernelVersion(), Arch: p.GetArch(), DistroID: p.GetDistroId(), DistroLike: p.GetDistroLike()}
}

func planToProto(p *driver.Plan) *pb.Plan {
	if p == nil {
		return nil
	}
	out := &pb.Plan{Listfiles: p.Listfiles, Directories: p.Directories}
	for _, m := range p.Modules {
		out.Modules = append(out.Modules, &pb.Module{Name: m.Name, Optional: m.Optional, Reason: m.Reason})
	}
	for _, b := range p.Binaries {
		out.Binaries = append(out.Binaries, &pb.Binary{Name: b.Name, Optional: b.Optional, Reason: b.Reason})
	}
	for _, f := range p.Files {
		out.Files = append(out.Files, &pb.File{Path: f.Path, Optional: f.Optional, Reason: f.Reason})
	}
	for _, g := range p.Generated {
		out.Generated = append(out.Generated, &pb.GeneratedFile{Path: g.Path, Mode: g.Mode, Content: g.Content, Secret: g.Secret})
	}
	return out
}

func planFromProto(p *pb.Plan) *driver.Plan {
	out := &driver.Plan{Listfiles: p.GetListfiles(), Directories: p.GetDirectories()}
	for _, m := range p.GetModules() {
		out.Modules = append(out.Modules, driver.Module{Name: m.GetName(), Optional: m.GetOptional(), Reason: m.GetReason()})
	}
	for _, b := range p.GetBinaries() {
		out.Binaries = append(out.Binaries, driver.Binary{Name: b.GetName(), Optional: b.GetOptional(), Reason: b.GetReason()})
	}
	for _, f := range p.GetFiles() {
		out.Files = append(out.Files, driver.File{Path: f.GetPath(), Optional: f.GetOptional(), Reason: f.GetReason()})
	}
	for _, g := range p.GetGenerated() {
		out.Generated = append(out.Generated, driver.GeneratedFile{Path: g.GetPath(), Mode: g.GetMode(), Content: g.GetContent(), Secret: g.GetSecret()})
	}
	return out
}
