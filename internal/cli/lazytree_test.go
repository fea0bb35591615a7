// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/internal/clilog"
)

// TestRegisteredNames: a command registered with its names is made under
// exactly those names (its name first, then its aliases).
func TestRegisteredNames(t *testing.T) {
	e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, queryEntry: osrQueryEntry}
	named := 0
	for _, c := range commands {
		if c.names == nil {
			continue
		}
		named++
		made := c.make(e)
		if want := append([]string{made.Name()}, made.Aliases...); !slices.Equal(c.names, want) {
			t.Errorf("registered as %q, made as %q", c.names, want)
		}
	}
	if named == 0 {
		t.Fatal("no command is registered with its names")
	}
}

func TestNamedCommand(t *testing.T) {
	fs := newRoot(&env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}, nil).PersistentFlags()
	tests := []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"version"}, "version"},
		{[]string{"cluster", "query", "nodeids"}, "cluster"},
		{[]string{"-q", "cdsl", "list"}, "cdsl"},
		{[]string{"-v", "--log-level", "debug", "inspect", "x.img"}, "inspect"},
		{[]string{"--config", "version", "pxe"}, "pxe"}, // version is --config's value
		{[]string{"--config=version", "cdsl"}, "cdsl"},
		{[]string{"--driver-dir", "/d", "--driver-dir=/e", "version"}, "version"},
		{[]string{"--verbose", "--quiet=false", "version"}, "version"},
		{[]string{"help", "version"}, ""},
		{[]string{"-h", "version"}, ""},
		{[]string{"--help", "version"}, ""},
		{[]string{"--version"}, ""},
		{[]string{"-vv", "version"}, ""},            // combined shorthands: the whole tree
		{[]string{"--no-such-flag", "version"}, ""}, // cobra reports it, with the whole tree
		{[]string{"--", "version"}, ""},
		{[]string{"completion", "bash"}, ""},
		{[]string{"__complete", "version", ""}, ""},
		{[]string{"build"}, ""}, // a stand-in
		{[]string{"versoin"}, ""},
		{[]string{"--config"}, ""},
	}
	for _, tt := range tests {
		if got := namedCommand(fs, tt.args); got != tt.want {
			t.Errorf("namedCommand(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestTreeForOneCommand: a run that builds only the named command prints what
// the whole tree prints: help, usage errors and output.
func TestTreeForOneCommand(t *testing.T) {
	runs := [][]string{
		{"version"},
		{"-q", "version", "--paths"},
		{"version", "extra"},
		{"version", "--no-such-flag"},
		{"version", "--help"},
		{"inspect", "--help"},
		{"inspect"},
		{"pxe", "--help"},
		{"cluster"},
		{"cluster", "--help"},
		{"cluster", "query", "--help"},
		{"cluster", "qeury"},
		{"--log-level", "off", "cdsl", "--help"},
		{"cdsl", "nodes", "--help"},
		{"cdsl", "rm", "--help"},
	}
	// run executes args in a tree made for them (lazy) or in the whole tree.
	run := func(args []string, whole bool) string {
		var out bytes.Buffer
		e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &out, queryEntry: osrQueryEntry}
		e.log = clilog.New(e.stderr, e.initialLevel())
		treeArgs := args
		if whole {
			treeArgs = nil
		}
		root := newRoot(e, treeArgs)
		root.SetArgs(args)
		cmd, err := root.ExecuteC()
		code := e.exitCode(cmd, err, nil)
		return out.String() + "\nexit " + strconv.Itoa(code)
	}
	for _, args := range runs {
		lazy, whole := run(args, false), run(args, true)
		if lazy != whole {
			t.Errorf("osr %s\n--- with the one command:\n%s\n--- with the whole tree:\n%s", strings.Join(args, " "), lazy, whole)
		}
	}
	// The tree made for a named command holds it and the stand-ins only.
	e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	var names []string
	for _, c := range newRoot(e, []string{"version"}).Commands() {
		if !isStandIn(c) && c.Name() != "completion" && c.Name() != "help" {
			names = append(names, c.Name())
		}
	}
	if !slices.Equal(names, []string{"version"}) {
		t.Errorf("the tree for osr version holds %q", names)
	}
}
