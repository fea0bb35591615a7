// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin/runner"
	"golang.org/x/sys/unix"
)

// pipeGrace is how long the driver's stdout and stderr may stay open after the
// driver itself has exited and its process group was killed: a process that
// left the group (setsid) and still holds the pipes is cut off after it.
const pipeGrace = 500 * time.Millisecond

// handshakeLimit bounds the first stdout line kept for diagnosing a failed
// handshake.
const handshakeLimit = 4096

// groupRunner starts a driver as the leader of its own process group and, on
// every way out, kills the whole group and reaps the driver. It also owns the
// driver's stdout and stderr pipes: go-plugin reads them until EOF before it
// waits for the process, and a grandchild that inherited them (a shell wrapper
// around a daemon) would otherwise keep that EOF from ever coming.
type groupRunner struct {
	cmd    *exec.Cmd
	stdout *os.File
	stderr *os.File
	first  firstLine

	pid     int
	started chan struct{} // closed once pid is set (or the start failed)
	exited  chan struct{} // closed once the driver is reaped
	waitErr error
}

// newGroupRunner prepares path to run with go-plugin's environment (from
// spec) plus extra.
func newGroupRunner(path string, spec *exec.Cmd, extra []string) *groupRunner {
	cmd := exec.Command(path)
	cmd.Env = append(append([]string{}, spec.Env...), extra...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return &groupRunner{cmd: cmd, started: make(chan struct{}), exited: make(chan struct{})}
}

// Start runs the driver in a new process group.
func (r *groupRunner) Start(context.Context) error {
	defer close(r.started)
	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("driver stdout pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return fmt.Errorf("driver stderr pipe: %w", err)
	}
	// The driver reads nothing and must not hold osr's terminal: its stdin is
	// a pipe at end of file (no /dev/null needed, which an early initrd may lack).
	inR, inW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		errR.Close()
		errW.Close()
		return fmt.Errorf("driver stdin pipe: %w", err)
	}
	inW.Close()
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = inR, outW, errW
	err = r.cmd.Start()
	// The driver has its own copies; osr keeps only the read ends.
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		close(r.exited)
		return err
	}
	r.stdout, r.stderr = outR, errR
	r.first.r = outR
	r.pid = r.cmd.Process.Pid
	go r.watch()
	return nil
}

// watch waits for the driver to exit without reaping it (its PID, and with it
// the process group id, stays reserved), kills what is left of its group,
// reaps it, and cuts off pipes a runaway descendant still holds.
func (r *groupRunner) watch() {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, r.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			break
		}
	}
	_ = unix.Kill(-r.pid, unix.SIGKILL)
	r.waitErr = r.cmd.Wait()
	close(r.exited)
	time.Sleep(pipeGrace)
	r.stdout.Close()
	r.stderr.Close()
}

// Wait waits until the driver has exited and been reaped.
func (r *groupRunner) Wait(context.Context) error {
	<-r.exited
	return r.waitErr
}

// Kill kills the driver's whole process group; the driver is reaped by watch.
func (r *groupRunner) Kill(context.Context) error {
	select {
	case <-r.exited:
		return nil
	default:
	}
	if r.pid == 0 {
		return nil
	}
	if err := unix.Kill(-r.pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill driver process group %d: %w", r.pid, err)
	}
	return nil
}

// Stdout is where go-plugin reads the handshake; the first line is kept.
func (r *groupRunner) Stdout() io.ReadCloser { return &r.first }

// Stderr carries the driver's log.
func (r *groupRunner) Stderr() io.ReadCloser { return r.stderr }

// Name is the driver binary.
func (r *groupRunner) Name() string { return r.cmd.Path }

// ID is the driver's PID, also its process group id.
func (r *groupRunner) ID() string {
	if r.pid == 0 {
		return ""
	}
	return strconv.Itoa(r.pid)
}

// Diagnose adds nothing: Launch explains failures from the handshake line.
func (r *groupRunner) Diagnose(context.Context) string { return "" }

// PluginToHost leaves addresses as they are: the driver runs on this host.
func (r *groupRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

// HostToPlugin leaves addresses as they are.
func (r *groupRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

var _ runner.Runner = (*groupRunner)(nil)

// firstLine passes a reader through and keeps its first line (up to
// handshakeLimit bytes): the handshake, or whatever the driver printed instead.
type firstLine struct {
	r    io.ReadCloser
	mu   sync.Mutex
	line []byte
	done bool
}

func (f *firstLine) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range p[:n] {
		if f.done {
			break
		}
		if b == '\n' || len(f.line) >= handshakeLimit {
			f.done = true
			break
		}
		f.line = append(f.line, b)
	}
	return n, err
}

func (f *firstLine) Close() error { return f.r.Close() }

// text returns the first line as read so far, and whether it was complete.
func (f *firstLine) text() (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.line), f.done
}
