// SPDX-License-Identifier: Apache-2.0

// Package guestssh runs commands on test guests over ssh: it makes a key pair for
// a test with ssh-keygen and runs the ssh client inside the lab's network
// namespace (`ip netns exec`), as root on the guest, without touching the host's
// known_hosts. Guests are throw-away machines of the test, so host key checking
// is off.
package guestssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Key is an ed25519 key pair in a directory.
type Key struct {
	// Private is the path of the private key file.
	Private string
	// Public is the public key as an authorized_keys line.
	Public string
}

// NewKey makes a key pair without passphrase in dir, commented with comment.
func NewKey(ctx context.Context, dir, comment string) (Key, error) {
	priv := filepath.Join(dir, "id_ed25519")
	if out, err := exec.CommandContext(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", priv).CombinedOutput(); err != nil {
		return Key{}, fmt.Errorf("ssh-keygen for %s: %w: %s", priv, err, strings.TrimSpace(string(out)))
	}
	pub, err := os.ReadFile(priv + ".pub")
	if err != nil {
		return Key{}, fmt.Errorf("read public key: %w", err)
	}
	return Key{Private: priv, Public: strings.TrimSpace(string(pub))}, nil
}

// Target is a guest reachable from a network namespace.
type Target struct {
	// NetNS is the namespace the client runs in; empty means the caller's.
	NetNS string
	// Addr is the guest's address.
	Addr string
	// Key is the private key file.
	Key string
	// User is the login; empty means root.
	User string
}

// ConnectTimeout bounds one connection attempt.
const ConnectTimeout = 15 * time.Second

// Command returns the command that runs script on the guest.
func (t Target) Command(ctx context.Context, script string) *exec.Cmd {
	user := t.User
	if user == "" {
		user = "root"
	}
	args := []string{"ssh", "-i", t.Key, "-F", "/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", fmt.Sprintf("ConnectTimeout=%d", int(ConnectTimeout.Seconds())),
		"-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=6",
		user + "@" + t.Addr, "--", script}
	if t.NetNS != "" {
		args = append([]string{"ip", "netns", "exec", t.NetNS}, args...)
	}
	return exec.CommandContext(ctx, args[0], args[1:]...)
}

// Run runs script on the guest and returns its standard output. The error
// carries the exit status and standard error. When ssh cannot connect (the
// script never started), it tries again, ConnectRetries times in all: a
// guest under software emulation on a busy host may miss an ARP request.
func (t Target) Run(ctx context.Context, script string) (string, error) {
	var err error
	for attempt := 1; ; attempt++ {
		var out string
		var connectFailed bool
		out, connectFailed, err = t.run(ctx, script)
		if err == nil || !connectFailed || attempt == ConnectRetries {
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, err
		case <-time.After(3 * time.Second):
		}
	}
}

// ConnectRetries is how often Run tries to connect.
const ConnectRetries = 4

func (t Target) run(ctx context.Context, script string) (string, bool, error) {
	cmd := t.Command(ctx, script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		// ssh exits 255 for its own errors; these say no session began.
		connectFailed := cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 255 &&
			(strings.Contains(msg, "connect to host") || strings.Contains(msg, "kex_exchange_identification"))
		return stdout.String(), connectFailed, fmt.Errorf("ssh %s %q: %w: %s", t.Addr, script, err, msg)
	}
	return stdout.String(), false, nil
}

// WaitUp retries a trivial command until the guest's sshd answers or ctx ends;
// the error then says why the last attempt failed.
func (t Target) WaitUp(ctx context.Context) error {
	var last error
	for {
		attempt, cancel := context.WithTimeout(ctx, ConnectTimeout+5*time.Second)
		_, err := t.Run(attempt, "true")
		cancel()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("sshd on %s never answered: %w", t.Addr, errors.Join(ctx.Err(), last))
		case <-time.After(2 * time.Second):
		}
	}
}
