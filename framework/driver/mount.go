// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"fmt"
	"math"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/open-sharedroot/osr/framework/driver/internal/driverpb"
)

// CapabilityMount is announced by drivers that implement Mounter. Serve adds it.
const CapabilityMount = "mount"

// Mounter is implemented by drivers that mount the root at boot. It is separate from
// Driver so a driver can be written (and used for planning) before it can mount.
type Mounter interface {
	// Mount mounts req.Source on req.Target, starting whatever the filesystem needs
	// first. It runs inside the initrd as a child of osr's init, in the same mount
	// namespace. On failure the error must say what failed and what was tried.
	//
	// Make the mount(2) calls with a MountExecutor, trying req.Tries times, and log
	// through the logger Serve handed to the driver: osr shows those lines in the
	// boot log while the mount runs.
	Mount(ctx context.Context, req MountRequest) (*MountResult, error)
}

// ClusterNode is a member of the cluster as a mount needs it.
type ClusterNode struct {
	ID   int
	Name string
	// Addresses are the node's static IPv4 addresses, the cluster network's first.
	Addresses []string
}

// MountRequest is what the init knows when it asks for the root.
type MountRequest struct {
	Config Config
	FSType string
	// Source is the root volume: a device, "server:/path", … (rootvolume or root=).
	Source string
	// Target is where the root goes (/sysroot).
	Target string
	// Options are mount options from the cluster configuration and the command line.
	Options  []string
	ReadOnly bool
	// Node is this node; Nodes are all members of the cluster.
	Node        ClusterNode
	Nodes       []ClusterNode
	ClusterName string
	// Parameters are the kernel command line's name=value pairs.
	Parameters map[string]string
	// Attempts is how often to try the mount (the command line's mounttimes);
	// 0 means the driver's default. See Tries.
	Attempts int
	// Wait is the pause between tries (the command line's mountwait); 0 means the
	// driver's default.
	Wait time.Duration
}

// MountResult tells what the driver did beyond its log.
type MountResult struct {
	// Diagnostics are warnings worth showing (errors are returned as the error).
	Diagnostics Diagnostics
}

func nodeToProto(n ClusterNode) *pb.ClusterNode {
	return &pb.ClusterNode{Id: int32(n.ID), Name: n.Name, Addresses: n.Addresses}
}

func nodeFromProto(p *pb.ClusterNode) ClusterNode {
	return ClusterNode{ID: int(p.GetId()), Name: p.GetName(), Addresses: p.GetAddresses()}
}

func (s *grpcServer) Mount(ctx context.Context, req *pb.MountRequest) (*pb.MountResponse, error) {
	m, ok := s.impl.(Mounter)
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "this driver cannot mount")
	}
	t, err := s.configType(ctx)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "describe: %v", err)
	}
	cfg, err := configFromProto(req.GetConfig(), t)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%v", err)
	}
	mr := MountRequest{
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
		res = &MountResult{}
	}
	return &pb.MountResponse{Diagnostics: diagsToProto(res.Diagnostics)}, nil
}

// Mount asks the driver process to mount the root.
func (c *grpcClient) Mount(ctx context.Context, req MountRequest) (*MountResult, error) {
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
	ctx, cancel, limit := c.timeouts.withDeadline(ctx, "Mount", &req)
	defer cancel()
	resp, err := c.client.Mount(ctx, preq)
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == codes.Aborted {
			return nil, fmt.Errorf("%s", st.Message())
		}
		return nil, c.wrap(ctx, "Mount", limit, err)
	}
	return &MountResult{Diagnostics: diagsFromProto(resp.GetDiagnostics())}, nil
}
