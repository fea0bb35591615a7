// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"github.com/open-sharedroot/osr/framework/driver"

	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
)

// ErrDriverExited is wrapped by errors from calls to a driver process that died.
var ErrDriverExited = errors.New("driver process exited")

// ErrProtocolMismatch is wrapped when a driver speaks another major protocol version.
var ErrProtocolMismatch = errors.New("driver protocol version mismatch")

// ErrUnreachable is wrapped when nothing answers at the address a driver's
// handshake announced.
var ErrUnreachable = errors.New("driver address unreachable")

// DefaultStartTimeout is how long osr waits for a driver's handshake.
const DefaultStartTimeout = 10 * time.Second

// killGrace is how long Kill lets a driver shut down when asked before its
// process group is killed.
const killGrace = 2 * time.Second

// LaunchOptions configure how a driver process is started.
type LaunchOptions struct {
	// Logger receives the driver's stderr, named after the driver. Default: no logging.
	Logger hclog.Logger
	// StartTimeout bounds the handshake. Default DefaultStartTimeout.
	StartTimeout time.Duration
	// Timeouts bound each call to the driver (see Timeouts).
	Timeouts driver.Timeouts
	// SHA256, when set, is the digest the binary must have; it is checked before exec.
	SHA256 []byte
	// SocketDir is where the directory for the driver's gRPC unix socket is
	// created (it must exist); the directory is removed when the driver is
	// killed. Default: the system temporary directory.
	SocketDir string
	// Env is added to the driver's environment.
	Env []string
}

// Process is a running driver. It implements Driver; Kill ends it and every
// process it started in its process group.
type Process struct {
	driver.Driver
	// Path is the binary that was started.
	Path      string
	client    *goplugin.Client
	run       *groupRunner
	socketDir string
	killOnce  sync.Once
}

// launchState is what go-plugin's RunnerFunc hands back to Launch.
type launchState struct {
	mu        sync.Mutex
	run       *groupRunner
	socketDir string
}

func (s *launchState) get() (*groupRunner, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run, s.socketDir
}

// Launch starts the driver binary at path in its own process group and
// connects to it. The caller must call Kill when done, also on errors of later
// calls; Launch cleans up after its own errors, and when ctx ends.
func Launch(ctx context.Context, path string, opts LaunchOptions) (*Process, error) {
	logger := opts.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	if len(opts.SHA256) > 0 {
		if err := checkSum(path, opts.SHA256); err != nil {
			return nil, err
		}
	}
	var st launchState
	cfg := &goplugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          pluginSet(nil),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           logger,
		StartTimeout:     timeout,
		// The socket goes into a fresh directory under SocketDir, which
		// go-plugin passes to the driver and removes on Kill.
		UnixSocketConfig: &goplugin.UnixSocketConfig{TempDir: opts.SocketDir},
		RunnerFunc: func(_ hclog.Logger, spec *exec.Cmd, dir string) (runner.Runner, error) {
			r := newGroupRunner(path, spec, opts.Env)
			st.mu.Lock()
			st.run, st.socketDir = r, dir
			st.mu.Unlock()
			return r, nil
		},
		SyncStdout: io.Discard,
		SyncStderr: io.Discard,
	}
	client := goplugin.NewClient(cfg)
	proc := func() *Process {
		run, dir := st.get()
		return &Process{Path: path, client: client, run: run, socketDir: dir}
	}
	fail := func(err error) (*Process, error) {
		// A driver that failed its start is not asked to stop: its group is killed.
		if run, _ := st.get(); run != nil {
			_ = run.Kill(context.Background())
		}
		proc().Kill()
		return nil, err
	}
	// Start the process and wait for the handshake, honouring ctx.
	type result struct {
		rpc goplugin.ClientProtocol
		err error
	}
	done := make(chan result, 1)
	go func() {
		rpc, err := client.Client()
		done <- result{rpc, err}
	}()
	var rpc goplugin.ClientProtocol
	select {
	case <-ctx.Done():
		// Kill the group until the start gives up (the runner may not exist
		// yet when ctx ends).
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for waiting := true; waiting; {
			if run, _ := st.get(); run != nil {
				_ = run.Kill(context.Background())
			}
			select {
			case <-done:
				waiting = false
			case <-tick.C:
			}
		}
		proc().Kill()
		return nil, fmt.Errorf("start driver %s: %w", path, ctx.Err())
	case r := <-done:
		if r.err != nil {
			run, _ := st.get()
			return fail(explainStartError(path, r.err, run, timeout))
		}
		rpc = r.rpc
	}
	run, _ := st.get()
	if line, _ := run.first.text(); line != "" {
		// go-plugin dials lazily: find out now whether the announced address answers.
		if h, err := parseHandshake(line); err == nil {
			if err := h.check(timeout); err != nil {
				return fail(fmt.Errorf("driver %s: %w", path, err))
			}
		}
	}
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		return fail(fmt.Errorf("driver %s: %w", path, err))
	}
	gc, ok := raw.(*grpcClient)
	if !ok {
		return fail(fmt.Errorf("driver %s: unexpected plugin type %T", path, raw))
	}
	p := proc()
	gc.exited = client.Exited
	gc.name = path
	gc.timeouts = opts.Timeouts
	p.Driver = gc
	return p, nil
}

