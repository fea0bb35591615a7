// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// Factory makes the driver Serve runs. It receives the logger the driver must log
// through: its lines go to stderr as JSON, and osr shows them in its own log (at
// boot, in the boot log) under the driver's name while the call runs. A driver
// keeps the logger in its struct.
type Factory func(log hclog.Logger) Driver

// ServeOption changes how Serve runs a driver.
type ServeOption func(*serveConfig)

type serveConfig struct {
	logger hclog.Logger
}

// WithLogger replaces the logger Serve makes (JSON on stderr) for both the plugin
// machinery and the driver.
func WithLogger(l hclog.Logger) ServeOption {
	return func(c *serveConfig) { c.logger = l }
}

// Serve runs the driver newDriver makes and returns when osr is done with it. It is
// the whole main of a driver binary:
//
//	func main() {
//		driver.Serve(func(log hclog.Logger) driver.Driver { return &myDriver{log: log} })
//	}
//
// A driver must never write to stdout: stdout carries the handshake with osr. It
// logs through the logger it is handed.
//
// Run by hand with --version, the binary prints its name and version and exits.
func Serve(newDriver Factory, opts ...ServeOption) {
	sc := &serveConfig{}
	for _, o := range opts {
		o(sc)
	}
	if sc.logger == nil {
		sc.logger = hclog.New(&hclog.LoggerOptions{
			Level:      hclog.Trace,
			Output:     os.Stderr,
			JSONFormat: true,
		})
	}
	impl := newDriver(sc.logger)
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		info, err := impl.Describe(context.Background())
		if err != nil {
			fmt.Fprintf(os.Stderr, "describe: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("%s %s (osr driver protocol %d; serves %v)\n", info.Name, info.Version, ProtocolVersion, info.FSTypes)
		os.Exit(0)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         pluginSet(impl),
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          sc.logger,
	})
}
