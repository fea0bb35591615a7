// SPDX-License-Identifier: Apache-2.0

package boot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/framework/clusterstack"
)

// fakeStack records the request and when it was started relative to the mount.
type fakeStack struct {
	req  *clusterstack.StartRequest
	root *fakeRoot
	err  error
	// mountedBefore is set when the root was mounted before Start.
	mountedBefore bool
}

func (f *fakeStack) Start(ctx context.Context, req clusterstack.StartRequest) error {
	f.req = &req
	f.mountedBefore = f.root.spec.Target != ""
	return f.err
}

func TestRunStartsTheClusterStackBeforeTheMount(t *testing.T) {
	tests := []struct {
		name     string
		cmdline  string
		wantWait time.Duration
	}{
		{"default wait", "console=ttyS0", 0},
		{"osr.quorumwait in seconds", "osr.quorumwait=90", 90 * time.Second},
		{"quorumwait as a duration", "quorumwait=10m", 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cmdline)
			stack := &fakeStack{root: h.root}
			h.cfg.Cluster = stack
			if err := Run(context.Background(), h.cfg); err != nil {
				t.Fatal(err)
			}
			if stack.req == nil || stack.req.NodeID != 2 || stack.req.NodeName != "n2" || stack.req.QuorumWait != tt.wantWait {
				t.Errorf("cluster start request %+v; want node 2 (n2), wait %s", stack.req, tt.wantWait)
			}
			if stack.mountedBefore {
				t.Errorf("the root was mounted before the cluster stack started")
			}
		})
	}
}

func TestRunClusterStackFailureStopsBeforeTheMount(t *testing.T) {
	h := newHarness(t, "console=ttyS0")
	stack := &fakeStack{root: h.root, err: errors.New("no quorum after 5m0s: members n2 (node id 2); missing n1 (node id 1)")}
	h.cfg.Cluster = stack
	ctx, shell := failingBoot(t)
	h.cfg.Shell = shell
	err := Run(ctx, h.cfg)
	if err == nil || !strings.Contains(err.Error(), "missing n1") {
		t.Fatalf("Run() = %v; want the cluster step's failure", err)
	}
	if h.root.spec.Target != "" {
		t.Errorf("the root was mounted although the cluster stack failed")
	}
}
