// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/open-sharedroot/osr/framework/internal/unixmode"
)

// This file decodes and checks attribute values, each problem a diagnostic that
// points at the value.

// decodeStrings accepts a string or a list of strings; an empty list is an error,
// since it could never match.
func decodeStrings(a *hcl.Attribute, dst *[]string) hcl.Diagnostics {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	if v.Type() == cty.String {
		v = cty.TupleVal([]cty.Value{v})
	}
	lv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || lv.IsNull() || !lv.IsWhollyKnown() {
		return append(diags, attrError(a, "Invalid value", fmt.Sprintf("%s must be a string or a list of strings.", a.Name)))
	}
	if lv.LengthInt() == 0 {
		return append(diags, attrError(a, "Empty list", fmt.Sprintf("An empty %s list never matches; remove the attribute to match everything.", a.Name)))
	}
	for _, s := range lv.AsValueSlice() {
		if s.IsNull() {
			return append(diags, attrError(a, "Invalid value", fmt.Sprintf("%s must not hold null.", a.Name)))
		}
		*dst = append(*dst, s.AsString())
	}
	return diags
}

func decodeNames(a *hcl.Attribute, dst *[]string, re *regexp.Regexp, want string) hcl.Diagnostics {
	var raw []string
	diags := decodeStrings(a, &raw)
	for _, r := range raw {
		if !re.MatchString(r) {
			diags = append(diags, attrError(a, "Invalid name", fmt.Sprintf("%q is not valid in %s: use %s.", r, a.Name, want)))
			continue
		}
		*dst = append(*dst, r)
	}
	return diags
}

// decodeProvidedBy accepts package names for every distribution (a string or a
// list) or an object from distribution ID to names:
// provided_by = { debian = "nfs-common", fedora = "nfs-utils" }.
func decodeProvidedBy(a *hcl.Attribute, dst *map[string][]string) hcl.Diagnostics {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	*dst = map[string][]string{}
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		var names []string
		diags = append(diags, decodeNames(a, &names, packageName, "a package name")...)
		(*dst)[""] = names
		return diags
	}
	if v.IsNull() || !v.IsWhollyKnown() || v.LengthInt() == 0 {
		return append(diags, attrError(a, "Invalid value", "provided_by needs at least one distribution, e.g. { debian = \"nfs-common\", fedora = \"nfs-utils\" }."))
	}
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		id := k.AsString()
		if !distroName.MatchString(id) {
			diags = append(diags, attrError(a, "Invalid name", fmt.Sprintf("%q is not an os-release ID such as \"debian\" or \"fedora\".", id)))
			continue
		}
		if ev.Type() == cty.String {
			ev = cty.TupleVal([]cty.Value{ev})
		}
		lv, err := convert.Convert(ev, cty.List(cty.String))
		if err != nil || lv.IsNull() || !lv.IsWhollyKnown() || lv.LengthInt() == 0 {
			diags = append(diags, attrError(a, "Invalid value", fmt.Sprintf("provided_by.%s must be a package name or a non-empty list of them.", id)))
			continue
		}
		for _, n := range lv.AsValueSlice() {
			if n.IsNull() || !packageName.MatchString(n.AsString()) {
				diags = append(diags, attrError(a, "Invalid name", fmt.Sprintf("provided_by.%s holds %s, which is not a package name.", id, n.GoString())))
				continue
			}
			(*dst)[id] = append((*dst)[id], n.AsString())
		}
	}
	return diags
}

func decodePatterns(a *hcl.Attribute, dst *[]string) hcl.Diagnostics {
	var raw []string
	diags := decodeStrings(a, &raw)
	for _, r := range raw {
		if !doublestar.ValidatePattern(r) || strings.HasSuffix(r, "/") && r != "/" {
			diags = append(diags, attrError(a, "Invalid pattern", fmt.Sprintf("%q is not a valid pattern: write an absolute path or glob (\"/usr/share/doc\", \"/usr/lib/**/*.a\") or a name glob (\"*.pyc\").", r)))
			continue
		}
		*dst = append(*dst, r)
	}
	return diags
}

func decodeString(a *hcl.Attribute, dst *string) hcl.Diagnostics {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil || sv.IsNull() || !sv.IsKnown() || v.Type() != cty.String {
		return append(diags, attrError(a, "Invalid value", fmt.Sprintf("%s must be a string.", a.Name)))
	}
	*dst = sv.AsString()
	return diags
}

func decodeBool(a *hcl.Attribute, dst *bool) hcl.Diagnostics {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	if v.Type() != cty.Bool || v.IsNull() {
		return append(diags, attrError(a, "Invalid value", fmt.Sprintf("%s must be true or false.", a.Name)))
	}
	*dst = v.True()
	return diags
}

func decodeMode(a *hcl.Attribute, dst *fs.FileMode) hcl.Diagnostics {
	var s string
	if diags := decodeString(a, &s); diags.HasErrors() {
		return append(diags, attrError(a, "Invalid mode", "Write the mode as an octal string, e.g. mode = \"0755\"."))
	}
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o7777 || !strings.HasPrefix(s, "0") {
		return hcl.Diagnostics{attrError(a, "Invalid mode", fmt.Sprintf("%q is not an octal mode; write e.g. mode = \"0755\".", s))}
	}
	*dst = unixmode.FromUnix(uint32(m))
	return nil
}

func attrError(a *hcl.Attribute, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: a.Expr.Range().Ptr(), Context: a.Range.Ptr()}
}

func labelError(rng hcl.Range, summary, detail string) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}}
}
