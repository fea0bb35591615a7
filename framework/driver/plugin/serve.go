// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"github.com/open-sharedroot/osr/framework/driver"

	"context"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

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
//		plugin.Serve(func(log hclog.Logger) driver.Driver { return &myDriver{log: log} })
//	}
//
// A driver must never write to stdout: stdout carries the handshake with osr. It
// logs through the logger it is handed.
//
// Run by hand with --version, the binary prints its name and version and exits.
func Serve(newDriver driver.Factory, opts ...ServeOption) {
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
		fmt.Printf("%s %s (osr driver protocol %d; serves %v)\n", info.Name, info.Version, driver.ProtocolVersion, info.FSTypes)
		os.Exit(0)
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         pluginSet(impl),
		GRPCServer:      goplugin.DefaultGRPCServer,
		Logger:          sc.logger,
	})
}
