// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// annotSynopsis, on a command, replaces the synopsis made from its Use line.
const annotSynopsis = "osr:synopsis"

// annotDeprecated, on a flag, says what to use instead; giving the flag warns.
const annotDeprecated = "osr:deprecated"

func init() {
	cobra.AddTemplateFunc("synopsis", synopsis)
	cobra.AddTemplateFunc("commandList", commandList)
	cobra.AddTemplateFunc("flagUsages", flagUsages)
}

// helpTemplate is the help of every command, printed on standard output by
// --help, -h and osr help.
const helpTemplate = `Usage: {{synopsis .}}

{{with .Long}}{{trimTrailingWhitespaces .}}{{else}}{{.Short}}{{end}}
{{- if .HasAvailableSubCommands}}

Commands:
{{commandList . | trimTrailingWhitespaces}}{{end}}
{{- if .HasAvailableLocalFlags}}

Flags:
{{flagUsages .LocalFlags | trimTrailingWhitespaces}}{{end}}
{{- if .HasAvailableInheritedFlags}}

Global flags:
{{flagUsages .InheritedFlags | trimTrailingWhitespaces}}{{end}}
{{- if .HasAvailableSubCommands}}

Run 'osr help {{if .HasParent}}{{.CommandPath | trimOSR}} {{end}}COMMAND' for a command's usage.{{end}}
`

func init() {
	cobra.AddTemplateFunc("trimOSR", func(s string) string { return strings.TrimPrefix(s, "osr ") })
}

// synopsis is a command's usage line: its parents' path and its Use line, or
// its annotSynopsis.
func synopsis(c *cobra.Command) string {
	if s, ok := c.Annotations[annotSynopsis]; ok {
		return s
	}
	if !c.HasParent() {
		return c.Use
	}
	return c.Parent().CommandPath() + " " + c.Use
}

// commandList lists a command's subcommands with their synopses.
func commandList(c *cobra.Command) string {
	var b strings.Builder
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() && sub.Name() != "help" {
			continue
		}
		use := strings.Join(strings.Fields(sub.Use), " ")
		if utf8.RuneCountInString(use) > 40 {
			use = sub.Name()
		}
		if utf8.RuneCountInString(use) <= 30 {
			fmt.Fprintf(&b, "  %-30s %s\n", use, sub.Short)
		} else {
			fmt.Fprintf(&b, "  %s\n  %-30s %s\n", use, "", sub.Short)
		}
	}
	return b.String()
}

// groupRun is the run of a command made of subcommands: without one it is a
// usage error.
func groupRun(cmd *cobra.Command, _ []string) error {
	return usagef("missing subcommand; one of %s", strings.Join(subcommandNames(cmd), ", "))
}

// subcommandArgs refuses arguments that name no subcommand, suggesting a close one.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	what := "subcommand"
	if !cmd.HasParent() {
		what = "command"
	}
	return usagef("unknown %s %q%s", what, args[0], suggest(args[0], subcommandNames(cmd)))
}

// subcommandNames are the names of cmd's visible subcommands, sorted.
func subcommandNames(cmd *cobra.Command) []string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() || c.Name() == "help" {
			names = append(names, c.Name())
		}
	}
	sort.Strings(names)
	return names
}

// suggest returns "; did you mean X?" when a known name is close to the given one.
func suggest(given string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := levenshtein.Distance(given, k, nil); d < bestDist || (d == bestDist && best == "" && strings.HasPrefix(k, given)) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		for _, k := range known {
			if len(given) >= 3 && strings.HasPrefix(k, given) {
				best = k
				break
			}
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// pflag's messages for an unknown flag, compiled on first use: most runs
// never need them.
var (
	unknownLong  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^unknown flag: --(\S+)`) })
	unknownShort = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^unknown shorthand flag: '(.)' in (-\S+)`) })
)

