// SPDX-License-Identifier: Apache-2.0

// Package fencehost is the host side of fencing in the boot tests, as fence_virtd is
// for fence_virt: an ssh server that the guests' fence agent (osr's fence_osr_ssh
// device) logs in to when a node has to be fenced. The command "off NODE" makes sure
// that node's qemu is dead: the server kills the PID the test registered for the node
// and answers only once the process is gone. "status NODE" exits 0 when the node is
// off and 1 while it runs, for the device's status_command.
//
// Use in a test:
//
//	fh, err := fencehost.StartInNetns(lab.NS, lab.Addr.Addr().String()+":2222") // or Start("127.0.0.1:0")
//	defer fh.Close()
//	key, known, err := fh.WriteClientFiles(chrootEtcOsr) // identity_file and known_hosts for the guests
//	fh.Register("node2", qemu2.Process.Pid)
//	… kill nothing yourself; the survivor's agent runs "off node2" …
//	ev, err := fh.WaitFenced(ctx, "node2")
//
// with a fence device such as
//
//	<fencedevice name="host" agent="fence_osr_ssh" ipaddr="192.168.122.1" ipport="2222" login="fence"
//	             identity_file="/etc/osr/fence_id" known_hosts="/etc/osr/fence_known_hosts"
//	             command="off {port}" status_command="status {port}"/>
//	… <fence><method name="1"><device name="host" port="node2"/></method></fence>
//
// The server kills only PIDs registered with it (the test's own qemu processes) and
// checks that the PID still belongs to the process registered (its start time), so a
// reused PID is never killed.
package fencehost

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// User is the login name the server accepts.
const User = "fence"

// deathWait bounds how long "off" waits for a killed process to be gone.
const deathWait = 20 * time.Second

// Event is one fencing the server carried out.
type Event struct {
	// Node is the node named in the command.
	Node string
	// PID is the process registered for the node.
	PID int
	// Command is the command as received.
	Command string
	// At is when the process was confirmed dead, or when the command failed.
	At time.Time
	// AlreadyOff: the process was gone before the command came.
	AlreadyOff bool
	// Err is empty on success, else why the node could not be fenced.
	Err string
}

// Options configure StartWith.
type Options struct {
	// Password, when set, is accepted as a login password besides the client key.
	Password string
}

// Server is a running fence host.
type Server struct {
	ln        net.Listener
	conf      *ssh.ServerConfig
	hostKey   ssh.Signer
	clientKey ed25519.PrivateKey

	mu     sync.Mutex
	nodes  map[string]proc
	events []Event
	notify chan struct{} // closed and replaced on every event

	wg     sync.WaitGroup
	closed chan struct{}
}

// Start listens on addr (host:port; port 0 picks one) in the current network namespace.
func Start(addr string) (*Server, error) { return StartWith(addr, Options{}) }

// StartInNetns listens on addr inside the named network namespace (/run/netns/NAME),
// where the guests' bridge is; the server itself runs in this process.
func StartInNetns(ns, addr string) (*Server, error) {
	ln, err := listenInNetns(ns, addr)
	if err != nil {
		return nil, err
	}
	return serve(ln, Options{})
}

// StartWith is Start with options.
func StartWith(addr string, o Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fence host: listen on %s: %w", addr, err)
	}
	return serve(ln, o)
}

