// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"github.com/open-sharedroot/osr/framework/driver"

	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/open-sharedroot/osr/framework/driver/internal/driverpb"
)

// PluginName is the name the driver is dispensed under in go-plugin's plugin set.
const PluginName = "driver"

// Handshake is the go-plugin handshake osr and its drivers share. The cookie only
// stops a driver from being run by hand by mistake; it is not a security measure.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  driver.ProtocolVersion,
	MagicCookieKey:   "OSR_DRIVER_PLUGIN",
	MagicCookieValue: "4f5e1b3c9d2a7e86b0c4f1a9d3e7b52c8a6f0e1d9c3b7a5e2f4d6c8b0a1e3f57",
}

// Plugin is the go-plugin glue for a driver: gRPC only. Impl is set on the driver's
// side and nil on osr's side.
type Plugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl driver.Driver
}

// GRPCServer registers the driver's gRPC service.
func (p *Plugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterDriverServer(s, &grpcServer{impl: p.Impl})
	return nil
}

// GRPCClient returns a Driver that calls the driver process.
func (p *Plugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return newGRPCClient(c), nil
}

// pluginSet is the set of plugins a driver binary serves.
func pluginSet(impl driver.Driver) goplugin.PluginSet {
	return goplugin.PluginSet{PluginName: &Plugin{Impl: impl}}
}
