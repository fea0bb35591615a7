// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHRunner logs in to a PDU or hypervisor with ssh and runs the device's command
// (for example "off {port}"); the fence succeeds when the command exits 0 and, when
// the device gives a status_command, that command exits 0 too (write it so that it
// exits 0 only when the node is off). The server's host key must be in the device's
// known_hosts file (KnownHostsPath unless known_hosts= names another); there is no
// way to skip the check, since a fence answered by the wrong host is no fence.
// Login is by identity_file (a private key without passphrase) and/or passwd.
type SSHRunner struct{}

// maxOutput bounds how much of a command's output is kept for the log.
const maxOutput = 1024

// Fence runs the device's command.
func (SSHRunner) Fence(ctx context.Context, job Job, d Device) error {
	cfg := d.ssh
	if cfg == nil {
		return errors.New("device has no ssh configuration")
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	conf, err := cfg.clientConfig()
	if err != nil {
		return err
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", cfg.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	sc, chans, reqs, err := ssh.NewClientConn(conn, cfg.addr, conf)
	if err != nil {
		conn.Close()
		return fmt.Errorf("ssh to %s@%s: %w", cfg.user, cfg.addr, ctxErr(ctx, err))
	}
	cl := ssh.NewClient(sc, chans, reqs)
	defer cl.Close()
	out, err := runRemote(cl, cfg.command)
	if err != nil {
		return fmt.Errorf("%s@%s: %q: %w", cfg.user, cfg.addr, cfg.command, ctxErr(ctx, err))
	}
	job.Log.Printf("ssh %s@%s: %q succeeded%s", cfg.user, cfg.addr, cfg.command, outputNote(out))
	if cfg.statusCommand == "" {
		return nil
	}
	out, err = runRemote(cl, cfg.statusCommand)
	if err != nil {
		return fmt.Errorf("%s@%s: status %q: %w (the node is not confirmed off)", cfg.user, cfg.addr, cfg.statusCommand, ctxErr(ctx, err))
	}
	job.Log.Printf("ssh %s@%s: status %q confirms off%s", cfg.user, cfg.addr, cfg.statusCommand, outputNote(out))
	return nil
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

func outputNote(out []byte) string {
	s := strings.TrimSpace(string(out))
	if s == "" {
		return ""
	}
	return ": " + s
}

func (cfg *sshConfig) clientConfig() (*ssh.ClientConfig, error) {
	hostKeys, err := knownhosts.New(cfg.knownHosts)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("known_hosts file %s does not exist; put the host key of %s there (ssh-keyscan -p PORT HOST)", cfg.knownHosts, cfg.addr)
		}
		return nil, fmt.Errorf("known_hosts file %s: %w", cfg.knownHosts, err)
	}
	var auth []ssh.AuthMethod
	if cfg.identityFile != "" {
		pem, err := os.ReadFile(cfg.identityFile)
		if err != nil {
			return nil, fmt.Errorf("identity_file: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			return nil, fmt.Errorf("identity_file %s: %w (osr takes keys without passphrase)", cfg.identityFile, err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if cfg.password != "" {
		pw := cfg.password
		auth = append(auth, ssh.Password(pw), ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
			answers := make([]string, len(questions))
			for i := range answers {
				answers[i] = pw
			}
			return answers, nil
		}))
	}
	return &ssh.ClientConfig{User: cfg.user, Auth: auth, HostKeyCallback: hostKeys, Timeout: cfg.timeout}, nil
}

// runRemote runs one command in its own session and returns its combined output.
func runRemote(cl *ssh.Client, command string) ([]byte, error) {
	s, err := cl.NewSession()
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	defer s.Close()
	var buf limitedBuffer
	s.Stdout = &buf
	s.Stderr = &buf
	err = s.Run(command)
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		return buf.Bytes(), fmt.Errorf("exit status %d%s", exit.ExitStatus(), outputNote(buf.Bytes()))
	}
	if err != nil {
		return buf.Bytes(), err
	}
	return buf.Bytes(), nil
}

// limitedBuffer keeps the first maxOutput bytes written to it. It takes standard
// output and standard error at once, so it locks; it has only Write, so that io.Copy
// cannot go around it with a ReadFrom.
type limitedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := maxOutput - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

// Bytes returns what was kept.
func (b *limitedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}
