// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"context"
	"io"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/config"
	"github.com/open-sharedroot/osr/internal/buildinfo"
)

// What the commands that talk to drivers (internal/drivercli) use of the CLI.
// They register into the same command tree; only the binary that links them
// (osr-driverhost) pays for gRPC and protobuf.

// Env is what every command runs with: its streams, the global flags and the logger.
type Env = env

// LoadedConfig is osr.hcl with the loader that knows its sources.
type LoadedConfig = loadedConfig

// Context is the command's context.
func (e *env) Context() context.Context { return e.ctx }

// Stdin is the command's standard input.
func (e *env) Stdin() io.Reader { return e.stdin }

// Stdout is the command's standard output.
func (e *env) Stdout() io.Writer { return e.stdout }

// Stderr is the command's standard error.
func (e *env) Stderr() io.Writer { return e.stderr }

// Log is the logger, at the level the global flags chose.
func (e *env) Log() hclog.Logger { return e.log }

// ConfigFile is --config ("" means the default search).
func (e *env) ConfigFile() string { return e.global.configFile }

// DriverDirs are the --driver-dir directories, searched first.
func (e *env) DriverDirs() []string { return e.global.driverDirs }

// LoadConfig reads osr.hcl and its conf.d; errors are printed and returned as ErrReported.
func (e *env) LoadConfig() (*LoadedConfig, error) { return e.loadConfig() }

// Report prints diagnostics and returns ErrReported when one is an error.
func (e *env) Report(l *config.Loader, diags hcl.Diagnostics) error { return e.report(l, diags) }

// ClusterFile picks the cluster file from --cluster and osr.hcl (see config.ResolveCluster).
func (e *env) ClusterFile(flagValue string, cfg *config.Config) (config.ClusterFile, error) {
	return e.clusterFile(flagValue, cfg)
}

// WarnCluster prints the warnings of a loaded cluster configuration.
func (e *env) WarnCluster(c *cluster.Cluster) { e.warnCluster(c) }

// Loader is the loader that read the configuration (for its diagnostics).
func (c *loadedConfig) Loader() *config.Loader { return c.loader }

// Register adds a top-level command to the tree; it replaces the stand-in of a
// command of the same name (see driverCommands).
func Register(f func(e *Env) *cobra.Command) { register(f) }

// Version is osr's version.
func Version() string { return buildinfo.Version() }

// ErrReported means the problem was already printed; the command only has to fail.
var ErrReported = errReported

// Usagef is a wrong invocation: osr prints it with a hint and exits 2.
func Usagef(format string, args ...any) error { return usagef(format, args...) }

// ExitCode makes an error that ends osr with code and prints nothing more.
func ExitCode(code int) error { return exitError{code} }

// NoArgs refuses positional arguments.
func NoArgs(c *cobra.Command, args []string) error { return noArgs(c, args) }

// SubcommandArgs checks a command group's arguments.
func SubcommandArgs(c *cobra.Command, args []string) error { return subcommandArgs(c, args) }

// GroupRun is the RunE of a command group called without a subcommand.
func GroupRun(c *cobra.Command, args []string) error { return groupRun(c, args) }

// CompleteValues makes the shells complete flag's value from a fixed list.
func CompleteValues(c *cobra.Command, flag string, values ...string) {
	completeValues(c, flag, values...)
}

// KernelVersions completes the kernels whose modules are installed.
func KernelVersions(c *cobra.Command, args []string, s string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return kernelVersions(c, args, s)
}

// BindClusterFlag binds --cluster (-c) and its deprecated spelling to dst.
func BindClusterFlag(fs *pflag.FlagSet, dst *string) { bindClusterFlag(fs, dst) }

// FileExists reports whether path names an existing file or directory.
func FileExists(path string) bool { return fileExists(path) }

// EnvOr is the environment variable key, or def when it is empty.
func EnvOr(key, def string) string { return envOr(key, def) }

// KernelFlagUsage is --kernel's help, the same in every command.
const KernelFlagUsage = kernelFlagUsage

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error { return writeJSON(w, v) }

// ProblemJSON is one problem of a cluster configuration, as JSON.
type ProblemJSON = problemJSON

// ProblemsJSON converts a cluster configuration's problems.
func ProblemsJSON(ps []cluster.Problem) []ProblemJSON { return problemsJSON(ps) }

// NewLoadedConfig pairs a configuration with the loader that read it.
func NewLoadedConfig(cfg *config.Config, l *config.Loader) *LoadedConfig {
	return &loadedConfig{Config: cfg, loader: l}
}

// Tree is the command tree as osr makes it, writing to out (for the man pages,
// completions and help tests).
func Tree(out io.Writer) *cobra.Command {
	return newRoot(&env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: out, stderr: out, queryEntry: osrQueryEntry}, nil)
}

// Synopsis is a command's usage line as osr's help prints it.
func Synopsis(c *cobra.Command) string { return synopsis(c) }

// NewEnv is an environment for a command run in-process.
func NewEnv(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, log hclog.Logger) *Env {
	return &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, log: log, queryEntry: osrQueryEntry}
}

// VersionLine is what osr version prints.
func VersionLine() string { return versionLine() }

// StandIns are the names and one-line help osr lists for the top-level
// commands that run in osr-driverhost.
func StandIns() map[string]string {
	out := map[string]string{}
	for _, d := range driverCommands {
		if d.parent == "" {
			name, _, _ := strings.Cut(d.use, " ")
			out[name] = d.short
		}
	}
	return out
}

// StandIn is how osr lists a command that runs in osr-driverhost.
type StandIn struct{ Use, Short string }

// ClusterStandIns are osr cluster's subcommands that run in osr-driverhost,
// by name.
func ClusterStandIns() map[string]StandIn {
	out := map[string]StandIn{}
	for _, d := range driverCommands {
		if d.parent == "cluster" {
			name, _, _ := strings.Cut(d.use, " ")
			out[name] = StandIn{d.use, d.short}
		}
	}
	return out
}

// What the cluster stack's commands (internal/stackcli: osr cluster fence,
// fence-ack, status and watch) use of the CLI. They run in osr-driverhost
// too: they link the fence methods (ssh, IPMI), which osr does not pay for at
// start.

// RegisterCluster adds a subcommand to osr cluster; it replaces the stand-in
// of a subcommand of the same name (see driverCommands).
func RegisterCluster(f func(e *Env) *cobra.Command) {
	clusterCommands = append(clusterCommands, f)
}

// ClusterFileFlags is osr cluster's cluster file option: --cluster (-c), and
// the originals' spellings, which warn.
type ClusterFileFlags = clusterFileFlags

// Bind adds the flags to fs.
func (f *clusterFileFlags) Bind(fs *pflag.FlagSet) { f.bind(fs) }

// File is the cluster file the flags name; "" for none.
func (f *clusterFileFlags) File() string { return f.file }

// SetFile names the cluster file, as --cluster would.
func (f *clusterFileFlags) SetFile(path string) { f.file = path }

// LoadCluster reads the cluster file: explicit when given, else the one the
// flags, $OSR_CLUSTER_CONF or osr.hcl name, else the default.
func LoadCluster(e *Env, f *ClusterFileFlags, explicit string) (*cluster.Cluster, error) {
	return loadCluster(e, f, explicit)
}

// ClusterFileFromConfigFlag is the cluster file a --config names (the old
// spelling, with a warning), or "".
func (e *env) ClusterFileFromConfigFlag() (string, error) { return e.clusterFileFromConfigFlag() }
