// SPDX-License-Identifier: Apache-2.0

package hcldepth

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	// 100,000 levels overflowed the parser's stack; the others need not be as deep.
	const n = 10000
	deep := []struct {
		name string
		src  string
		line int
	}{
		{"brackets", "x = " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n", 1},
		{"parentheses", "\n\nx = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n", 3},
		{"objects", "x = " + strings.Repeat("{a=", n) + "1" + strings.Repeat("}", n) + "\n", 1},
		{"blocks", strings.Repeat("b {\n", n) + strings.Repeat("}\n", n), Max},
		{"templates", "x = " + strings.Repeat(`"${`, n) + "1" + strings.Repeat(`}"`, n) + "\n", 1},
		{"unary", "x = " + strings.Repeat("!", n) + "true\n", 1},
		{"negation", "x = " + strings.Repeat("-", n) + "1\n", 1},
		{"conditionals", "x = (" + strings.Repeat("true ? 1 :\n", n) + "2)\n", Max - 1},
		{"unclosed", "x = " + strings.Repeat("[", n), 1},
	}
	for _, tt := range deep {
		t.Run(tt.name, func(t *testing.T) {
			diags := Check([]byte(tt.src), "deep.hcl")
			if !diags.HasErrors() {
				t.Fatal("Check() accepted it")
			}
			d := diags[0]
			if d.Subject == nil || d.Subject.Filename != "deep.hcl" || d.Subject.Start.Line != tt.line {
				t.Errorf("Check() points at %v; want deep.hcl line %d", d.Subject, tt.line)
			}
			if !strings.Contains(d.Summary, "too deep") {
				t.Errorf("Check() = %s: %s; want the file and what is wrong", d.Summary, d.Detail)
			}
			if _, diags := ParseConfig([]byte(tt.src), "deep.hcl"); !diags.HasErrors() {
				t.Error("ParseConfig() accepted it")
			}
		})
	}
	fine := []string{
		"x = " + strings.Repeat("[", Max-1) + strings.Repeat("]", Max-1) + "\n",
		"a = true ? 1 : 2\nb = true ? 1 : 2\nc = -1\nd = !false\n",
		strings.Repeat("x = \"${a ? b : c}\"\n", 1000),
		"x = <<EOT\n${[1]}\nEOT\n",
		"driver \"gfs2\" {\n  path = \"/x\"\n  opts = [\"a\", \"b\"]\n}\n",
	}
	for _, src := range fine {
		if diags := Check([]byte(src), "fine.hcl"); diags.HasErrors() {
			t.Errorf("Check(%.40q…) = %v; want no error", src, diags)
		}
	}
}

// FuzzParseConfig parses anything without crashing once Check let it through.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"x = [[[1]]]\n", "a { b { c = 1 } }\n", `x = "${"${1}"}"` + "\n", "x = !!!true\n",
		"x = (true ? 1 : false ? 2 : 3)\n", "x = <<EOT\n${a}\nEOT\n", "x = [", "}}}}", `x = "\`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		_, _ = ParseConfig(src, "fuzz.hcl")
	})
}
