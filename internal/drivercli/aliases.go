// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/internal/cli"
)

// The CLI's helpers under the names the commands here use.
var (
	usagef                = cli.Usagef
	noArgs                = cli.NoArgs
	subcommandArgs        = cli.SubcommandArgs
	groupRun              = cli.GroupRun
	completeValues        = cli.CompleteValues
	kernelVersions        = cli.KernelVersions
	bindClusterFlag       = cli.BindClusterFlag
	fileExists            = cli.FileExists
	envOr                 = cli.EnvOr
	writeJSON             = cli.WriteJSON
	problemsJSON          = cli.ProblemsJSON
	errReported           = cli.ErrReported
	register              = cli.Register
	driverProtocolVersion = func() int { return driver.ProtocolVersion }
)

type problemJSON = cli.ProblemJSON

const kernelFlagUsage = cli.KernelFlagUsage
