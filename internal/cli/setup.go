// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/open-sharedroot/osr/framework/config"
)

// errReported means the problem was already printed (as HCL diagnostics); the
// command only has to fail.
var errReported = errors.New("errors reported above")

// loadedConfig is the configuration with the loader that knows its sources.
type loadedConfig struct {
	*config.Config
	loader *config.Loader
}

// loadConfig reads osr.hcl (from --config, $OSR_CONFIG or the default) and its
// conf.d. Warnings are printed; errors are printed and turned into errReported.
func (e *env) loadConfig() (*loadedConfig, error) {
	path, explicit := config.ResolvePath(e.global.configFile)
	l := config.NewLoader()
	cfg, diags := l.Load(path, explicit)
	if err := e.report(l, diags); err != nil {
		return nil, err
	}
	e.log.Debug("configuration loaded", "files", cfg.Files)
	return &loadedConfig{Config: cfg, loader: l}, nil
}

// report prints diagnostics and returns errReported when one is an error.
func (e *env) report(l *config.Loader, diags hcl.Diagnostics) error {
	if len(diags) == 0 {
		return nil
	}
	if err := l.WriteDiagnostics(e.stderr, diags); err != nil {
		return fmt.Errorf("print diagnostics: %w", err)
	}
	if diags.HasErrors() {
		return errReported
	}
	return nil
}

// fileExists reports whether path names an existing file or directory.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