func listenInNetns(name, addr string) (net.Listener, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("fence host: current network namespace: %w", err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(name)
	if err != nil {
		return nil, fmt.Errorf("fence host: network namespace %s: %w", name, err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		return nil, fmt.Errorf("fence host: enter network namespace %s: %w", name, err)
	}
	ln, lerr := net.Listen("tcp", addr)
	if err := netns.Set(orig); err != nil {
		// This thread is in the wrong namespace; leave it locked so Go retires it.
		runtime.LockOSThread()
		if ln != nil {
			ln.Close()
		}
		return nil, fmt.Errorf("fence host: return from network namespace %s: %w", name, err)
	}
	if lerr != nil {
		return nil, fmt.Errorf("fence host: listen on %s in %s: %w", addr, name, lerr)
	}
	return ln, nil
}

func serve(ln net.Listener, o Options) (*Server, error) {
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("fence host: host key: %w", err)
	}
	hostKey, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("fence host: host key: %w", err)
	}
	_, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("fence host: client key: %w", err)
	}
	clientPub, err := ssh.NewPublicKey(clientPriv.Public())
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("fence host: client key: %w", err)
	}
	s := &Server{ln: ln, hostKey: hostKey, clientKey: clientPriv, nodes: map[string]proc{},
		notify: make(chan struct{}), closed: make(chan struct{})}
	s.conf = &ssh.ServerConfig{
		PublicKeyCallback: func(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if md.User() == User && string(key.Marshal()) == string(clientPub.Marshal()) {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("key not accepted")
		},
	}
	if o.Password != "" {
		s.conf.PasswordCallback = func(md ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if md.User() == User && string(pw) == o.Password {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("password not accepted")
		}
	}
	s.conf.AddHostKey(hostKey)
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// KnownHosts is a known_hosts line for the server's address and host key.
func (s *Server) KnownHosts() []byte {
	return []byte(knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, s.hostKey.PublicKey()) + "\n")
}

// KnownHostsFor is a known_hosts line naming the server as addr (host:port), for
// guests that reach it under another address than the one it listens on.
func (s *Server) KnownHostsFor(addr string) []byte {
	return []byte(knownhosts.Line([]string{knownhosts.Normalize(addr)}, s.hostKey.PublicKey()) + "\n")
}

// ClientKeyPEM is the private key the server accepts for User, in OpenSSH format.
func (s *Server) ClientKeyPEM() ([]byte, error) {
	blk, err := ssh.MarshalPrivateKey(s.clientKey, "osr fence test")
	if err != nil {
		return nil, fmt.Errorf("fence host: client key: %w", err)
	}
	return pem.EncodeToMemory(blk), nil
}

// WriteClientFiles writes the client key (fence_id) and a known_hosts file
// (fence_known_hosts) for the server's address into dir, both 0600, and returns their
// paths.
func (s *Server) WriteClientFiles(dir string) (identityFile, knownHostsFile string, err error) {
	key, err := s.ClientKeyPEM()
	if err != nil {
		return "", "", err
	}
	identityFile = filepath.Join(dir, "fence_id")
	knownHostsFile = filepath.Join(dir, "fence_known_hosts")
	if err := os.WriteFile(identityFile, key, 0o600); err != nil {
		return "", "", fmt.Errorf("fence host: %w", err)
	}
	if err := os.WriteFile(knownHostsFile, s.KnownHosts(), 0o600); err != nil {
		return "", "", fmt.Errorf("fence host: %w", err)
	}
	return identityFile, knownHostsFile, nil
}

// Register names the process that is node; "off node" kills it. Registering a node
// again replaces its process (a rebooted node's new qemu).
func (s *Server) Register(node string, pid int) error {
	start, err := startTime(pid)
	if err != nil {
		return fmt.Errorf("fence host: register %s: %w", node, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[node] = proc{pid: pid, start: start}
	return nil
}

// Fenced returns the fencings carried out so far, oldest first.
func (s *Server) Fenced() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// WaitFenced waits until node has been fenced successfully and returns that event.
func (s *Server) WaitFenced(ctx context.Context, node string) (Event, error) {
	for {
		s.mu.Lock()
		for _, ev := range s.events {
			if ev.Node == node && ev.Err == "" {
				s.mu.Unlock()
				return ev, nil
			}
		}
		ch := s.notify
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Event{}, fmt.Errorf("fence host: %s was not fenced: %w", node, ctx.Err())
		case <-ch:
		}
	}
}

// Close stops the server and waits for its connections to end.
func (s *Server) Close() error {
	select {
	case <-s.closed:
		return nil
	default:
	}
	close(s.closed)
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c)
		}()
	}
}

func (s *Server) handle(c net.Conn) {
	defer c.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-s.closed:
			c.Close()
		case <-stop:
		}
	}()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	conn, chans, reqs, err := ssh.NewServerConn(c, s.conf)
	if err != nil {
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		s.session(ch, creqs)
	}
}

// session serves one session: a single exec request.
func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
			continue
		}
		var payload struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
			_ = req.Reply(false, nil)
			continue
		}
		_ = req.Reply(true, nil)
		out, code := s.run(payload.Command)
		_, _ = ch.Write([]byte(out + "\n"))
		// As OpenSSH does: end of data, then the exit status, then close.
		_ = ch.CloseWrite()
		status := struct{ Status uint32 }{uint32(code)}
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(&status))
		return
	}
}

// run carries out one command and returns its output and exit status.
func (s *Server) run(command string) (string, int) {
	f := strings.Fields(command)
	if len(f) != 2 || (f[0] != "off" && f[0] != "status") {
		return fmt.Sprintf("usage: off NODE | status NODE (got %q)", command), 2
	}
	verb, node := f[0], f[1]
	s.mu.Lock()
	p, ok := s.nodes[node]
	s.mu.Unlock()
	if !ok {
		if verb == "off" {
			s.record(Event{Node: node, Command: command, Err: "node not registered"})
		}
		return fmt.Sprintf("%s: unknown node", node), 1
	}
	if verb == "status" {
		if alive(p) {
			return node + ": on", 1
		}
		return node + ": off", 0
	}
	ev := Event{Node: node, PID: p.pid, Command: command}
	if !alive(p) {
		ev.AlreadyOff = true
		s.record(ev)
		return node + ": off (was already off)", 0
	}
	if err := syscall.Kill(p.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		ev.Err = fmt.Sprintf("kill %d: %v", p.pid, err)
		s.record(ev)
		return node + ": " + ev.Err, 1
	}
	deadline := time.Now().Add(deathWait)
	for alive(p) {
		if time.Now().After(deadline) {
			ev.Err = fmt.Sprintf("process %d still alive %s after SIGKILL", p.pid, deathWait)
			s.record(ev)
			return node + ": " + ev.Err, 1
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.record(ev)
	return node + ": off", 0
}

func (s *Server) record(ev Event) {
	ev.At = time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	close(s.notify)
	s.notify = make(chan struct{})
}
