// SPDX-License-Identifier: Apache-2.0

package drivercli

import "github.com/open-sharedroot/osr/internal/cli"

// env is what every command runs with (see cli.Env).
type env = cli.Env

// loadedConfig is osr.hcl with the loader that knows its sources.
type loadedConfig = cli.LoadedConfig
