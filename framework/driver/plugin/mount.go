// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"github.com/open-sharedroot/osr/framework/driver"

	"context"
	"fmt"
	"math"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/open-sharedroot/osr/framework/driver/internal/driverpb"
)

func nodeToProto(n driver.ClusterNode) *pb.ClusterNode {
	return &pb.ClusterNode{Id: int32(n.ID), Name: n.Name, Addresses: n.Addresses}
}

func nodeFromProto(p *pb.ClusterNode) driver.ClusterNode {
	return driver.ClusterNode{ID: int(p.GetId()), Name: p.GetName(), Addresses: p.GetAddresses()}
}

func (s *grpcServer) Mount(ctx context.Context, req *pb.MountRequest) (*pb.MountResponse, error) {
	m, ok := s.impl.(driver.Mounter)
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "this driver cannot mount")
	}
	cfg, err := s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, err
	}
	mr := driver.MountRequest{
		Config: cfg, FSType: req.GetFstype(), Source: req.GetSource(), Target: req.GetTarget(),
		Options: req.GetOptions(), ReadOnly: req.GetReadOnly(), Node: nodeFromProto(req.GetNode()),
		ClusterName: req.GetClusterName(), Parameters: req.GetParameters(),
		Attempts: int(req.GetAttempts()), Wait: req.GetWait().AsDuration(),
	}
	for _, n := range req.GetNodes() {
		mr.Nodes = append(mr.Nodes, nodeFromProto(n))
	}
	res, err := m.Mount(ctx, mr)
	if err != nil {
		return nil, status.Errorf(codes.Aborted, "%v", err)
	}
	if res == nil {
		res = &driver.MountResult{}
	}
	return &pb.MountResponse{Diagnostics: diagsToProto(res.Diagnostics)}, nil
}

// Mount asks the driver process to mount the root.
func (c *grpcClient) Mount(ctx context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	cfg, err := configToProto(req.Config)
	if err != nil {
		return nil, err
	}
	preq := &pb.MountRequest{
		Config: cfg, Fstype: req.FSType, Source: req.Source, Target: req.Target, Options: req.Options,
		ReadOnly: req.ReadOnly, Node: nodeToProto(req.Node), ClusterName: req.ClusterName, Parameters: req.Parameters,
		Attempts: int32(min(max(req.Attempts, 0), math.MaxInt32)),
	}
	if req.Wait > 0 {
		preq.Wait = durationpb.New(req.Wait)
	}
	for _, n := range req.Nodes {
		preq.Nodes = append(preq.Nodes, nodeToProto(n))
	}
	ctx, cancel, limit := c.timeouts.WithDeadline(ctx, "Mount", &req)
	defer cancel()
	resp, err := c.client.Mount(ctx, preq)
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == codes.Aborted {
			return nil, fmt.Errorf("%s", st.Message())
		}
		return nil, c.wrap(ctx, "Mount", limit, err)
	}
	return &driver.MountResult{Diagnostics: diagsFromProto(resp.GetDiagnostics())}, nil
}
