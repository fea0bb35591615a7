// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"context"
	"io"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/internal/cli"
)

// The CLI's helpers under the names the commands here use.
var (
	usagef          = cli.Usagef
	noArgs          = cli.NoArgs
	subcommandArgs  = cli.SubcommandArgs
	groupRun        = cli.GroupRun
	completeValues  = cli.CompleteValues
	kernelVersions  = cli.KernelVersions
	bindClusterFlag = cli.BindClusterFlag
	fileExists      = cli.FileExists
	envOr           = cli.EnvOr
	writeJSON       = cli.WriteJSON
	problemsJSON    = cli.ProblemsJSON
	errReported     = cli.ErrReported
)

type problemJSON = cli.ProblemJSON

// registered are the names of the commands this package adds to osr's tree; osr
// lists each with a stand-in (cli.StandIns).
var registered = map[string]bool{}

// register adds a command to osr's tree.
func register(f func(e *env) *cobra.Command) {
	registered[f(cli.NewEnv(context.Background(), nil, io.Discard, io.Discard, hclog.NewNullLogger())).Name()] = true
	cli.Register(f)
}

const kernelFlagUsage = cli.KernelFlagUsage
