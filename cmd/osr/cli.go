// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/go-hclog"
)

// version is osr's version: set at link time with -ldflags "-X main.version=…" (make
// passes git describe), else taken from the module's build information (see buildVersion).
var version = buildVersion()

// env is what every command runs with: its streams, the global flags and the logger.
// Commands never touch os.Stdout or os.Args directly, so tests run them in-process.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	global globalFlags
	log    hclog.Logger
}

// globalFlags are accepted by every command, before or after the command's name.
type globalFlags struct {
	configFile string     // osr.hcl; "" means the default search
	driverDirs stringList // extra driver directories, searched first
	logLevel   string
}

// command is one top-level command group ("cluster", "cdsl", "build", …).
type command struct {
	name    string
	summary string
	// usage is printed by "osr help NAME"; its first line is the synopsis.
	usage string
	run   func(e *env, args []string) error
}

var commands = map[string]*command{}

// register adds a command group; each command file calls it from init.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("osr: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// exitError carries a specific exit code (for example the number of failed queries)
// without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is returned for wrong invocations; Run prints it with a hint and exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Run is the whole CLI: it parses the global flags, picks the command and runs it.
// It returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runMapped(ctx, args, stdin, stdout, stderr, nil)
}

// runMapped is Run with exitFor, when not nil, choosing the exit code of an
// error (the originals' codes for their command names).
func runMapped(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, exitFor func(error) int) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	top := flag.NewFlagSet("osr", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	e.global.bind(top)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeHelp(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "osr: %v\nRun 'osr help' for usage.\n", err)
		return 2
	}
	rest := top.Args()
	if len(rest) == 0 {
		writeHelp(stderr)
		return 2
	}
	name, cargs := rest[0], rest[1:]
	if name == "help" || name == "--help" || name == "-h" {
		return runHelp(stdout, stderr, cargs)
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "osr: unknown command %q%s\nRun 'osr help' for the list of commands.\n", name, suggest(name, commandNames()))
		return 2
	}
	e.log = newLogger(stderr, e.global.logLevel)
	err := c.run(e, cargs)
	return exitCode(stderr, c.name, err, exitFor)
}

func exitCode(stderr io.Writer, name string, err error, exitFor func(error) int) int {
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "osr %s: %v\nRun 'osr help %s' for usage.\n", name, err, name)
		return 2
	default:
		fmt.Fprintf(stderr, "osr %s: %v\n", name, err)
		if exitFor != nil {
			return exitFor(err)
		}
		return 1
	}
}

func (g *globalFlags) bind(fs *flag.FlagSet) {
	if g.logLevel == "" {
		g.logLevel = envOr("OSR_LOG_LEVEL", "warn")
	}
	fs.StringVar(&g.configFile, "config", g.configFile, "osr configuration `FILE` (default $OSR_CONFIG or /etc/osr/osr.hcl)")
	fs.Var(&g.driverDirs, "driver-dir", "search `DIR` for osr-driver-* binaries (repeatable; also $OSR_DRIVER_PATH)")
	fs.StringVar(&g.logLevel, "log-level", g.logLevel, "log `LEVEL`: trace, debug, info, warn, error, off")
}

// flagSet returns a flag set for a subcommand that also accepts the global flags.
// Its errors go to the caller, its usage text to stderr.
func (e *env) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	e.global.bind(fs)
	return fs
}

// parse parses args with fs and re-creates the logger, since --log-level may have changed.
// Flags may follow positional arguments ("osr drivers show nfs --driver-dir bin"),
// up to a "--".
func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// flag stops at the first positional argument or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	e.log = newLogger(e.stderr, e.global.logLevel)
	return pos, nil
}

func newLogger(w io.Writer, level string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:   "osr",
		Level:  hclog.LevelFromString(level),
		Output: w,
	})
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// suggest returns ", did you mean X?" when a known name is close to the given one.
func suggest(given string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := levenshtein.Distance(given, k, nil); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func writeHelp(w io.Writer) {
	fmt.Fprintf(w, `osr — open sharedroot: boot many nodes from one shared root filesystem

Usage: osr [global flags] COMMAND [ARGS…]

Commands:
`)
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, `  %-10s %s

Global flags (accepted by every command):
  --config FILE      osr configuration (default $OSR_CONFIG, then /etc/osr/osr.hcl)
  --driver-dir DIR   search DIR for osr-driver-* binaries (repeatable; also $OSR_DRIVER_PATH)
  --log-level LEVEL  trace, debug, info, warn (default), error, off

Run 'osr help COMMAND' for a command's usage.
`, "help", "show this help or a command's usage")
}

func runHelp(stdout, stderr io.Writer, args []string) int {
	if len(args) == 0 {
		writeHelp(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "osr help: unknown command %q%s\n", args[0], suggest(args[0], commandNames()))
		return 2
	}
	fmt.Fprintf(stdout, "%s\n", strings.TrimSpace(c.usage))
	return 0
}
