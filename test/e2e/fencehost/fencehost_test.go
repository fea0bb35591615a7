// SPDX-License-Identifier: Apache-2.0

package fencehost

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/open-sharedroot/osr/test/e2e/netlab"
)

// startVictim starts a process standing in for a node's qemu.
func startVictim(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// dial logs in as the guests' agent does: the client key and a host key check.
func dial(t *testing.T, s *Server) *ssh.Client {
	t.Helper()
	dir := t.TempDir()
	keyFile, knownFile, err := s.WriteClientFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{keyFile, knownFile} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := knownhosts.New(knownFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{User: User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: hk, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func run(t *testing.T, c *ssh.Client, cmd string) (string, int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.CombinedOutput(cmd)
	var exit *ssh.ExitError
	switch {
	case errors.As(err, &exit):
		return strings.TrimSpace(string(out)), exit.ExitStatus()
	case err != nil:
		t.Fatalf("%q: %v", cmd, err)
	}
	return strings.TrimSpace(string(out)), 0
}

func TestOffKillsRegisteredProcess(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	victim := startVictim(t)
	bystander := startVictim(t)
	if err := s.Register("node2", victim.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := s.Register("node3", bystander.Process.Pid); err != nil {
		t.Fatal(err)
	}
	c := dial(t, s)

	steps := []struct {
		cmd      string
		wantOut  string
		wantCode int
	}{
		{"status node2", "node2: on", 1},
		{"off node9", "node9: unknown node", 1},
		{"reboot node2", `usage: off NODE | status NODE (got "reboot node2")`, 2},
		{"off node2", "node2: off", 0},
		{"status node2", "node2: off", 0},
		{"off node2", "node2: off (was already off)", 0},
		{"status node3", "node3: on", 1},
	}
	for _, st := range steps {
		out, code := run(t, c, st.cmd)
		if out != st.wantOut || code != st.wantCode {
			t.Errorf("%q = %q, exit %d; want %q, exit %d", st.cmd, out, code, st.wantOut, st.wantCode)
		}
	}
	err = victim.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("victim ended with %v; want killed by SIGKILL", err)
	}
	if err := bystander.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the other node's process was touched: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := s.WaitFenced(ctx, "node2")
	if err != nil {
		t.Fatal(err)
	}
	if ev.PID != victim.Process.Pid || ev.AlreadyOff || ev.Err != "" || ev.Command != "off node2" {
		t.Errorf("event = %+v", ev)
	}
	evs := s.Fenced()
	if len(evs) != 3 || evs[0].Err != "node not registered" || !evs[2].AlreadyOff {
		t.Errorf("events = %+v; want the unknown node, the kill, the second off", evs)
	}
}

func TestWaitFencedTimesOut(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.WaitFenced(ctx, "node1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFenced = %v; want a deadline error", err)
	}
}

func TestRefusesOtherKeysAndUsers(t *testing.T) {
	s, err := StartWith("127.0.0.1:0", Options{Password: "pdu-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(other)
	pem, err := s.ClientKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	good, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := knownhosts.New(writeFile(t, s.KnownHosts()))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		user string
		auth ssh.AuthMethod
		ok   bool
	}{
		{"the client key", User, ssh.PublicKeys(good), true},
		{"the password", User, ssh.Password("pdu-secret"), true},
		{"another key", User, ssh.PublicKeys(otherSigner), false},
		{"a wrong password", User, ssh.Password("guess"), false},
		{"another user", "root", ssh.PublicKeys(good), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{User: tc.user, Auth: []ssh.AuthMethod{tc.auth}, HostKeyCallback: hk, Timeout: 5 * time.Second})
			if c != nil {
				c.Close()
			}
			if (err == nil) != tc.ok {
				t.Errorf("login: %v; want success %v", err, tc.ok)
			}
		})
	}
}

func TestRegisterRejectsMissingProcess(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := s.Register("node1", cmd.Process.Pid); err == nil {
		t.Error("registering an exited process succeeded")
	}
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// In a lab namespace the server listens on the bridge address; a client inside the
// namespace (where the guests are) fences through it.
func TestStartInNetns(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a network namespace; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root to create a network namespace")
	}
	ctx := context.Background()
	l, err := netlab.New(ctx, netlab.Options{Prefix: "osrfencehosttest"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr.Addr().String() + ":2222"
	s, err := StartInNetns(l.NS, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Addr() != addr {
		t.Errorf("Addr = %s, want %s", s.Addr(), addr)
	}
	victim := startVictim(t)
	if err := s.Register("node1", victim.Process.Pid); err != nil {
		t.Fatal(err)
	}
	conn := dialInNetns(t, l.NS, addr)
	pem, _ := s.ClientKeyPEM()
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := knownhosts.New(writeFile(t, s.KnownHosts()))
	if err != nil {
		t.Fatal(err)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, &ssh.ClientConfig{User: User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: hk})
	if err != nil {
		t.Fatal(err)
	}
	c := ssh.NewClient(sc, chans, reqs)
	defer c.Close()
	if out, code := run(t, c, "off node1"); code != 0 {
		t.Fatalf("off node1 = %q, exit %d", out, code)
	}
	if err := victim.Wait(); err == nil {
		t.Error("the victim exited normally; want killed")
	}
}

func dialInNetns(t *testing.T, ns, addr string) net.Conn {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := netns.Set(h); err != nil {
		t.Fatal(err)
	}
	conn, derr := net.DialTimeout("tcp", addr, 5*time.Second)
	if err := netns.Set(orig); err != nil {
		runtime.LockOSThread() // leave this thread out of use
		t.Fatal(err)
	}
	if derr != nil {
		t.Fatal(derr)
	}
	return conn
}
