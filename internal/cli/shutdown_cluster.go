// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/open-sharedroot/osr/framework/clusterstack"
)

// The cluster stack's leave runs once the old root is unmounted: /shutdown runs
// inside /run/initramfs, which is the stack's chroot when the root needed one
// (clusterstack.FindRoot finds it as the daemons see it).
func init() {
	afterUnmount = append(afterUnmount, func(ctx context.Context) error {
		root, ok := clusterstack.FindRoot("/proc")
		if !ok {
			return nil // this root needed no cluster stack
		}
		return clusterstack.Leave(ctx, clusterstack.LeaveOptions{Root: root, Logf: func(format string, a ...any) {
			fmt.Fprintf(os.Stderr, "osr shutdown: cluster: "+format+"\n", a...)
		}})
	})
}
