// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"github.com/open-sharedroot/osr/framework/driver"

	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/open-sharedroot/osr/framework/driver/internal/driverpb"
)

// grpcServer adapts a Driver to the generated gRPC service.
type grpcServer struct {
	pb.UnimplementedDriverServer
	impl driver.Driver

	once     sync.Once
	confType cty.Type
	typeErr  error
}

// configType is the object type the driver's configuration travels as; it comes from
// the driver's own schema, so both sides agree on it.
func (s *grpcServer) configType(ctx context.Context) (cty.Type, error) {
	s.once.Do(func() {
		info, err := s.impl.Describe(ctx)
		if err != nil {
			s.typeErr = err
			return
		}
		s.confType = info.Schema.ImpliedType()
	})
	return s.confType, s.typeErr
}

// config decodes a request's configuration against the driver's own schema,
// as a gRPC status error when it cannot.
func (s *grpcServer) config(ctx context.Context, pc *pb.DynamicValue) (driver.Config, error) {
	t, err := s.configType(ctx)
	if err != nil {
		return driver.Config{}, status.Errorf(codes.Internal, "describe: %v", err)
	}
	cfg, err := configFromProto(pc, t)
	if err != nil {
		return driver.Config{}, status.Errorf(codes.InvalidArgument, "%v", err)
	}
	return cfg, nil
}

func (s *grpcServer) Describe(ctx context.Context, _ *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	info, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "describe: %v", err)
	}
	if _, ok := s.impl.(driver.Mounter); ok && !slices.Contains(info.Capabilities, driver.CapabilityMount) {
		info.Capabilities = append(info.Capabilities, driver.CapabilityMount)
	}
	if err := info.Schema.Check(); err != nil {
		return nil, status.Errorf(codes.Internal, "driver %q has an invalid schema: %v", info.Name, err)
	}
	resp, err := infoToProto(info)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "describe: %v", err)
	}
	return resp, nil
}

func (s *grpcServer) ValidateConfig(ctx context.Context, req *pb.ValidateConfigRequest) (*pb.ValidateConfigResponse, error) {
	cfg, err := s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, err
	}
	diags, err := s.impl.ValidateConfig(ctx, driver.ValidateRequest{Config: cfg, FSType: req.GetFstype()})
	if err != nil {
		return nil, status.Errorf(codes.Internal, "validate config: %v", err)
	}
	return &pb.ValidateConfigResponse{Diagnostics: diagsToProto(diags)}, nil
}

func (s *grpcServer) Plan(ctx context.Context, req *pb.PlanRequest) (*pb.PlanResponse, error) {
	cfg, err := s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, err
	}
	plan, diags, err := s.impl.Plan(ctx, driver.PlanRequest{Config: cfg, FSType: req.GetFstype(), Target: targetFromProto(req.GetTarget())})
	if err != nil {
		return nil, status.Errorf(codes.Internal, "plan: %v", err)
	}
	return &pb.PlanResponse{Plan: planToProto(plan), Diagnostics: diagsToProto(diags)}, nil
}

// grpcClient is the host's view of a driver behind a gRPC connection. It implements
// Driver, so osr uses a remote driver exactly like a local one.
type grpcClient struct {
	client pb.DriverClient
	// exited, when set, tells whether the driver process has gone away; it turns
	// transport errors into a clear "the driver crashed" message.
	exited func() bool
	name   string
	// timeouts bound every call.
	timeouts driver.Timeouts
}

func newGRPCClient(conn *grpc.ClientConn) *grpcClient {
	return &grpcClient{client: pb.NewDriverClient(conn)}
}

func (c *grpcClient) Describe(ctx context.Context) (*driver.Info, error) {
	ctx, cancel, limit := c.timeouts.WithDeadline(ctx, "Describe", nil)
	defer cancel()
	resp, err := c.client.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return nil, c.wrap(ctx, "Describe", limit, err)
	}
	return infoFromProto(resp)
}

func (c *grpcClient) ValidateConfig(ctx context.Context, req driver.ValidateRequest) (driver.Diagnostics, error) {
	cfg, err := configToProto(req.Config)
	if err != nil {
		return nil, err
	}
	ctx, cancel, limit := c.timeouts.WithDeadline(ctx, "ValidateConfig", nil)
	defer cancel()
	resp, err := c.client.ValidateConfig(ctx, &pb.ValidateConfigRequest{Config: cfg, Fstype: req.FSType})
	if err != nil {
		return nil, c.wrap(ctx, "ValidateConfig", limit, err)
	}
	return diagsFromProto(resp.GetDiagnostics()), nil
}

func (c *grpcClient) Plan(ctx context.Context, req driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	cfg, err := configToProto(req.Config)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel, limit := c.timeouts.WithDeadline(ctx, "Plan", nil)
	defer cancel()
	resp, err := c.client.Plan(ctx, &pb.PlanRequest{Config: cfg, Fstype: req.FSType, Target: targetToProto(req.Target)})
	if err != nil {
		return nil, nil, c.wrap(ctx, "Plan", limit, err)
	}
	return planFromProto(resp.GetPlan()), diagsFromProto(resp.GetDiagnostics()), nil
}

// wrap turns a gRPC error into one that says which driver and call failed:
// whether the driver process died, did not answer within limit (ctx is the
// call's context), or is not an osr driver at all.
func (c *grpcClient) wrap(ctx context.Context, call string, limit time.Duration, err error) error {
	who := "driver"
	if c.name != "" {
		who = fmt.Sprintf("driver %q", c.name)
	}
	// The driver's side may end the call at the deadline a moment before
	// osr's own timer fires: a call cut off that close to it timed out too.
	dl, hasDeadline := ctx.Deadline()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (hasDeadline && time.Until(dl) < 100*time.Millisecond) {
		return driver.TimedOut(who, call, limit)
	}
	if c.exited != nil && c.exited() {
		return fmt.Errorf("%s exited during %s (it crashed or was killed; its log above may say why): %w", who, call, ErrDriverExited)
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable:
			return fmt.Errorf("%s is not reachable during %s (did it crash?): %s: %w", who, call, st.Message(), ErrDriverExited)
		case codes.Unimplemented:
			if call == "Describe" {
				// Every osr driver of every protocol version answers Describe.
				return fmt.Errorf("%s does not serve the osr driver service (%s is unknown at the address its handshake named; is it an osr driver?): %w", who, call, driver.ErrUnimplemented)
			}
			return fmt.Errorf("%s does not implement %s (it was built for an older osr driver protocol; update the driver): %w", who, call, driver.ErrUnimplemented)
		case codes.Canceled, codes.DeadlineExceeded:
			return fmt.Errorf("%s %s: %s: %w", who, call, st.Message(), context.Canceled)
		}
		return fmt.Errorf("%s %s: %s", who, call, st.Message())
	}
	return fmt.Errorf("%s %s: %w", who, call, err)
}
