// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Action is what the machine does at the end.
type Action string

// The verbs systemd-shutdown passes in argv[1].
const (
	Reboot   Action = "reboot"
	PowerOff Action = "poweroff"
	Halt     Action = "halt"
	Kexec    Action = "kexec"
)

// ParseVerb returns the action of /shutdown's arguments (argv[1:]): the first
// one that is not an option (systemd passes its --log-level and the like
// after the verb). "exit", a container's verb, powers off.
func ParseVerb(args []string) (Action, error) {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		switch Action(a) {
		case Reboot, PowerOff, Halt, Kexec:
			return Action(a), nil
		case "exit":
			return PowerOff, nil
		}
		return "", fmt.Errorf("unknown shutdown verb %q: want reboot, poweroff, halt or kexec", a)
	}
	return "", errors.New("no shutdown verb: systemd passes reboot, poweroff, halt or kexec as the first argument")
}

// Hook is a step of another part of osr in the shutdown sequence, e.g. the
// cluster stack's leave. It gets a context that ends at its time limit.
type Hook func(ctx context.Context) error

// Config is the shutdown sequence's configuration; the zero value does it for
// real with the default time limits.
type Config struct {
	// OldRoot is where the old root lies after systemd's pivot; "" is
	// /oldroot.
	OldRoot string
	// BeforeUnmount runs before the old root is unmounted.
	BeforeUnmount Hook
	// AfterUnmount runs after it is unmounted (or given up on) and synced:
	// the place to leave the cluster (clusterstack.Leave), once no cluster
	// filesystem needs the lock manager any more.
	AfterUnmount Hook
	// HookTimeout bounds each hook, whose context ends then; 0 is 60 s (the
	// cluster stack's leave waits up to 20 s for each of two daemons).
	HookTimeout time.Duration
	// UnmountTimeout bounds each unmount call; 0 is 5 s.
	UnmountTimeout time.Duration
	// UnmountBudget bounds all unmounting; 0 is 45 s.
	UnmountBudget time.Duration
	// SyncTimeout bounds the sync; 0 is 10 s.
	SyncTimeout time.Duration
	// Logf hears of every step; nil discards.
	Logf func(format string, args ...any)

	// The following replace the system calls in tests.

	// Mounts lists the mount points in mount order; nil is MountPoints.
	Mounts func() ([]string, error)
	// Unmount is umount2(2); nil is unix.Unmount.
	Unmount func(target string, flags int) error
	// Sync is sync(2); nil is unix.Sync.
	Sync func()
	// Reboot is reboot(2) with a LINUX_REBOOT_CMD_*; nil is unix.Reboot.
	Reboot func(cmd int) error
	// After is the clock; nil is time.After.
	After func(d time.Duration) <-chan time.Time
}

func (c *Config) defaults() {
	if c.OldRoot == "" {
		c.OldRoot = "/" + OldRootDir
	}
	if c.HookTimeout == 0 {
		c.HookTimeout = 60 * time.Second
	}
	if c.UnmountTimeout == 0 {
		c.UnmountTimeout = 5 * time.Second
	}
	if c.UnmountBudget == 0 {
		c.UnmountBudget = 45 * time.Second
	}
	if c.SyncTimeout == 0 {
		c.SyncTimeout = 10 * time.Second
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.Mounts == nil {
		c.Mounts = MountPoints
	}
	if c.Unmount == nil {
		c.Unmount = unix.Unmount
	}
	if c.Sync == nil {
		c.Sync = unix.Sync
	}
	if c.Reboot == nil {
		c.Reboot = unix.Reboot
	}
	if c.After == nil {
		c.After = time.After
	}
}

// Run is osr as systemd's /shutdown: it unmounts the old root (bounded),
// runs the hooks, syncs and does the action of args (argv[1:]). It returns
// only when the final reboot(2) failed; a hook or an unmount that fails or
// times out is logged and the sequence goes on, because the node must go
// down either way.
func Run(ctx context.Context, c Config, args []string) error {
	c.defaults()
	act, err := ParseVerb(args)
	if err != nil {
		c.Logf("osr shutdown: %v; powering off", err)
		act = PowerOff
	}
	c.Logf("osr shutdown: %s; unmounting %s", act, c.OldRoot)
	c.runHook(ctx, "before unmount", c.BeforeUnmount)
	left := c.unmountTree(c.OldRoot)
	if len(left) > 0 {
		c.Logf("osr shutdown: still mounted after %s, left as they are: %s", c.UnmountBudget, strings.Join(left, " "))
	} else {
		c.Logf("osr shutdown: %s unmounted", c.OldRoot)
	}
	c.sync()
	c.runHook(ctx, "after unmount", c.AfterUnmount)
	return c.final(act)
}

// runHook runs h bounded by HookTimeout.
func (c *Config) runHook(ctx context.Context, name string, h Hook) {
	if h == nil {
		return
	}
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h(hctx) }()
	select {
	case err := <-done:
		if err != nil {
			c.Logf("osr shutdown: %s hook: %v; going on", name, err)
		}
	case <-c.After(c.HookTimeout):
		cancel() // the hook's context ends with its time limit
		c.Logf("osr shutdown: %s hook still running after %s; going on without it", name, c.HookTimeout)
	}
}

// sync flushes the filesystems, bounded by SyncTimeout (a dead NFS server
// must not stop the node from going down).
func (c *Config) sync() {
	done := make(chan struct{})
	go func() { c.Sync(); close(done) }()
	select {
	case <-done:
	case <-c.After(c.SyncTimeout):
		c.Logf("osr shutdown: sync still running after %s; going on", c.SyncTimeout)
	}
}

// final does the action; kexec falls back to a reboot when no kernel is
// loaded.
func (c *Config) final(act Action) error {
	cmds := map[Action]int{
		Reboot:   unix.LINUX_REBOOT_CMD_RESTART,
		PowerOff: unix.LINUX_REBOOT_CMD_POWER_OFF,
		Halt:     unix.LINUX_REBOOT_CMD_HALT,
		Kexec:    unix.LINUX_REBOOT_CMD_KEXEC,
	}
	c.Logf("osr shutdown: %s now", act)
	err := c.Reboot(cmds[act])
	if err != nil && act == Kexec {
		c.Logf("osr shutdown: kexec: %v (no kernel loaded?); rebooting instead", err)
		err = c.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	}
	if err != nil {
		return fmt.Errorf("reboot(2) for %s: %w", act, err)
	}
	return nil
}
