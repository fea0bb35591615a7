// SPDX-License-Identifier: Apache-2.0

// Package reaper reaps orphaned processes for an init running as PID 1
// without stealing the exit status of the init's own children.
//
// A PID 1 inherits every orphan and must wait for them, or they stay zombies.
// The usual loop, wait4(-1), also collects the init's own children before
// their exec.Cmd.Wait does, which then fails with "no child processes" (and
// go-plugin loses its driver's exit status). This reaper instead lists the
// zombies whose parent is the init (from /proc/<pid>/stat) and waits only for
// those it was not told about: the init's own children are started through
// Start, or inside a Hold, and registered by PID.
//
// Usage:
//
//	r := reaper.New(log.Printf)
//	go r.Run(ctx)
//	cmd := exec.Command("/bin/sh")
//	if err := r.Start(cmd); err != nil { … }
//	err := r.Wait(cmd) // the exit status is cmd's, never taken by the reaper
//
// Children started by code the init does not control (go-plugin's client
// starts its own exec.Cmd) are started inside a Hold and registered with Own:
//
//	release := r.Hold()
//	_, err := pluginClient.Start()
//	r.Own(pluginClient.ReattachConfig().Pid)
//	release()
package reaper

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Reaper waits for orphans and leaves the init's own children alone.
type Reaper struct {
	mu      sync.Mutex
	owned   map[int]bool
	holds   int
	self    int
	procDir string
	logf    func(format string, args ...any)
}

// New returns a reaper for the calling process; logf (may be nil) hears of
// every orphan reaped.
func New(logf func(format string, args ...any)) *Reaper {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Reaper{owned: map[int]bool{}, self: os.Getpid(), procDir: "/proc", logf: logf}
}

// Start starts cmd and registers its PID as one of the init's own children,
// so the reaper never waits for it; call Wait (or cmd.Wait and Forget) to
// collect it.
func (r *Reaper) Start(cmd *exec.Cmd) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	r.owned[cmd.Process.Pid] = true
	return nil
}

// Wait waits for a command started with Start and then forgets its PID.
func (r *Reaper) Wait(cmd *exec.Cmd) error {
	err := cmd.Wait()
	if cmd.Process != nil {
		r.Forget(cmd.Process.Pid)
	}
	return err
}

// Run starts cmd with Start and waits for it with Wait.
func (r *Reaper) Run(cmd *exec.Cmd) error {
	if err := r.Start(cmd); err != nil {
		return err
	}
	return r.Wait(cmd)
}

// Own registers pid as one of the init's own children.
func (r *Reaper) Own(pid int) {
	r.mu.Lock()
	r.owned[pid] = true
	r.mu.Unlock()
}

// Forget removes pid from the init's own children once it has been waited
// for, so an orphan that later gets the same PID is reaped.
func (r *Reaper) Forget(pid int) {
	r.mu.Lock()
	delete(r.owned, pid)
	r.mu.Unlock()
}

// Hold stops the reaping of unregistered zombies until the returned function
// is called: for code that starts children the init cannot register before
// they might exit. Holds nest; the release function may be called once.
func (r *Reaper) Hold() (release func()) {
	r.mu.Lock()
	r.holds++
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.holds--
			r.mu.Unlock()
		})
	}
}

// Loop reaps on every SIGCHLD and at least every interval until ctx ends.
func (r *Reaper) Loop(ctx context.Context, interval time.Duration) {
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGCHLD)
	defer signal.Stop(sig)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r.ReapOnce()
		select {
		case <-ctx.Done():
			return
		case <-sig:
		case <-t.C:
		}
	}
}

// ReapOnce waits for every zombie child that is not one of the init's own
// and returns their PIDs. It does nothing while a Hold is in force.
func (r *Reaper) ReapOnce() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.holds > 0 {
		return nil
	}
	zombies, err := r.zombies()
	if err != nil {
		return r.peekAndReap()
	}
	var reaped []int
	for _, pid := range zombies {
		if r.owned[pid] {
			continue
		}
		if r.reap(pid) {
			reaped = append(reaped, pid)
		}
	}
	return reaped
}

// reap waits for one zombie without blocking.
func (r *Reaper) reap(pid int) bool {
	var ws unix.WaitStatus
	got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	if err != nil || got != pid {
		return false
	}
	r.logf("reaped orphan %d (%s)", pid, describe(ws))
	return true
}

// peekAndReap is the fallback without /proc: look at one waitable child
// without collecting it, and reap it if it is not ours. An owned zombie hides
// any others until its Wait collects it; the next pass then sees them.
func (r *Reaper) peekAndReap() []int {
	var reaped []int
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		pid := siginfoPid(&info)
		if err != nil || pid == 0 || r.owned[pid] {
			return reaped
		}
		if !r.reap(pid) {
			return reaped
		}
		reaped = append(reaped, pid)
	}
}

// zombies lists the PIDs of zombie processes whose parent is this process.
func (r *Reaper) zombies() ([]int, error) {
	ents, err := os.ReadDir(r.procDir)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		state, ppid, err := readStat(filepath.Join(r.procDir, e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		if state == 'Z' && ppid == r.self {
			out = append(out, pid)
		}
	}
	if len(ents) == 0 {
		return nil, errors.New("proc is empty")
	}
	return out, nil
}

// readStat reads the state and parent PID from a /proc/<pid>/stat file. The
// command name in parentheses may itself hold spaces and parentheses, so
// the fields are counted from the last ')'.
func readStat(path string) (state byte, ppid int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("%s: no command name", path)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return 0, 0, fmt.Errorf("%s: short stat line", path)
	}
	ppid, err = strconv.Atoi(f[1])
	if err != nil {
		return 0, 0, fmt.Errorf("%s: parent pid: %w", path, err)
	}
	return f[0][0], ppid, nil
}

func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit %d", ws.ExitStatus())
	case ws.Signaled():
		return "killed by " + ws.Signal().String()
	}
	return fmt.Sprintf("status %#x", uint32(ws))
}
