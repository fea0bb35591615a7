// SPDX-License-Identifier: Apache-2.0

package cli

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

// Roles are the parts of osr a program links beyond the command line.
type Roles struct {
	// Init is osr as the initrd's /init (PID 1); nil execs osr-driverhost,
	// which links it.
	Init func(args []string) int
}

// Main is the whole osr program: the initrd's /init when the kernel starts it as
// PID 1, systemd's /shutdown, dlm_controld's fence agent, the original tools'
// names, else the command line. It never returns.
func Main(r Roles) {
	// As the initrd's /init the kernel starts osr as PID 1.
	if os.Getpid() == 1 {
		// systemd-shutdown execs osr as /shutdown in /run/initramfs at the end.
		if filepath.Base(os.Args[0]) == shutdown.BinaryName {
			runShutdown(os.Args[1:])
		}
		if r.Init == nil {
			e := &env{stderr: os.Stderr, argv: os.Args}
			err := e.execDriverHost()
			os.Stderr.WriteString("osr init: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(r.Init(os.Args[1:]))
	}
	// dlm_controld runs the fence agent as fence_osr, a link to osr.
	if filepath.Base(os.Args[0]) == fence.AgentName {
		os.Exit(runFenceAgent(os.Args[1:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if compat.Is(os.Args[0]) {
		// Links at the original tools' paths (make install-compat).
		code = runCompat(ctx, os.Args[0], os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Args)
	} else {
		e := &env{ctx: ctx, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, queryEntry: osrQueryEntry, argv: os.Args}
		code = e.run(os.Args[1:], nil)
	}
	stop()
	os.Exit(code)
}
