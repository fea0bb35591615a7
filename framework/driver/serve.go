package driver

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// ServeOption changes how Serve runs a driver.
type ServeOption func(*plugin.ServeConfig)

// WithLogger sets the logger the plugin machinery writes to. Its output goes to
// stderr, which osr reads and logs under the driver's name.
func WithLogger(l hclog.Logger) ServeOption {
	return func(c *plugin.ServeConfig) { c.Logger = l }
}

// Serve runs impl as an osr driver and returns when osr is done with it. It is the
// whole main of a driver binary. A driver must never write to stdout: stdout carries
// the handshake with osr. Log to stderr (or through Logger()).
//
// Run by hand with --version, the binary prints its name and version and exits.
func Serve(impl Driver, opts ...ServeOption) {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		info, err := impl.Describe(context.Background())
		if err != nil {
			fmt.Fprintf(os.Stderr, "describe: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("%s %s (osr driver protocol %d; serves %v)\n", info.Name, info.Version, ProtocolVersion, info.FSTypes)
		os.Exit(0)
	}
	cfg := &plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         pluginSet(impl),
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          Logger(),
	}
	for _, o := range opts {
		o(cfg)
	}
	plugin.Serve(cfg)
}

// Logger returns a logger for driver code: JSON on stderr, which osr decodes and
// re-logs with the driver's name and the user's --log-level.
func Logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Level:      hclog.Trace,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}
