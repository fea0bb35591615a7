// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// ErrDriverExited is wrapped by errors from calls to a driver process that died.
var ErrDriverExited = errors.New("driver process exited")

// ErrUnimplemented is wrapped by errors from calls the driver does not implement.
var ErrUnimplemented = errors.New("driver does not implement the call")

// ErrProtocolMismatch is wrapped when a driver speaks another major protocol version.
var ErrProtocolMismatch = errors.New("driver protocol version mismatch")

// DefaultStartTimeout is how long osr waits for a driver's handshake.
const DefaultStartTimeout = 10 * time.Second

// LaunchOptions configure how a driver process is started.
type LaunchOptions struct {
	// Logger receives the driver's stderr, named after the driver. Default: no logging.
	Logger hclog.Logger
	// StartTimeout bounds the handshake. Default DefaultStartTimeout.
	StartTimeout time.Duration
	// SHA256, when set, is the digest the binary must have; it is checked before exec.
	SHA256 []byte
	// SocketDir is where the gRPC unix socket is created (it must exist). Default: the
	// system temporary directory.
	SocketDir string
	// Env is added to the driver's environment.
	Env []string
}

// Process is a running driver. It implements Driver; Kill ends it.
type Process struct {
	Driver
	// Path is the binary that was started.
	Path   string
	client *plugin.Client
}

// Launch starts the driver binary at path and connects to it. The caller must call
// Kill when done, also on errors of later calls; Launch cleans up after its own errors.
func Launch(ctx context.Context, path string, opts LaunchOptions) (*Process, error) {
	logger := opts.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = DefaultStartTimeout
	}
	cmd := exec.Command(path)
	cmd.Env = append(cmd.Env, opts.Env...)
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          pluginSet(nil),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		StartTimeout:     timeout,
		SyncStdout:       nil,
		SyncStderr:       nil,
	}
	if opts.SocketDir != "" {
		// The driver reads the directory from its environment; go-plugin's
		// UnixSocketConfig.TempDir reaches a plugin only through a RunnerFunc.
		cmd.Env = append(cmd.Env, plugin.EnvUnixSocketDir+"="+opts.SocketDir)
	}
	if len(opts.SHA256) > 0 {
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: opts.SHA256, Hash: sha256.New()}
	}
	client := plugin.NewClient(cfg)
	fail := func(err error) (*Process, error) {
		client.Kill()
		return nil, err
	}
	// Start the process and wait for the handshake, honouring ctx.
	type result struct {
		rpc plugin.ClientProtocol
		err error
	}
	done := make(chan result, 1)
	go func() {
		rpc, err := client.Client()
		done <- result{rpc, err}
	}()
	var rpc plugin.ClientProtocol
	select {
	case <-ctx.Done():
		client.Kill()
		<-done
		return nil, fmt.Errorf("start driver %s: %w", path, ctx.Err())
	case r := <-done:
		if r.err != nil {
			return fail(explainStartError(path, r.err))
		}
		rpc = r.rpc
	}
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		return fail(fmt.Errorf("driver %s: %w", path, err))
	}
	gc, ok := raw.(*grpcClient)
	if !ok {
		return fail(fmt.Errorf("driver %s: unexpected plugin type %T", path, raw))
	}
	gc.exited = client.Exited
	gc.name = path
	return &Process{Driver: gc, Path: path, client: client}, nil
}

// SetName names the driver in later error messages (after Describe told its name).
func (p *Process) SetName(name string) {
	if gc, ok := p.Driver.(*grpcClient); ok {
		gc.name = name
	}
}

// Exited reports whether the driver process has ended.
func (p *Process) Exited() bool { return p.client.Exited() }

// Kill ends the driver process and waits for it, so no zombie is left. It is safe to
// call more than once.
func (p *Process) Kill() { p.client.Kill() }

// PID returns the driver's process id, or 0 when it is not running.
func (p *Process) PID() int {
	rc := p.client.ReattachConfig()
	if rc == nil {
		return 0
	}
	return rc.Pid
}

func explainStartError(path string, err error) error {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "incompatible api version"):
		return fmt.Errorf("driver %s speaks another protocol version than osr (protocol %d): %s; install a driver built for this osr: %w",
			path, ProtocolVersion, err.Error(), ErrProtocolMismatch)
	case strings.Contains(msg, "checksum"):
		return fmt.Errorf("driver %s does not have the expected sha256 (it was changed after the image was built?): %w", path, err)
	case strings.Contains(msg, "exited before we could connect"), strings.Contains(msg, "plugin exited"),
		strings.Contains(msg, "failed to read any lines"):
		return fmt.Errorf("driver %s exited during start-up (is it an osr driver? its log above may say why): %w", path, ErrDriverExited)
	case strings.Contains(msg, "timeout"):
		return fmt.Errorf("driver %s did not answer the handshake in time (is it an osr driver?): %w", path, err)
	case strings.Contains(msg, "unrecognized remote plugin message"):
		return fmt.Errorf("driver %s printed something other than the plugin handshake on stdout (is it an osr driver? drivers must not print to stdout): %w", path, err)
	}
	return fmt.Errorf("start driver %s: %w", path, err)
}

// Mount asks the driver process to mount the root (see Mounter).
func (p *Process) Mount(ctx context.Context, req MountRequest) (*MountResult, error) {
	m, ok := p.Driver.(Mounter)
	if !ok {
		return nil, fmt.Errorf("driver %s: no mount support in this client", p.Path)
	}
	return m.Mount(ctx, req)
}
