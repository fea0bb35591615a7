// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"fmt"
	"sort"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Config is a driver's configuration: its block decoded against its schema, with
// defaults applied. The value is an object whose attributes are the schema's.
type Config struct {
	Value cty.Value
}

// Decode copies the configuration into target, a pointer to a struct whose fields
// carry `cty:"attribute_name"` tags (see gocty).
func (c Config) Decode(target any) error {
	if c.Value == cty.NilVal || c.Value.IsNull() {
		return fmt.Errorf("decode driver config: no configuration")
	}
	if err := gocty.FromCtyValue(c.Value, target); err != nil {
		return fmt.Errorf("decode driver config: %w", err)
	}
	return nil
}

// Get returns the attribute name, or a null value when the configuration has no such
// attribute.
func (c Config) Get(name string) cty.Value {
	if c.Value == cty.NilVal || c.Value.IsNull() || !c.Value.Type().IsObjectType() || !c.Value.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return c.Value.GetAttr(name)
}

// String returns a string attribute, "" when null or absent.
func (c Config) String(name string) string {
	v := c.Get(name)
	if v.IsNull() || !v.IsKnown() || !v.Type().Equals(cty.String) {
		return ""
	}
	return v.AsString()
}

// Bool returns a bool attribute, false when null or absent.
func (c Config) Bool(name string) bool {
	v := c.Get(name)
	if v.IsNull() || !v.IsKnown() || !v.Type().Equals(cty.Bool) {
		return false
	}
	return v.True()
}

// Int returns a number attribute as an int, 0 when null or absent.
func (c Config) Int(name string) int {
	v := c.Get(name)
	if v.IsNull() || !v.IsKnown() || !v.Type().Equals(cty.Number) {
		return 0
	}
	var n int
	if err := gocty.FromCtyValue(v, &n); err != nil {
		return 0
	}
	return n
}

// Strings returns a list or set of strings attribute, nil when null or absent.
func (c Config) Strings(name string) []string {
	v := c.Get(name)
	if v.IsNull() || !v.IsKnown() || !(v.Type().IsListType() || v.Type().IsSetType() || v.Type().IsTupleType()) {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || !e.Type().Equals(cty.String) {
			continue
		}
		out = append(out, e.AsString())
	}
	return out
}

// ConfigFrom builds a configuration from attribute values the way osr does from an
// HCL block: values are converted to the schema's types and absent attributes take
// their defaults. It is for tests and tools; unknown names are errors.
func ConfigFrom(s Schema, values map[string]cty.Value) (Config, error) {
	for name := range values {
		if s.Attribute(name) == nil && !s.hasBlock(name) {
			return Config{}, fmt.Errorf("config: no attribute %q in the schema (valid: %v)", name, s.names())
		}
	}
	obj := map[string]cty.Value{}
	for _, a := range s.Attributes {
		v, ok := values[a.Name]
		switch {
		case ok:
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				return Config{}, fmt.Errorf("config: attribute %q: %w", a.Name, err)
			}
			obj[a.Name] = cv
		case a.Required:
			return Config{}, fmt.Errorf("config: attribute %q is required", a.Name)
		default:
			obj[a.Name] = a.defaultValue()
		}
	}
	for _, b := range s.Blocks {
		t := s.ImpliedType().AttributeType(b.TypeName)
		if v, ok := values[b.TypeName]; ok {
			cv, err := convert.Convert(v, t)
			if err != nil {
				return Config{}, fmt.Errorf("config: block %q: %w", b.TypeName, err)
			}
			obj[b.TypeName] = cv
			continue
		}
		obj[b.TypeName] = b.emptyValue()
	}
	return Config{Value: cty.ObjectVal(obj)}, nil
}

// DefaultConfig is the configuration of an empty driver block.
func DefaultConfig(s Schema) (Config, error) { return ConfigFrom(s, nil) }

func (a Attribute) defaultValue() cty.Value {
	if a.Default == cty.NilVal {
		return cty.NullVal(a.Type)
	}
	return a.Default
}

func (b NestedBlock) emptyValue() cty.Value {
	inner := b.Schema.ImpliedType()
	switch b.Nesting {
	case NestingList:
		return cty.ListValEmpty(inner)
	case NestingMap:
		return cty.MapValEmpty(inner)
	}
	return cty.NullVal(inner)
}

func (s Schema) hasBlock(name string) bool {
	for _, b := range s.Blocks {
		if b.TypeName == name {
			return true
		}
	}
	return false
}

func (s Schema) names() []string {
	var n []string
	for _, a := range s.Attributes {
		n = append(n, a.Name)
	}
	for _, b := range s.Blocks {
		n = append(n, b.TypeName)
	}
	sort.Strings(n)
	return n
}
