// SPDX-License-Identifier: Apache-2.0

package boot

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/open-sharedroot/osr/framework/boot/steps"
	"github.com/open-sharedroot/osr/framework/clusterstack"
)

// QuorumWaitParam is the kernel parameter (osr.quorumwait=SECONDS, or a Go
// duration) that bounds the wait for quorum in step cluster.
const QuorumWaitParam = "quorumwait"

// ClusterStarter starts the cluster services the root needs before it can be
// mounted (corosync and dlm_controld for GFS2 with lock_dlm):
// framework/clusterstack's Stack.
type ClusterStarter interface {
	Start(ctx context.Context, req clusterstack.StartRequest) error
}

// startCluster is step "cluster".
func (s *state) startCluster(ctx context.Context) error {
	if s.cfg.Cluster == nil {
		s.log.Infof("no cluster stack in this image")
		return nil
	}
	req := clusterstack.StartRequest{NodeID: s.node.ID, NodeName: s.node.Name}
	if v, ok := s.params.Value(QuorumWaitParam); ok {
		d, err := parseSeconds(v)
		if err != nil {
			s.log.Warnf("ignored osr.%s=%s: %v", QuorumWaitParam, v, err)
		} else {
			req.QuorumWait = d
		}
	}
	if err := s.cfg.Cluster.Start(ctx, req); err != nil {
		return steps.Fail(err, "start corosync and dlm_controld", []string{"chroot " + clusterstack.RunDir},
			"check the messages of corosync and dlm_controld above; in the rescue shell `chroot "+clusterstack.RunDir+" corosync-quorumtool -s` shows the membership")
	}
	return nil
}

// parseSeconds reads "90" as 90 s, or a Go duration such as "2m".
func parseSeconds(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want seconds or a duration such as 2m")
	}
	return d, nil
}
