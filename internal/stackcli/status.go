// SPDX-License-Identifier: Apache-2.0

package stackcli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/internal/cli"
)

func init() {
	register(newClusterStatusCmd)
	register(newClusterWatchCmd)
}

func newClusterStatusCmd(e *env) *cobra.Command {
	var root string
	c := &cobra.Command{
		Use:   "status [--root DIR]",
		Short: "this node's corosync, dlm_controld, quorum and lockspaces",
		Long: `Shows this node's cluster stack: corosync and dlm_controld (running or not),
membership, quorum and the DLM lockspaces, read in the cluster stack's chroot
(default /run/initramfs). Exits 1 when the stack is not healthy.`,
		Args: cli.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			st := clusterstack.ReadStatus(e.Context(), root, nil)
			if err := st.Write(e.Stdout()); err != nil {
				return err
			}
			if !st.Healthy() {
				return fmt.Errorf("the cluster stack in %s is not healthy (see above)", root)
			}
			return nil
		},
	}
	c.Flags().StringVar(&root, "root", clusterstack.RunDir, "the cluster stack's chroot `DIR`")
	return c
}

func newClusterWatchCmd(e *env) *cobra.Command {
	var root string
	c := &cobra.Command{
		Use:   "watch [--root DIR]",
		Short: "wait until corosync or dlm_controld ends (the systemd unit runs it)",
		Long: `Waits until corosync or dlm_controld in the cluster stack's chroot ends, and
fails then: the program of the systemd unit that ties the node's services to
the cluster stack the initrd started.`,
		Args: cli.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return clusterstack.Watch(e.Context(), root, func(format string, args ...any) {
				fmt.Fprintf(e.Stdout(), format+"\n", args...)
			})
		},
	}
	c.Flags().StringVar(&root, "root", clusterstack.RunDir, "the cluster stack's chroot `DIR`")
	return c
}
