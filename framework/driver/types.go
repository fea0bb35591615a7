// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Driver is what a filesystem driver implements. Every method gets a context that is
// cancelled when osr gives up on the call.
type Driver interface {
	// Describe returns the driver's identity, its filesystem types and its
	// configuration schema. It must not depend on configuration.
	Describe(ctx context.Context) (*Info, error)
	// ValidateConfig checks a configuration already decoded against the schema.
	// Problems are returned as diagnostics; the error is for failures of the call.
	ValidateConfig(ctx context.Context, req ValidateRequest) (Diagnostics, error)
	// Plan says what the driver needs inside an initrd.
	Plan(ctx context.Context, req PlanRequest) (*Plan, Diagnostics, error)
}

// Info is a driver's answer to Describe.
type Info struct {
	// Name is the driver's name, the <name> in osr-driver-<name> and driver "<name>" {}.
	Name string
	// Version is the driver's own version (semantic versioning recommended).
	Version string
	// FSTypes are the filesystem types the driver mounts, e.g. "nfs" and "nfs4".
	FSTypes []string
	// Capabilities announce optional protocol features the driver implements.
	Capabilities []string
	// Description is one line for `osr drivers show`.
	Description string
	// Schema describes the driver's configuration block.
	Schema Schema
}

// ServesFSType reports whether the driver mounts the filesystem type t.
func (i *Info) ServesFSType(t string) bool {
	for _, f := range i.FSTypes {
		if f == t {
			return true
		}
	}
	return false
}

// Schema describes a configuration block.
type Schema struct {
	Attributes []Attribute
	Blocks     []NestedBlock
}

// Attribute describes one configuration attribute.
type Attribute struct {
	Name string
	// Type is the attribute's cty type (cty.String, cty.Bool, cty.List(cty.String), …).
	Type cty.Type
	// Required attributes must be set; others take Default (or null when Default is
	// the zero cty.Value).
	Required bool
	// Default is used when the attribute is absent.
	Default cty.Value
	// Description is shown by `osr drivers show`.
	Description string
	// Sensitive values are never printed.
	Sensitive bool
	// Allowed, for string attributes, lists the only values accepted. osr checks it
	// before the driver sees the value.
	Allowed []string
}

// Nesting says how often a nested block may appear.
type Nesting int

// The nesting modes of a nested block.
const (
	// NestingSingle is a block that appears at most once.
	NestingSingle Nesting = iota + 1
	// NestingList is a block that may repeat; the value is a list of objects.
	NestingList
	// NestingMap is a block with one label that may repeat; the value is a map keyed by label.
	NestingMap
)

// NestedBlock describes a block inside a configuration block.
type NestedBlock struct {
	TypeName    string
	Nesting     Nesting
	Schema      Schema
	Description string
}

// ImpliedType is the cty object type of a value decoded against the schema.
func (s Schema) ImpliedType() cty.Type {
	attrs := map[string]cty.Type{}
	for _, a := range s.Attributes {
		attrs[a.Name] = a.Type
	}
	for _, b := range s.Blocks {
		inner := b.Schema.ImpliedType()
		switch b.Nesting {
		case NestingList:
			attrs[b.TypeName] = cty.List(inner)
		case NestingMap:
			attrs[b.TypeName] = cty.Map(inner)
		default:
			attrs[b.TypeName] = inner
		}
	}
	return cty.Object(attrs)
}

// Attribute returns the attribute named name, or nil.
func (s Schema) Attribute(name string) *Attribute {
	for i := range s.Attributes {
		if s.Attributes[i].Name == name {
			return &s.Attributes[i]
		}
	}
	return nil
}

