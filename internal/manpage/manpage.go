// SPDX-License-Identifier: Apache-2.0

// Package manpage renders man pages in roff from a cobra command tree: one page
// for the program and one for each of its commands, which describes the
// command's subcommands too (osr(8), osr-build(8), osr-cdsl(8), …). The pages
// hold no date or version, so generating them again gives the same bytes.
package manpage

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Options say how the pages are made.
type Options struct {
	// Section is the manual section, "8" for system administration commands.
	Section string
	// Manual is the title of the manual ("System Administration").
	Manual string
	// Source names the program ("osr").
	Source string
	// Synopsis gives a command's usage line; nil means its CommandPath and Use.
	Synopsis func(*cobra.Command) string
	// Skip leaves commands out of the pages (help, completion).
	Skip func(*cobra.Command) bool
	// Extra sections of the program's page, in order (ENVIRONMENT, EXIT STATUS, …).
	Extra []Section
	// SeeAlso are pages named under SEE ALSO of every page, besides the
	// program's and its commands' ("osr.hcl(5)").
	SeeAlso []string
	// Header is a comment line put first in every page (a licence line).
	Header string
}

// Section is an extra section of the program's page; Text is plain text,
// paragraphs separated by blank lines, lines indented by spaces kept as they are.
type Section struct {
	Title, Text string
}

// Pages renders the program's page and one page per command of root, keyed by
// file name ("osr.8", "osr-build.8").
func Pages(root *cobra.Command, o Options) map[string][]byte {
	out := map[string][]byte{}
	out[root.Name()+"."+o.Section] = o.page(root, root)
	for _, c := range o.commands(root) {
		out[pageName(c)+"."+o.Section] = o.page(root, c)
	}
	return out
}

// pageName is the page of a command: its path joined by dashes.
func pageName(c *cobra.Command) string { return strings.ReplaceAll(c.CommandPath(), " ", "-") }

