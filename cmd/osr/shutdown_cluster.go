// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"

	"github.com/open-sharedroot/osr/framework/clusterstack"
)

// The cluster stack's leave runs once the old root is unmounted: /shutdown runs
// inside /run/initramfs, which is the stack's chroot when the root needed one.
func init() {
	afterUnmount = append(afterUnmount, func(ctx context.Context) error {
		if _, err := os.Stat(clusterstack.PIDFile("/", "corosync")); err != nil {
			return nil // this root needed no cluster stack
		}
		return clusterstack.Leave(ctx, clusterstack.LeaveOptions{Root: "/", Logf: func(format string, a ...any) {
			fmt.Fprintf(os.Stderr, "osr shutdown: cluster: "+format+"\n", a...)
		}})
	})
}