// flagError turns pflag's parse errors into usage errors (exit 2), with a
// suggestion for a misspelled flag.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if m := unknownLong().FindStringSubmatch(msg); m != nil {
		name, _, _ := strings.Cut(m[1], "=")
		var known []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				known = append(known, f.Name)
			}
		})
		cmd.InheritedFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				known = append(known, f.Name)
			}
		})
		s := suggest(name, known)
		if s != "" {
			s = "; did you mean --" + strings.TrimPrefix(strings.TrimSuffix(s, "\"?"), "; did you mean \"") + "?"
		}
		return usagef("unknown flag --%s%s", name, s)
	}
	if m := unknownShort().FindStringSubmatch(msg); m != nil {
		// "-root" for "--root": Go's flag package took one dash.
		word := strings.TrimPrefix(m[2], "-")
		if f := cmd.Flags().Lookup(word); f != nil && len(word) > 1 {
			return usagef("unknown flag %s; did you mean --%s?", m[2], word)
		}
		return usagef("unknown flag -%s in %s", m[1], m[2])
	}
	return usageError{msg}
}

// newHelpCmd is "osr help [COMMAND…]": the help of a command on standard
// output, or a usage error naming the unknown command.
func newHelpCmd(e *env, root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND…]",
		Short: "show the help of osr or of a command",
		Long:  "Shows the help of osr, of a command or of a subcommand: osr help cdsl add.",
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			c, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, s := range c.Commands() {
				if s.IsAvailableCommand() {
					out = append(out, cobra.CompletionWithDesc(s.Name(), s.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil {
				return usageError{err.Error()}
			}
			if isStandIn(target) {
				return e.execDriverHost()
			}
			if len(rest) > 0 {
				what := "subcommand"
				if target == root {
					what = "command"
				}
				return usagef("unknown %s %q%s", what, rest[0], suggest(rest[0], subcommandNames(target)))
			}
			target.SetOut(cmd.OutOrStdout())
			return target.Help()
		},
	}
}

// alias adds a hidden second spelling of the flag name to fs, sharing its value.
// short may be "".
func alias(fs *pflag.FlagSet, name, spelling, short string) *pflag.Flag {
	f := fs.Lookup(name)
	if f == nil {
		panic("osr: alias of unknown flag " + name)
	}
	a := &pflag.Flag{Name: spelling, Shorthand: short, Value: f.Value, DefValue: f.DefValue,
		NoOptDefVal: f.NoOptDefVal, Usage: "same as --" + name, Hidden: true}
	fs.AddFlag(a)
	return a
}

// deprecatedAlias is alias for a spelling that warns when given: use is what
// to write instead.
func deprecatedAlias(fs *pflag.FlagSet, name, spelling, short, use string) {
	a := alias(fs, name, spelling, short)
	a.Annotations = map[string][]string{annotDeprecated: {use}}
}

// warnDeprecated prints a warning for every deprecated spelling the command
// line used.
func warnDeprecated(w io.Writer, cmd *cobra.Command) {
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if use, ok := f.Annotations[annotDeprecated]; ok {
			spelled := "--" + f.Name
			if f.Shorthand != "" {
				spelled = "-" + f.Shorthand + "/" + spelled
			}
			fmt.Fprintf(w, "osr: warning: %s is deprecated; use %s\n", spelled, use[0])
		}
	})
}

// noArgs refuses positional arguments with a usage error.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

// flagUsages lists the flags of fs, one a line: "-x, --name ARG  what it does (default …)".
func flagUsages(fs *pflag.FlagSet) string {
	type row struct{ left, right string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		arg, usage := pflag.UnquoteUsage(f)
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		switch f.Value.Type() {
		case "bool", "count":
		default:
			left += " " + arg
		}
		if isDefaultShown(f) {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
			if f.Value.Type() == "string" {
				usage = strings.TrimSuffix(usage, fmt.Sprintf(" (default %s)", f.DefValue)) + fmt.Sprintf(" (default %q)", f.DefValue)
			}
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	})
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s   %s\n", width, r.left, r.right)
	}
	return b.String()
}

// isDefaultShown reports whether a flag's default is worth printing.
func isDefaultShown(f *pflag.Flag) bool {
	switch f.Value.Type() {
	case "bool", "count":
		return false
	}
	switch f.DefValue {
	case "", "0", "false", "[]", "0s":
		return false
	}
	return true
}