// checkSum compares the binary's sha256 with want.
func checkSum(path string, want []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("driver %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("driver %s: read for its sha256: %w", path, err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		return fmt.Errorf("driver %s does not have the expected sha256 %x but %x (it was changed after the image was built?)", path, want, got)
	}
	return nil
}

// SetName names the driver in later error messages (after Describe told its name).
func (p *Process) SetName(name string) {
	if gc, ok := p.Driver.(*grpcClient); ok {
		gc.name = name
	}
}

// Exited reports whether the driver process has ended.
func (p *Process) Exited() bool { return p.client.Exited() }

// Kill ends the driver: it asks it to stop, kills its whole process group when
// it does not within a short grace (or at once when it is stuck), reaps it and
// removes its socket directory, so no process, zombie or socket is left. It is
// safe to call more than once and from several goroutines.
func (p *Process) Kill() {
	p.killOnce.Do(func() {
		done := make(chan struct{})
		go func() {
			p.client.Kill()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(killGrace):
			if p.run != nil {
				_ = p.run.Kill(context.Background())
			}
			<-done
		}
		if p.run != nil {
			// The group dies with its leader (see groupRunner.watch); this
			// waits for that when go-plugin never started the process.
			_ = p.run.Kill(context.Background())
			<-p.run.exited
		}
		if p.socketDir != "" {
			_ = os.RemoveAll(p.socketDir)
		}
	})
}

// PID returns the driver's process id (also its process group id), or 0 when
// it was never started.
func (p *Process) PID() int {
	if p.run == nil {
		return 0
	}
	return p.run.pid
}

// SocketDir is the directory that holds the driver's socket; Kill removes it.
func (p *Process) SocketDir() string { return p.socketDir }

func explainStartError(path string, err error, run *groupRunner, timeout time.Duration) error {
	line, complete := "", false
	if run != nil {
		line, complete = run.first.text()
	}
	if line != "" {
		h, perr := parseHandshake(line)
		if perr != nil {
			return fmt.Errorf("driver %s printed %q on stdout instead of the plugin handshake (%v); is it an osr driver? drivers must not print to stdout: %w",
				path, clip(line), perr, err)
		}
		if cerr := h.check(timeout); cerr != nil {
			return fmt.Errorf("driver %s: %w", path, cerr)
		}
		if !complete {
			return fmt.Errorf("driver %s printed an unfinished handshake %q: %w", path, clip(line), err)
		}
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "exited before we could connect"), strings.Contains(msg, "plugin exited"),
		strings.Contains(msg, "failed to read any lines"):
		return fmt.Errorf("driver %s exited during start-up (is it an osr driver? its log above may say why): %w", path, ErrDriverExited)
	case strings.Contains(msg, "timeout"):
		return fmt.Errorf("driver %s did not answer the handshake within %v (is it an osr driver?): %w: %w", path, timeout, err, driver.ErrTimeout)
	}
	return fmt.Errorf("start driver %s: %w", path, err)
}

// clip shortens what a driver printed for an error message.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// Mount asks the driver process to mount the root (see Mounter).
func (p *Process) Mount(ctx context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	m, ok := p.Driver.(driver.Mounter)
	if !ok {
		return nil, fmt.Errorf("driver %s: no mount support in this client", p.Path)
	}
	return m.Mount(ctx, req)
}
