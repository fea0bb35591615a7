// SPDX-License-Identifier: Apache-2.0

// Command osr boots many Linux nodes from one shared root filesystem: it builds the
// shared-root initrd, answers questions about the cluster configuration, manages
// context dependent symlinks (CDSLs), and runs as /init inside the initrd.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/open-sharedroot/osr/framework/clusterstack/fence"
	"github.com/open-sharedroot/osr/framework/compat"
	"github.com/open-sharedroot/osr/framework/shutdown"
)

func main() {
	// As the initrd's /init the kernel starts osr as PID 1.
	if os.Getpid() == 1 {
		// systemd-shutdown execs osr as /shutdown in /run/initramfs at the end.
		if filepath.Base(os.Args[0]) == shutdown.BinaryName {
			runShutdown(os.Args[1:])
		}
		os.Exit(runInit(os.Args[1:]))
	}
	// dlm_controld runs the fence agent as fence_osr, a link to osr.
	if filepath.Base(os.Args[0]) == fence.AgentName {
		os.Exit(runFenceAgent(os.Args[1:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if compat.Is(os.Args[0]) {
		// Links at the original tools' paths (make install-compat).
		code = runCompat(ctx, os.Args[0], os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	} else {
		code = Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}
