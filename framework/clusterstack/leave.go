// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// LeaveOptions configure Leave.
type LeaveOptions struct {
	// Root is the chroot the daemons run in, as the caller sees it: "/" for
	// osr running as /shutdown inside it (the default), RunDir from the
	// running system.
	Root string
	// Runner runs corosync-cfgtool; nil means ExecRunner.
	Runner Runner
	// Logf hears of every step.
	Logf func(format string, args ...any)
	// StopWait bounds the wait for each daemon to end; 0 means 20 s.
	StopWait time.Duration
}

// Leave takes the node out of the cluster once no cluster filesystem is mounted:
// it stops dlm_controld (which ends when no lockspace is left) and then corosync
// (corosync-cfgtool -H --force, a clean leave its peers see as such), each waited
// for. A daemon that is not running is skipped. Peers see a node that leaves this
// way go without recovery or fencing; a node that powers off with the daemons
// running is a failed node to them.
func Leave(ctx context.Context, o LeaveOptions) error {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.Runner == nil {
		o.Runner = ExecRunner{}
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.StopWait == 0 {
		o.StopWait = 20 * time.Second
	}
	var errs []error
	if pid, err := runningPID(o.Root, "dlm_controld"); err != nil {
		o.Logf("dlm_controld: %v; nothing to stop", err)
	} else {
		// dlm_controld ignores SIGTERM while a lockspace is active; a root
		// that was detached lazily leaves its lockspace a moment later, so the
		// signal is repeated until the daemon ends.
		if err := unix.Kill(pid, unix.SIGTERM); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("stop dlm_controld (pid %d): %w", pid, err))
		} else if err := waitGone(ctx, pid, o.StopWait, unix.SIGTERM); err != nil {
			errs = append(errs, fmt.Errorf("dlm_controld (pid %d) did not end: %w (a lockspace is still in use: is a cluster filesystem still mounted?)", pid, err))
		} else {
			o.Logf("dlm_controld (pid %d) stopped", pid)
		}
	}
	if pid, err := runningPID(o.Root, "corosync"); err != nil {
		o.Logf("corosync: %v; nothing to stop", err)
	} else {
		if _, err := runTool(ctx, o.Runner, o.Root, cfgToolBin, "-H", "--force"); err != nil {
			o.Logf("corosync-cfgtool -H: %v; sending SIGTERM", err)
			if err := unix.Kill(pid, unix.SIGTERM); err != nil && !errors.Is(err, unix.ESRCH) {
				errs = append(errs, fmt.Errorf("stop corosync (pid %d): %w", pid, err))
			}
		}
		if err := waitGone(ctx, pid, o.StopWait, 0); err != nil {
			errs = append(errs, fmt.Errorf("corosync (pid %d) did not end: %w", pid, err))
		} else {
			o.Logf("corosync (pid %d) stopped: the node left the cluster", pid)
		}
	}
	return errors.Join(errs...)
}

// runningPID reads a daemon's pid file and checks that the process lives.
func runningPID(root, name string) (int, error) {
	pid, err := ReadPID(root, name)
	if err != nil {
		return 0, err
	}
	if !alive(pid) {
		return 0, fmt.Errorf("pid %d from %s is not running", pid, PIDFile(root, name))
	}
	return pid, nil
}

// alive reports whether pid is a live process: not gone and not a zombie.
// A zombie that is our child (osr as PID 1 at shutdown) is reaped.
func alive(pid int) bool {
	var ws unix.WaitStatus
	if got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); err == nil && got == pid {
		return false
	}
	if err := unix.Kill(pid, 0); errors.Is(err, unix.ESRCH) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// pid (comm) S …: the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// waitGone waits until pid has ended, at most wait, sending it sig (unless 0)
// every second.
func waitGone(ctx context.Context, pid int, wait time.Duration, sig unix.Signal) error {
	deadline := time.Now().Add(wait)
	nextSig := time.Now().Add(time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("still running after %s", wait)
		}
		if sig != 0 && time.Now().After(nextSig) {
			unix.Kill(pid, sig)
			nextSig = time.Now().Add(time.Second)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
