// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/open-sharedroot/osr/internal/clilog"
)

// env is what every command runs with: its streams, the global flags and the logger.
// Commands never touch os.Stdout or os.Args directly, so tests run them in-process.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	global globalFlags
	log    hclog.Logger
	// queryEntry is the command line osr cluster query answers for: osr's own,
	// or com-queryclusterconf's habits when osr runs under that name.
	queryEntry queryEntry
	// argv is the process's command line when osr runs as a program (Main), for
	// the exec of osr-driverhost; nil in in-process runs.
	argv []string
}

// globalFlags are accepted by every command, before or after the command's name.
type globalFlags struct {
	configFile string   // osr.hcl; "" means the default search
	driverDirs []string // extra driver directories, searched first
	logLevel   string
	quiet      bool
	verbose    int
}

// commandFunc makes one command of the tree for e. The tree is made anew for
// every run, so flags bind to fresh variables.
type commandFunc func(e *env) *cobra.Command

// topCommand is a registered top-level command. names, when set, are the
// command's name and aliases: a run that names another command does not make it.
type topCommand struct {
	names []string
	make  commandFunc
}

var commands []topCommand

// register adds a top-level command; each command file calls it from init.
func register(f commandFunc) { commands = append(commands, topCommand{make: f}) }

// registerNamed is register for a command whose name and aliases are known
// without making it (tests check they match the command made).
func registerNamed(f commandFunc, names ...string) {
	commands = append(commands, topCommand{names: names, make: f})
}

// exitError carries a specific exit code (for example the number of failed queries)
// without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is returned for wrong invocations; Run prints it with a hint and exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Run is the whole CLI: it parses the command line, runs the command and
// returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, queryEntry: osrQueryEntry}
	return e.run(args, nil)
}

// run executes the command line args; exitFor, when not nil, chooses the exit
// code of an error (the originals' codes for their command names).
func (e *env) run(args []string, exitFor func(error) int) int {
	e.log = clilog.New(e.stderr, e.initialLevel())
	root := newRoot(e, args)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	return e.exitCode(cmd, err, exitFor)
}

func (e *env) exitCode(cmd *cobra.Command, err error, exitFor func(error) int) int {
	var ee exitError
	var ue usageError
	name := "osr"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	if e.queryEntry.name != osrQueryEntry.name && strings.HasPrefix(name, "osr cluster query") {
		name = e.queryEntry.name
	}
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		fmt.Fprintf(e.stderr, "Run '%s' for usage.\n", helpCommandFor(name))
		return 2
	default:
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		if exitFor != nil {
			return exitFor(err)
		}
		return 1
	}
}

// helpCommandFor is the help command for a command path ("osr cdsl add" →
// "osr help cdsl add").
func helpCommandFor(path string) string {
	rest, ok := strings.CutPrefix(path, "osr ")
	if !ok {
		return "osr help"
	}
	return "osr help " + rest
}

// initialLevel is the log level before the flags are parsed: $OSR_LOG_LEVEL or warn.
func (e *env) initialLevel() string {
	return envOr("OSR_LOG_LEVEL", "warn")
}

// setupLog re-creates the logger once the flags are parsed: -q and -v win over
// --log-level, which wins over $OSR_LOG_LEVEL.
func (e *env) setupLog() {
	level := e.global.logLevel
	switch {
	case e.global.quiet:
		level = "error"
	case e.global.verbose == 1:
		level = "info"
	case e.global.verbose > 1:
		level = "debug"
	}
	e.log = clilog.New(e.stderr, level)
}

// newRoot makes the command tree for the command line args. When args name a
// registered top-level command after known global flags, the tree holds that
// command only (with the stand-ins): osr version, osr cluster query and the
// others do not make every other command's flags at each start. Otherwise
// (help, completion, no or an unknown command, nil args) it is the whole tree.
func newRoot(e *env, args []string) *cobra.Command {
	root := &cobra.Command{
		Use:   "osr",
		Short: "open sharedroot: boot many nodes from one shared root filesystem",
		Long: `osr builds the initrd that boots many Linux nodes from one shared root filesystem
(osr build), runs inside it as /init, answers questions about the cluster
configuration (osr cluster) and manages context dependent symlinks (osr cdsl).`,
		Version:       versionLine(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Without a command: the help, on standard error, and exit 2.
			cmd.SetOut(e.stderr)
			if err := cmd.Help(); err != nil {
				return err
			}
			return exitError{2}
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return e.afterParse(cmd) },
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.Annotations = map[string]string{annotSynopsis: "osr [global flags] COMMAND [ARGS…]"}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().Bool("version", false, "print osr's version and exit")
	root.PersistentFlags().BoolP("help", "h", false, "show this help")
	e.bindGlobal(root.PersistentFlags())
	completeValues(root, "log-level", "trace", "debug", "info", "warn", "error", "off")
	root.SetFlagErrorFunc(flagError)
	root.SetHelpTemplate(helpTemplate)
	root.SetUsageTemplate(helpTemplate)
	root.SetHelpCommand(newHelpCmd(e, root))
	only := namedCommand(root.PersistentFlags(), args)
	for _, c := range commands {
		if only != "" && c.names != nil && !slices.Contains(c.names, only) {
			continue
		}
		root.AddCommand(c.make(e))
	}
	e.driverStandIns(root)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Short = "print a bash, zsh, fish or powershell completion script"
		}
	}
	return root
}

// namedCommand is the top-level command args name, when it is one registered
// with its names and only global flags of fs come before it; "" otherwise.
func namedCommand(fs *pflag.FlagSet, args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		var f *pflag.Flag
		switch {
		case !strings.HasPrefix(a, "-"):
			for _, c := range commands {
				if c.names != nil && slices.Contains(c.names, a) {
					return a
				}
			}
			return ""
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name, _, _ := strings.Cut(a[2:], "=")
			f = fs.Lookup(name)
		case len(a) == 2:
			f = fs.ShorthandLookup(a[1:])
		}
		if f == nil || f.Name == "help" {
			return ""
		}
		if f.NoOptDefVal == "" && !strings.Contains(a, "=") {
			i++ // the flag's value
		}
	}
	return ""
}

// afterParse runs before every command, once its flags are parsed: it sets
// the log level and warns about deprecated spellings.
func (e *env) afterParse(cmd *cobra.Command) error {
	e.setupLog()
	warnDeprecated(e.stderr, cmd)
	return nil
}

func (e *env) bindGlobal(fs *pflag.FlagSet) {
	e.global.logLevel = e.initialLevel()
	fs.StringVar(&e.global.configFile, "config", "", "osr configuration `FILE` (default $OSR_CONFIG, then /etc/osr/osr.hcl)")
	fs.StringArrayVar(&e.global.driverDirs, "driver-dir", nil, "search `DIR` for osr-driver-* binaries first (repeatable; also $OSR_DRIVER_PATH)")
	fs.StringVar(&e.global.logLevel, "log-level", e.global.logLevel, "log `LEVEL`: trace, debug, info, warn, error, off (also $OSR_LOG_LEVEL)")
	fs.BoolVarP(&e.global.quiet, "quiet", "q", false, "print errors only")
	fs.CountVarP(&e.global.verbose, "verbose", "v", "print what osr does (-vv: and debug messages)")
}

// envOr is the environment variable key, or def when it is empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
