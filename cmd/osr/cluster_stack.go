// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"

	"github.com/open-sharedroot/osr/framework/clusterstack"
)

func init() {
	clusterSubs["status"] = clusterSub{summary: "membership, quorum and lockspaces of this node's cluster stack", run: runClusterStatus}
	clusterSubs["watch"] = clusterSub{summary: "wait until corosync or dlm_controld ends (the systemd unit's program)", run: runClusterWatch}
}

func runClusterStatus(e *env, args []string) error {
	fs := e.flagSet("cluster status")
	root := fs.String("root", clusterstack.RunDir, "the cluster stack's chroot `DIR`")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("status takes no arguments (got %q)", pos[0])
	}
	st := clusterstack.ReadStatus(e.ctx, *root, nil)
	if err := st.Write(e.stdout); err != nil {
		return err
	}
	if !st.Healthy() {
		return fmt.Errorf("the cluster stack in %s is not healthy (see above)", *root)
	}
	return nil
}

func runClusterWatch(e *env, args []string) error {
	fs := e.flagSet("cluster watch")
	root := fs.String("root", clusterstack.RunDir, "the cluster stack's chroot `DIR`")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("watch takes no arguments (got %q)", pos[0])
	}
	return clusterstack.Watch(e.ctx, *root, func(format string, args ...any) {
		fmt.Fprintf(e.stdout, format+"\n", args...)
	})
}
