// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/open-sharedroot/osr/framework/compat"
)

// InitName is the program that boots the node: the initrd's /init, systemd's
// /shutdown and dlm_controld's fence agent, with the built-in drivers
// (cmd/osr-init). osr started in one of those roles execs it.
const InitName = "osr-init"

// The names osr-init plays besides /init: the fence agent
// (framework/clusterstack/fence.AgentName) and systemd's /shutdown
// (framework/shutdown.BinaryName), spelled here so that osr links neither
// package; a test keeps them equal.
const (
	fenceAgentName     = "fence_osr"
	shutdownBinaryName = "shutdown"
)

// PluginInitName is osr-init that also speaks the driver protocol: the /init of
// images whose driver is a program of its own, and the program the installed
// built-in drivers are links to.
const PluginInitName = "osr-init-plugin"

// Main is the osr program: the command line, under osr's name or the original
// tools' names. Started as PID 1 (an initrd's /init or systemd's /shutdown) or
// as fence_osr it execs osr-init, which plays those roles. It never returns.
func Main() {
	if os.Getpid() == 1 || filepath.Base(os.Args[0]) == fenceAgentName || filepath.Base(os.Args[0]) == shutdownBinaryName {
		path, err := FindLibexec(InitName)
		if err == nil {
			err = syscall.Exec(path, os.Args, os.Environ())
		}
		os.Stderr.WriteString("osr: " + err.Error() + "\n")
		os.Exit(1)
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