// Check reports schema mistakes a driver author could make: empty or duplicate names,
// a default whose type differs from the attribute's, a required attribute with a default.
func (s Schema) Check() error {
	seen := map[string]bool{}
	for _, a := range s.Attributes {
		if a.Name == "" {
			return fmt.Errorf("schema: attribute without a name")
		}
		if seen[a.Name] {
			return fmt.Errorf("schema: %q defined twice", a.Name)
		}
		seen[a.Name] = true
		if a.Type == cty.NilType {
			return fmt.Errorf("schema: attribute %q has no type", a.Name)
		}
		if a.Default != cty.NilVal && !a.Default.IsNull() {
			if a.Required {
				return fmt.Errorf("schema: attribute %q is required and has a default", a.Name)
			}
			if !a.Default.Type().Equals(a.Type) {
				return fmt.Errorf("schema: default of %q is %s, want %s", a.Name, a.Default.Type().FriendlyName(), a.Type.FriendlyName())
			}
		}
		if len(a.Allowed) > 0 && !a.Type.Equals(cty.String) {
			return fmt.Errorf("schema: attribute %q lists allowed values but is not a string", a.Name)
		}
	}
	for _, b := range s.Blocks {
		if b.TypeName == "" || seen[b.TypeName] {
			return fmt.Errorf("schema: block %q has no name or clashes with another", b.TypeName)
		}
		seen[b.TypeName] = true
		if err := b.Schema.Check(); err != nil {
			return fmt.Errorf("block %q: %w", b.TypeName, err)
		}
	}
	return nil
}

// ValidateRequest carries a configuration to ValidateConfig.
type ValidateRequest struct {
	// Config is the driver block decoded against the driver's schema, defaults applied.
	Config Config
	// FSType is the filesystem type the root will be mounted as ("" when not known yet).
	FSType string
}

// Target describes the system an initrd is built for.
type Target struct {
	KernelVersion string
	Arch          string // GOARCH spelling: amd64, arm64, …
	DistroID      string // ID from os-release
	DistroLike    []string
}

// PlanRequest carries what Plan needs to know.
type PlanRequest struct {
	Config Config
	FSType string
	Target Target
}

// Plan lists what a driver needs inside an initrd. Paths are host paths; osr copies
// them (and the ELF libraries of binaries) into the image at the same paths.
type Plan struct {
	// Modules are kernel module names (or aliases such as "fs-gfs2"); osr adds their
	// dependencies.
	Modules []Module
	// Binaries are program names looked up on the build host's sbin/bin dirs, or
	// absolute paths.
	Binaries []Binary
	// Files are host files or directories copied as they are.
	Files []File
	// Generated are small files the driver writes itself (configuration snippets).
	Generated []GeneratedFile
	// Listfiles name listfiles (by file name) the image should include.
	Listfiles []string
	// Directories are empty directories to create in the image.
	Directories []string
}

// Module is a kernel module the driver needs.
type Module struct {
	Name     string
	Optional bool
	Reason   string
}

// Binary is a program the driver needs.
type Binary struct {
	Name     string
	Optional bool
	Reason   string
}

// File is a host file the driver needs.
type File struct {
	Path     string
	Optional bool
	Reason   string
}

// GeneratedFile is a file whose content the driver supplies.
type GeneratedFile struct {
	Path    string
	Mode    uint32
	Content []byte
	// Secret files are stored 0600 and never printed.
	Secret bool
}

// Severity says whether a diagnostic stops the build.
type Severity int

// Diagnostic severities.
const (
	Error Severity = iota + 1
	Warning
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "unknown"
}

// Diagnostic is a problem a driver found, tied to an attribute of its block where it
// can be, so osr can point at the line of the user's configuration.
type Diagnostic struct {
	Severity Severity
	Summary  string
	Detail   string
	// Path names the attribute, from the top of the driver block: {"mount_options"},
	// or {"cluster", "name"} inside a nested block. Empty for the block as a whole.
	Path []string
}

func (d Diagnostic) Error() string {
	var b strings.Builder
	b.WriteString(d.Summary)
	if len(d.Path) > 0 {
		fmt.Fprintf(&b, " (at %s)", strings.Join(d.Path, "."))
	}
	if d.Detail != "" {
		b.WriteString(": ")
		b.WriteString(d.Detail)
	}
	return b.String()
}

// Diagnostics is a list of diagnostics.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errorf returns an error diagnostic about the attribute at path.
func Errorf(path []string, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Error, Summary: fmt.Sprintf(format, args...), Path: path}
}

// Warnf returns a warning diagnostic about the attribute at path.
func Warnf(path []string, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Warning, Summary: fmt.Sprintf(format, args...), Path: path}
}
