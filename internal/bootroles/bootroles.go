// SPDX-License-Identifier: Apache-2.0

// Package bootroles are the parts osr plays inside the initrd, apart from the
// command line: the initrd's /init (PID 1), systemd's /shutdown at the end, the
// fence agent dlm_controld runs, and the few commands the image's own programs
// run (the cluster stack's systemd unit). osr-init and osr-init-plugin link them
// with the built-in drivers; osr execs osr-init when it is started in one of
// these roles.
package bootroles

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/wiring"
	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/clusterstack/fence"
	"github.com/open-sharedroot/osr/framework/shutdown"
	"github.com/open-sharedroot/osr/internal/buildinfo"
)

// Main plays the role the program's name and PID give it: systemd's /shutdown
// when PID 1 under that name, the initrd's /init when PID 1 otherwise, the fence
// agent under its name, else the few commands of the image's osr. drivers are how
// this init reaches the image's driver; program names it in messages. It returns
// the exit code (shutdown and a successful boot never return).
func Main(args []string, drivers wiring.Drivers, program string) int {
	name := filepath.Base(args[0])
	switch {
	case os.Getpid() == 1 && name == shutdown.BinaryName:
		// systemd-shutdown execs osr as /shutdown in /run/initramfs at the end.
		Shutdown(args[1:])
	case os.Getpid() == 1:
		return Init(args[1:], drivers)
	case name == fence.AgentName:
		return FenceAgent(args[1:])
	}
	return Commands(args[1:], "osr "+buildinfo.Version()+" ("+program+")", os.Stdout, os.Stderr)
}

// Init is osr as the initrd's /init (PID 1). It returns only when the boot
// failed for good; a successful boot ends in exec of the real init.
func Init(args []string, drivers wiring.Drivers) int {
	cfg := wiring.Image(wiring.Options{Args: args, Log: bootlog.New(os.Stderr), Drivers: drivers})
	err := boot.Run(context.Background(), cfg)
	fmt.Fprintf(os.Stderr, "osr init: %v\n", err)
	return 1
}

// Shutdown is osr as systemd's /shutdown (PID 1 in /run/initramfs). It never
// returns: the machine reboots, powers off or halts, and when even reboot(2)
// fails PID 1 waits forever rather than exit (the kernel would panic). Once the
// old root is unmounted, the cluster stack leaves the cluster when the root
// needed one.
func Shutdown(args []string) {
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", a...)
	}
	c := shutdown.Config{Logf: logf, AfterUnmount: leaveCluster}
	err := shutdown.Run(context.Background(), c, args)
	logf("osr shutdown: %v; the machine stays as it is: switch it off", err)
	for {
		time.Sleep(time.Hour)
	}
}

// leaveCluster is the cluster stack's leave: /shutdown runs inside
// /run/initramfs, which is the stack's chroot when the root needed one
// (clusterstack.FindRoot finds it as the daemons see it).
func leaveCluster(ctx context.Context) error {
	root, ok := clusterstack.FindRoot("/proc")
	if !ok {
		return nil // this root needed no cluster stack
	}
	return clusterstack.Leave(ctx, clusterstack.LeaveOptions{Root: root, Logf: func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "osr shutdown: cluster: "+format+"\n", a...)
	}})
}

// FenceAgent is osr started as fence_osr by dlm_controld: the request comes on
// standard input, standard output and error are /dev/null, so the agent logs to
// the kernel log and fence.LogPath.
func FenceAgent(args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(os.Stderr, "%s: osr's fence agent takes no arguments; dlm_controld writes node=ID and fail_time=SECONDS to its standard input (see 'osr help cluster')\n", fence.AgentName)
		return fence.ExitConfig
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := fence.SystemLog(fence.LogPath)
	defer log.Close()
	a := fence.Agent{Log: log}
	return a.Run(ctx, os.Stdin)
}
