// SPDX-License-Identifier: Apache-2.0

package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// TailLines is how many console lines a failure message carries.
const TailLines = 30

// Instance is a running guest.
type Instance struct {
	Machine Machine
	// Console holds the guest's serial output as it arrives.
	Console *Console

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	logFile *os.File
	stderr  bytes.Buffer
	start   time.Time
	done    chan struct{}

	mu       sync.Mutex
	timedOut bool
	stopped  bool
	killed   bool
	wall     time.Duration
	waitErr  error
}

// Start boots m and returns at once. The boot is bounded by m.Timeout and
// by ctx: when either ends, the qemu process is killed by its PID.
func Start(ctx context.Context, m Machine) (*Instance, error) {
	argv, err := m.Command()
	if err != nil {
		return nil, err
	}
	if m.Timeout == 0 {
		m.Timeout = DefaultTimeout
	}
	if err := os.MkdirAll(filepath.Dir(m.LogPath), 0o755); err != nil {
		return nil, fmt.Errorf("create log directory for %s: %w", m.Name, err)
	}
	logFile, err := os.Create(m.LogPath)
	if err != nil {
		return nil, fmt.Errorf("create console log for %s: %w", m.Name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	// Should the test binary die, the kernel ends qemu too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in := &Instance{Machine: m, cmd: cmd, logFile: logFile, done: make(chan struct{})}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("stdin pipe for %s: %w", m.Name, err)
	}
	in.stdin = stdin
	cmd.Stderr = &in.stderr
	in.start = time.Now()
	in.Console = NewConsole(in.start, logFile)
	cmd.Stdout = in.Console
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start qemu for %s (%s): %w", m.Name, argv[0], err)
	}
	go in.wait()
	go in.watch(ctx)
	if m.StopAfter != "" {
		go in.stopAfter(m.StopAfter)
	}
	return in, nil
}

// stopAfter kills qemu once the console shows text.
func (in *Instance) stopAfter(text string) {
	if _, err := in.Console.WaitFor(context.Background(), text); err != nil {
		return // qemu ended first
	}
	in.mu.Lock()
	in.stopped = true
	in.mu.Unlock()
	in.Kill()
}

// PID returns the process id of the qemu process.
func (in *Instance) PID() int { return in.cmd.Process.Pid }

func (in *Instance) wait() {
	err := in.cmd.Wait()
	wall := time.Since(in.start)
	in.Console.Close()
	if in.stderr.Len() > 0 {
		fmt.Fprintf(in.logFile, "\n--- qemu stderr ---\n%s", in.stderr.Bytes())
	}
	in.logFile.Close()
	in.mu.Lock()
	in.wall, in.waitErr = wall, err
	in.mu.Unlock()
	close(in.done)
}

func (in *Instance) watch(ctx context.Context) {
	timer := time.NewTimer(in.Machine.Timeout)
	defer timer.Stop()
	select {
	case <-in.done:
		return
	case <-timer.C:
		in.mu.Lock()
		in.timedOut = true
		in.mu.Unlock()
	case <-ctx.Done():
	}
	in.Kill()
}

// Kill ends the qemu process (by its PID) if it still runs.
func (in *Instance) Kill() {
	select {
	case <-in.done:
		return
	default:
	}
	in.mu.Lock()
	if !in.stopped {
		in.killed = true
	}
	in.mu.Unlock()
	// The process may exit between the check and the signal; that error
	// (os.ErrProcessDone) means there is nothing left to kill.
	_ = in.cmd.Process.Kill()
}

// Send writes text to the guest's serial console (its keyboard).
func (in *Instance) Send(text string) error {
	if _, err := io.WriteString(in.stdin, text); err != nil {
		return fmt.Errorf("send to %s console: %w", in.Machine.Name, err)
	}
	return nil
}

// Done is closed when qemu has exited.
func (in *Instance) Done() <-chan struct{} { return in.done }

// WaitFor waits until the console shows text and returns the time from the
// start of qemu to that line. It fails, with the console's last lines,
// when qemu exits or is killed first, or when ctx ends.
func (in *Instance) WaitFor(ctx context.Context, text string) (time.Duration, error) {
	l, err := in.Console.WaitFor(ctx, text)
	if err != nil {
		return 0, in.failure(fmt.Sprintf("console never showed %q", text), err)
	}
	return l.At, nil
}

