// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/open-sharedroot/osr/internal/cli"
	"github.com/open-sharedroot/osr/internal/clilog"
)

// run runs the CLI in-process and returns its exit code and streams.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// commandPaths lists every visible command and subcommand of the tree
// ("build", "cdsl add", "cdsl nodes remove", …).
func commandPaths() [][]string {
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, s := range c.Commands() {
			if !s.IsAvailableCommand() {
				continue
			}
			p := append(append([]string(nil), path...), s.Name())
			out = append(out, p)
			walk(s, p)
		}
	}
	walk(docsTree(), nil)
	return out
}

// TestHelpEverywhere: every command and subcommand has help on standard output
// with exit 0, through --help, -h and osr help.
func TestHelpEverywhere(t *testing.T) {
	paths := commandPaths()
	if len(paths) < 30 {
		t.Fatalf("only %d commands in the tree", len(paths))
	}
	for _, p := range paths {
		name := strings.Join(p, " ")
		for _, args := range [][]string{append(append([]string(nil), p...), "--help"), append(append([]string(nil), p...), "-h"), append([]string{"help"}, p...)} {
			code, out, errOut := run(t, args...)
			if code != 0 || errOut != "" {
				t.Errorf("osr %s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, errOut)
				continue
			}
			if !strings.HasPrefix(out, "Usage: osr "+name) {
				t.Errorf("osr %s: help starts %.60q; want Usage: osr %s", strings.Join(args, " "), out, name)
			}
		}
	}
}

// TestBadUsage: unknown flags and commands exit 2 with one line (and the
// hint), suggesting a close name.
func TestBadUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"verison"}, `osr: unknown command "verison"; did you mean "version"?`},
		{[]string{"buidl"}, `osr: unknown command "buidl"; did you mean "build"?`},
		{[]string{"build", "--outptu", "x"}, `osr build: unknown flag --outptu; did you mean --output?`},
		{[]string{"build", "--drvier=nfs"}, `osr build: unknown flag --drvier; did you mean --driver?`},
		{[]string{"build", "-driver", "nfs"}, `osr build: unknown flag -driver; did you mean --driver?`},
		{[]string{"build", "--frobnicate"}, `osr build: unknown flag --frobnicate`},
		{[]string{"build", "--level", "high"}, `osr build: invalid argument "high" for "--level" flag`},
		{[]string{"build", "--output"}, `osr build: flag needs an argument: --output`},
		{[]string{"cdsl", "nods"}, `osr cdsl: unknown subcommand "nods"; did you mean "nodes"?`},
		{[]string{"cdsl"}, `osr cdsl: missing subcommand; one of add, check, destroy, diff, foreach, get, init, list, migrate, nodes, rm`},
		{[]string{"cluster", "query", "--sufix", "x"}, `osr cluster query: unknown flag --sufix; did you mean --suffix?`},
		{[]string{"drivers", "shwo"}, `osr drivers: unknown subcommand "shwo"; did you mean "show"?`},
		{[]string{"help", "cdsl", "ad"}, `osr help: unknown subcommand "ad"; did you mean "add"?`},
		{[]string{"version", "extra"}, `osr version: unexpected argument "extra"`},
		{[]string{"--log-levl", "debug", "version"}, `osr version: unknown flag --log-levl; did you mean --log-level?`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if code != 2 || out != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], tt.want) || !strings.HasPrefix(lines[1], "Run 'osr help") {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, and %q with a hint", code, out, errOut, tt.want)
			}
		})
	}
	// Without a command: the help on standard error, exit 2.
	if code, out, errOut := run(t); code != 2 || out != "" || !strings.Contains(errOut, "Commands:") {
		t.Errorf("osr: exit %d, stdout %q, stderr %.80q; want 2 and the help on stderr", code, out, errOut)
	}
}

// TestVersionAgrees: osr --version and osr version print the same line.
func TestVersionAgrees(t *testing.T) {
	c1, flag, _ := run(t, "--version")
	c2, cmd, _ := run(t, "version")
	if c1 != 0 || c2 != 0 || flag != cmd || !strings.HasPrefix(flag, "osr "+cli.Version()+" (driver protocol ") {
		t.Errorf("--version: %d %q; version: %d %q", c1, flag, c2, cmd)
	}
}

// TestOneMeaningPerFlag: a long flag name has one meaning across the CLI
// (the same usage text wherever it appears, up to the words that name the
// command's own subject), and a short flag stands for one long name.
func TestOneMeaningPerFlag(t *testing.T) {
	// Flags whose usage differs between commands on purpose, with the reason.
	allowed := map[string]string{
		"json":         "each command prints its own JSON",
		"dry-run":      "each command says what it shows instead",
		"root":         "the root a command works on",
		"fstype":       "the root filesystem type",
		"driver":       "the driver",
		"force":        "what force overrides differs",
		"purge":        "the copies purged",
		"output":       "the file a command writes",
		"from":         "the node a copy comes from",
		"listfile-dir": "listfile directories",
		"listfile":     "on-request listfiles",
		"help":         "help",
		"recursive":    "the originals' -R: cdsl get looks at the parents, cdsl rm removes the children first",
	}
	long := map[string]string{}
	short := map[string]string{}
	for _, p := range append(commandPaths(), nil) {
		c, _, err := docsTree().Find(p)
		if err != nil {
			t.Fatal(err)
		}
		c.Flags().AddFlagSet(c.InheritedFlags())
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			if prev, ok := long[f.Name]; ok && prev != f.Usage && allowed[f.Name] == "" {
				t.Errorf("--%s means %q in osr %s but %q elsewhere", f.Name, f.Usage, strings.Join(p, " "), prev)
			}
			long[f.Name] = f.Usage
			if f.Shorthand == "" {
				return
			}
			if prev, ok := short[f.Shorthand]; ok && prev != f.Name && !shortAllowed(f.Shorthand) {
				t.Errorf("-%s is --%s in osr %s but --%s elsewhere", f.Shorthand, f.Name, strings.Join(p, " "), prev)
			}
			short[f.Shorthand] = f.Name
		})
	}
	if long["config"] != "osr configuration `FILE` (default $OSR_CONFIG, then /etc/osr/osr.hcl)" {
		t.Errorf("--config: %q", long["config"])
	}
}

// shortAllowed are the short flags com-queryclusterconf and the CDSL tools
// gave other meanings in their own commands, kept in osr cluster query and
// osr cdsl init: -m (--querymapfile / --mountpoint), -p (--properties /
// --node-prefix), -s (--separator / --shared).
func shortAllowed(s string) bool { return s == "m" || s == "p" || s == "s" }

// TestNotesShown: the build's warnings (missing firmware) show at the default
// level, the optional entries only with -v.
func TestNotesShown(t *testing.T) {
	notes := []string{"3 firmware files the modules declare are not on this system (install the firmware packages for hardware that needs them)",
		"optional, not on this system: binary /usr/sbin/multipathd"}
	for _, tt := range []struct {
		level        string
		fw, optional bool
	}{{"warn", true, false}, {"info", true, true}, {"error", false, false}} {
		var buf bytes.Buffer
		reportNotes(cli.NewEnv(context.Background(), nil, &buf, &buf, clilog.New(&buf, tt.level)), notes)
		got := buf.String()
		if strings.Contains(got, "osr: warning: 3 firmware files") != tt.fw || strings.Contains(got, "multipathd") != tt.optional {
			t.Errorf("level %s: %q", tt.level, got)
		}
	}
}
