// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/internal/paths"
)

// driverProtocol is the major version of the driver protocol osr speaks
// (framework/driver.ProtocolVersion; a test in internal/drivercli keeps them equal).
// osr version prints it without linking the protocol's code.
const driverProtocol = 1

// DriverHostName is the program that runs the commands talking to drivers. osr
// execs it (same process, same arguments) for them, so that the commands that
// never start a driver do not pay for gRPC and protobuf at start.
const DriverHostName = "osr-driverhost"

// EnvLibexecDir overrides where osr looks for osr-driverhost first.
const EnvLibexecDir = "OSR_LIBEXEC_DIR"

// annotDriverHost marks the stand-in of a command that runs in osr-driverhost.
const annotDriverHost = "osr:driverhost"

// driverCommands are the commands that run in osr-driverhost, as osr lists
// them (under parent, "" for the top level): the commands that talk to
// drivers, whose flags, help and work live in internal/drivercli, and osr
// cluster's commands that act on the cluster stack and link the fence
// methods (internal/stackcli). Those packages register the real commands over
// these stand-ins.
var driverCommands = []struct{ parent, use, short string }{
	{"", "build", "build the shared-root initrd"},
	{"", "config COMMAND", "check osr's configuration (osr.hcl and conf.d)"},
	{"", "drivers [list | show NAME] [--json]", "list the installed filesystem drivers, or show one"},
	{"", "kernel-hook add|remove VERSION", "build or remove a kernel's image; called by the kernel hooks"},
	{"", "listfiles", "show what a build takes from the listfiles, and which listfile asked"},
	{"cluster", "fence NODE [--dry-run] [--cluster FILE]", "fence NODE now with its fence methods (or show them)"},
	{"cluster", "fence-ack NODE [--chroot DIR] [--wait DURATION] [--cluster FILE]", "acknowledge that NODE is dead (manual fencing)"},
	{"cluster", "status [--root DIR]", "this node's corosync, dlm_controld, quorum and lockspaces"},
	{"cluster", "watch [--root DIR]", "wait until corosync or dlm_controld ends (the systemd unit runs it)"},
}

// driverStandIns adds a stand-in for every command of driverCommands that the
// tree does not hold, under a parent the tree holds.
func (e *env) driverStandIns(root *cobra.Command) {
	parents := map[string]*cobra.Command{"": root}
	for _, c := range root.Commands() {
		parents[c.Name()] = c
	}
	for _, d := range driverCommands {
		parent := parents[d.parent]
		if parent == nil {
			continue
		}
		name, _, _ := strings.Cut(d.use, " ")
		if slices.ContainsFunc(parent.Commands(), func(c *cobra.Command) bool { return c.Name() == name }) {
			continue
		}
		parent.AddCommand(&cobra.Command{
			Use:                d.use,
			Short:              d.short,
			Annotations:        map[string]string{annotDriverHost: "true"},
			DisableFlagParsing: true,
			RunE:               func(*cobra.Command, []string) error { return e.execDriverHost() },
			ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
				// osr __complete build …: the real command completes.
				if err := e.execDriverHost(); err != nil {
					cobra.CompErrorln(err.Error())
				}
				return nil, cobra.ShellCompDirectiveError
			},
		})
	}
}

// isStandIn reports whether c runs in osr-driverhost.
func isStandIn(c *cobra.Command) bool { return c.Annotations[annotDriverHost] != "" }

// execDriverHost replaces this process with osr-driverhost, given the same
// command line (argv[0] included, so the original tools' names keep their
// meaning) and environment: the pid, exit code and signals stay the caller's.
func (e *env) execDriverHost() error {
	if e.argv == nil {
		return fmt.Errorf("this command runs in %s, which an in-process run cannot start", DriverHostName)
	}
	path, err := FindLibexec(DriverHostName)
	if err != nil {
		return err
	}
	err = syscall.Exec(path, e.argv, os.Environ())
	return fmt.Errorf("start %s: %w", path, err)
}

// FindLibexec finds osr's internal program name: in $OSR_LIBEXEC_DIR, next to the
// running osr, then in LIBEXECDIR/osr.
func FindLibexec(name string) (string, error) {
	var dirs []string
	if d := os.Getenv(EnvLibexecDir); d != "" {
		dirs = append(dirs, d)
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	dirs = append(dirs, filepath.Join(paths.LibexecDir(), "osr"))
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &missingProgramError{name, dirs}
}

// missingProgramError says which program is missing and where it was looked for.
type missingProgramError struct {
	name string
	dirs []string
}

func (m *missingProgramError) Error() string {
	return fmt.Sprintf("%s is not installed: looked in %s; install osr completely (make install, or the osr package), or point $%s at the directory that holds it",
		m.name, strings.Join(m.dirs, ", "), EnvLibexecDir)
}

// IsMissingProgram reports whether err says an internal program is missing.
func IsMissingProgram(err error) bool {
	var m *missingProgramError
	return errors.As(err, &m)
}
