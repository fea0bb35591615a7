// SPDX-License-Identifier: Apache-2.0

// Package hcldepth bounds how deeply HCL text nests before it reaches the
// hcl/v2 parser, which recurses once per level and overflows the stack on
// deep input (100,000 nested brackets). Every HCL file osr reads goes through
// Check first.
package hcldepth

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Max is the deepest nesting osr accepts: brackets, braces, parentheses,
// quotes, heredocs, template sequences, chained unary operators and
// conditionals all count. Real configuration nests a handful of levels.
const Max = 200

// Check lexes src (the lexer does not recurse) and returns an error
// diagnostic at the first token nested deeper than Max.
func Check(src []byte, filename string) hcl.Diagnostics {
	tokens, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	// frames holds, per open nesting level, the conditionals seen in it (the
	// parser recurses for each) and whether newlines end its expressions
	// (the top level and braces) or not (inside brackets and parentheses).
	type frame struct {
		conditionals int
		lines        bool
	}
	frames := []frame{{lines: true}}
	depth := func() int {
		d := len(frames)
		for _, f := range frames {
			d += f.conditionals
		}
		return d
	}
	unary := 0
	for _, tok := range tokens {
		switch tok.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen,
			hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			frames = append(frames, frame{lines: tok.Type == hclsyntax.TokenOBrace})
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen,
			hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			if len(frames) > 1 {
				frames = frames[:len(frames)-1]
			}
		case hclsyntax.TokenQuestion:
			frames[len(frames)-1].conditionals++
		case hclsyntax.TokenNewline:
			if top := &frames[len(frames)-1]; top.lines {
				top.conditionals = 0
			}
		}
		if tok.Type == hclsyntax.TokenBang || tok.Type == hclsyntax.TokenMinus {
			unary++
		} else {
			unary = 0
		}
		if d := depth() + unary; d > Max {
			rng := tok.Range
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Nesting too deep",
				Detail: fmt.Sprintf("This nests more than %d levels deep (brackets, braces, parentheses, templates or operators); osr does not read it. Flatten it.",
					Max),
				Subject: &rng,
			}}
		}
	}
	return nil
}

// ParseConfig checks src with Check and, when it is not too deep, parses it
// as native HCL syntax.
func ParseConfig(src []byte, filename string) (*hcl.File, hcl.Diagnostics) {
	if diags := Check(src, filename); diags.HasErrors() {
		return nil, diags
	}
	return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
}
