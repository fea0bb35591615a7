// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"context"
	"fmt"
	"os"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/wiring"
)

// RunInit is osr as the initrd's /init (PID 1). It returns only when the boot
// failed for good; a successful boot ends in exec of the real init.
func RunInit(args []string) int {
	cfg := wiring.Image(wiring.Options{Args: args, Log: bootlog.New(os.Stderr)})
	err := boot.Run(context.Background(), cfg)
	fmt.Fprintf(os.Stderr, "osr init: %v\n", err)
	return 1
}
