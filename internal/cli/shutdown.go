// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/open-sharedroot/osr/framework/shutdown"
)

// afterUnmount are the steps run, in order, once the old root is unmounted:
// the cluster stack adds its leave here.
var afterUnmount []shutdown.Hook

// runShutdown is osr as systemd's /shutdown (PID 1 in /run/initramfs). It
// never returns: the machine reboots, powers off or halts, and when even
// reboot(2) fails PID 1 waits forever rather than exit (the kernel would
// panic).
func runShutdown(args []string) {
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", a...)
	}
	c := shutdown.Config{Logf: logf}
	if len(afterUnmount) > 0 {
		hooks := afterUnmount
		c.AfterUnmount = func(ctx context.Context) error {
			var errs []error
			for _, h := range hooks {
				errs = append(errs, h(ctx))
			}
			return errors.Join(errs...)
		}
	}
	err := shutdown.Run(context.Background(), c, args)
	logf("osr shutdown: %v; the machine stays as it is: switch it off", err)
	for {
		time.Sleep(time.Hour)
	}
}