func (o Options) commands(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, s := range c.Commands() {
		if !s.IsAvailableCommand() || (o.Skip != nil && o.Skip(s)) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func (o Options) synopsis(c *cobra.Command) string {
	if o.Synopsis != nil {
		return o.Synopsis(c)
	}
	if !c.HasParent() {
		return c.Use
	}
	return c.Parent().CommandPath() + " " + c.Use
}

func (o Options) page(root, c *cobra.Command) []byte {
	var b bytes.Buffer
	if o.Header != "" {
		fmt.Fprintf(&b, ".\\\" %s\n", o.Header)
	}
	name := pageName(c)
	fmt.Fprintf(&b, ".TH %s %s \"\" %q %q\n", strings.ToUpper(escape(name)), o.Section, o.Source, o.Manual)
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(&b, "%s \\- %s\n", escape(name), escape(c.Short))
	b.WriteString(".SH SYNOPSIS\n")
	writeSynopsis(&b, o.synopsis(c))
	b.WriteString(".SH DESCRIPTION\n")
	text := c.Long
	if text == "" {
		text = c.Short
	}
	writeText(&b, text)
	if c.HasAvailableLocalFlags() {
		b.WriteString(".SH OPTIONS\n")
		writeFlags(&b, c.LocalFlags())
	}
	subs := o.commands(c)
	if len(subs) > 0 {
		b.WriteString(".SH COMMANDS\n")
		for _, s := range subs {
			o.writeCommand(&b, s, c == root)
		}
	}
	if c.HasAvailableInheritedFlags() {
		b.WriteString(".SH GLOBAL OPTIONS\n")
		writeFlags(&b, c.InheritedFlags())
	}
	if c == root {
		for _, s := range o.Extra {
			fmt.Fprintf(&b, ".SH %s\n", escape(s.Title))
			writeText(&b, s.Text)
		}
	}
	b.WriteString(".SH SEE ALSO\n")
	var see []string
	if c != root {
		see = append(see, root.Name()+"("+o.Section+")")
	}
	for _, s := range o.commands(root) {
		if s != c {
			see = append(see, pageName(s)+"("+o.Section+")")
		}
	}
	see = append(see, o.SeeAlso...)
	for i, s := range see {
		n, sec, _ := strings.Cut(s, "(")
		sep := ","
		if i == len(see)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, ".BR %s (%s)%s\n", escape(n), strings.TrimSuffix(sec, ")"), sep)
	}
	return b.Bytes()
}

// writeCommand describes a subcommand: in the program's page only its
// synopsis and summary (its own page has the rest), in a command's page all
// of it, its own subcommands included.
func (o Options) writeCommand(b *bytes.Buffer, c *cobra.Command, brief bool) {
	fmt.Fprintf(b, ".SS \"%s\"\n", escape(c.CommandPath()))
	writeSynopsis(b, o.synopsis(c))
	if brief {
		writeText(b, c.Short+". See "+pageName(c)+"("+o.Section+").")
		return
	}
	text := c.Long
	if text == "" {
		text = c.Short
	}
	writeText(b, text)
	if c.HasAvailableLocalFlags() {
		b.WriteString(".PP\nOptions:\n")
		writeFlags(b, c.LocalFlags())
	}
	for _, s := range o.commands(c) {
		o.writeCommand(b, s, false)
	}
}

func writeSynopsis(b *bytes.Buffer, syn string) {
	b.WriteString(".nf\n")
	lines := strings.Split(syn, "\n")
	for i, l := range lines {
		if i == 0 {
			// The command's words in bold, the rest as written.
			words := strings.Fields(l)
			n := 0
			for n < len(words) && isWord(words[n]) {
				n++
			}
			fmt.Fprintf(b, "\\fB%s\\fR", escape(strings.Join(words[:n], " ")))
			if n < len(words) {
				fmt.Fprintf(b, " %s", escape(strings.Join(words[n:], " ")))
			}
			b.WriteString("\n")
			continue
		}
		fmt.Fprintf(b, "%s\n", escapeLine(l))
	}
	b.WriteString(".fi\n")
}

// isWord reports whether a synopsis word is a command name (lower-case
// letters and dashes), not an argument or option.
func isWord(w string) bool {
	if w == "" || w[0] == '-' {
		return false
	}
	for _, r := range w {
		if (r < 'a' || r > 'z') && r != '-' {
			return false
		}
	}
	return true
}

// writeText writes text: paragraphs separated by blank lines are filled,
// lines indented by spaces are kept as they are.
func writeText(b *bytes.Buffer, text string) {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	pre := false
	first := true
	for i, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
			if pre {
				b.WriteString(".fi\n")
				pre = false
			}
			continue
		case strings.HasPrefix(l, " ") && !pre:
			b.WriteString(".PP\n.RS\n.nf\n")
			pre = true
		case !strings.HasPrefix(l, " ") && pre:
			b.WriteString(".fi\n.RE\n")
			pre = false
			b.WriteString(".PP\n")
		case !pre && (first || strings.TrimSpace(lines[i-1]) == ""):
			b.WriteString(".PP\n")
		}
		first = false
		if pre {
			// .RS indents the block already.
			l = strings.TrimPrefix(l, "  ")
		}
		b.WriteString(escapeLine(l) + "\n")
	}
	if pre {
		b.WriteString(".fi\n.RE\n")
	}
}

// writeFlags writes one tagged paragraph a visible flag.
func writeFlags(b *bytes.Buffer, fs *pflag.FlagSet) {
	var flags []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			flags = append(flags, f)
		}
	})
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		arg, usage := pflag.UnquoteUsage(f)
		tag := ""
		if f.Shorthand != "" {
			tag = "\\fB\\-" + escape(f.Shorthand) + "\\fR, "
		}
		tag += "\\fB\\-\\-" + escape(f.Name) + "\\fR"
		switch f.Value.Type() {
		case "bool", "count":
		default:
			tag += " \\fI" + escape(arg) + "\\fR"
		}
		switch f.DefValue {
		case "", "0", "false", "[]", "0s":
		default:
			switch f.Value.Type() {
			case "bool", "count":
			case "string":
				usage += fmt.Sprintf(" (default %q)", f.DefValue)
			default:
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			}
		}
		fmt.Fprintf(b, ".TP\n%s\n%s\n", tag, escapeLine(usage))
	}
}

// escape makes text safe inside a roff line: backslashes, minus signs and
// characters outside ASCII (as \[uXXXX]).
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r > 0x7e:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeLine is escape for a whole output line, which must not start with a
// control character.
func escapeLine(s string) string {
	s = escape(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