// Wait waits for qemu to exit and returns the boot's result. The error
// reports a timeout, a kill or a qemu failure, with the console's tail.
func (in *Instance) Wait() (*Result, error) {
	<-in.done
	in.mu.Lock()
	r := &Result{
		Name:     in.Machine.Name,
		LogPath:  in.Machine.LogPath,
		Wall:     in.wall,
		TimedOut: in.timedOut,
		Stopped:  in.stopped,
		Console:  in.Console,
	}
	waitErr, killed, stopped := in.waitErr, in.killed, in.stopped
	in.mu.Unlock()
	switch {
	case stopped && !r.TimedOut && !killed:
		return r, nil
	case r.TimedOut:
		return r, in.failure(fmt.Sprintf("boot did not finish within %v, qemu (pid %d) killed", in.Machine.Timeout, in.PID()), nil)
	case killed:
		return r, in.failure(fmt.Sprintf("qemu (pid %d) killed after %v", in.PID(), r.Wall.Round(time.Millisecond)), nil)
	case waitErr != nil:
		return r, in.failure("qemu failed", waitErr)
	}
	return r, nil
}

// failure builds an error that names the machine, says what happened and
// carries the console's last lines and qemu's complaints.
func (in *Instance) failure(what string, cause error) error {
	msg := fmt.Sprintf("%s: %s", in.Machine.Name, what)
	if cause != nil {
		msg += ": " + cause.Error()
	}
	msg += fmt.Sprintf("\nlast %d console lines of %s:\n%s", TailLines, in.Machine.LogPath, in.Console.Tail(TailLines))
	select {
	case <-in.done:
		if in.stderr.Len() > 0 {
			msg += "\nqemu stderr:\n" + in.stderr.String()
		}
	default:
	}
	return &BootError{Machine: in.Machine.Name, msg: msg, cause: cause}
}

// BootError is a failed boot; its message carries the console's tail.
type BootError struct {
	Machine string
	msg     string
	cause   error
}

func (e *BootError) Error() string { return e.msg }

// Unwrap returns the underlying cause, if any.
func (e *BootError) Unwrap() error { return e.cause }

// Result is a finished boot.
type Result struct {
	Name    string
	LogPath string
	// Wall is the time from starting qemu until it exited.
	Wall     time.Duration
	TimedOut bool
	// Stopped says the runner ended qemu on Machine.StopAfter.
	Stopped bool
	Console *Console
}

// Marker returns the time from the start of qemu to the first console line
// that contains text.
func (r *Result) Marker(text string) (time.Duration, bool) {
	l, ok := r.Console.Find(text)
	return l.At, ok
}

// Expect returns an error, with the console's tail, unless every text
// appears on the console.
func (r *Result) Expect(texts ...string) error {
	var missing []string
	for _, t := range texts {
		if _, ok := r.Console.Find(t); !ok {
			missing = append(missing, fmt.Sprintf("%q", t))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &BootError{Machine: r.Name, msg: fmt.Sprintf("%s: console lacks %v (qemu ran %v)\nlast %d console lines of %s:\n%s",
		r.Name, missing, r.Wall.Round(time.Millisecond), TailLines, r.LogPath, r.Console.Tail(TailLines))}
}

// Boot is one guest of a Run: the machine and the texts its console must
// show before qemu exits.
type Boot struct {
	Machine Machine
	Expect  []string
}

// Run boots every machine at once, waits until all have exited and checks
// their consoles. It returns one result per boot, in order (nil where qemu
// did not start), and every failure joined.
func Run(ctx context.Context, boots ...Boot) ([]*Result, error) {
	results := make([]*Result, len(boots))
	errs := make([]error, len(boots))
	instances := make([]*Instance, len(boots))
	for i, b := range boots {
		in, err := Start(ctx, b.Machine)
		if err != nil {
			errs[i] = err
			continue
		}
		instances[i] = in
	}
	for i, in := range instances {
		if in == nil {
			continue
		}
		r, err := in.Wait()
		results[i] = r
		if err == nil {
			err = r.Expect(boots[i].Expect...)
		}
		errs[i] = err
	}
	return results, errors.Join(errs...)
}
