// SPDX-License-Identifier: Apache-2.0

// Package ganesha runs a userspace NFS server for boot tests: rpcbind and
// nfs-ganesha (FSAL VFS) inside a network namespace, exporting one host
// directory over NFSv3 and NFSv4.x with root not squashed, no grace period
// and a fixed mountd port, so a guest's initrd can mount it with plain
// mount(2) options. Both daemons are started and stopped by their PIDs.
package ganesha

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// Fixed ports: NFS, and mountd for NFSv3 clients (mountport=).
const (
	NFSPort   = 2049
	MountPort = 20048
	rpcPort   = 111
)

// DefaultPseudo is the NFSv4 pseudo path of the export.
const DefaultPseudo = "/nfsroot"

// Config describes the server.
type Config struct {
	// NetNS is the network namespace the daemons run in.
	NetNS string
	// Addr is the address to listen on, an address of the namespace.
	Addr netip.Addr
	// Export is the host directory to export.
	Export string
	// Pseudo is its NFSv4 path; empty means DefaultPseudo.
	Pseudo string
	// StateDir holds the configuration, logs and recovery data.
	StateDir string
	// ReadyTimeout bounds the wait for the ports; 0 means 30 s.
	ReadyTimeout time.Duration
}

// Server is a running rpcbind + nfs-ganesha pair.
type Server struct {
	cfg     Config
	rpcbind *exec.Cmd
	ganesha *exec.Cmd
	exited  map[*exec.Cmd]chan struct{}
}

var confTemplate = template.Must(template.New("ganesha.conf").Parse(`# nfs-ganesha configuration written by the osr boot tests
NFS_CORE_PARAM {
    Bind_addr = {{.Addr}};
    Protocols = 3, 4;
    NFS_Port = {{.NFSPort}};
    MNT_Port = {{.MountPort}};
    Enable_NLM = false;
    Enable_RQUOTA = false;
    Enable_UDP = false;
}
NFSV4 {
    Graceless = true;
    # uid and gid as numbers, as the Linux NFS server does for sec=sys: an owner
    # string would make the client ask the idmapper, /sbin/request-key on the
    # very root being served, for every file it looks up.
    Only_Numeric_Owners = true;
    RecoveryRoot = "{{.Recovery}}";
}
EXPORT {
    Export_Id = 1;
    Path = "{{.Export}}";
    Pseudo = "{{.Pseudo}}";
    Access_Type = RW;
    Squash = No_Root_Squash;
    Protocols = 3, 4;
    Transports = TCP;
    SecType = sys;
    FSAL { Name = VFS; }
}
LOG { Default_Log_Level = EVENT; }
`))

// Start writes the configuration, starts rpcbind (ganesha refuses to run
// without a portmapper) and ganesha in the namespace and waits until both
// NFS and mountd ports listen.
func Start(ctx context.Context, cfg Config) (_ *Server, err error) {
	if cfg.NetNS == "" || !cfg.Addr.IsValid() || cfg.Export == "" || cfg.StateDir == "" {
		return nil, errors.New("ganesha: namespace, address, export and state dir are required")
	}
	if cfg.Pseudo == "" {
		cfg.Pseudo = DefaultPseudo
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	recovery := filepath.Join(cfg.StateDir, "recovery")
	if err := os.MkdirAll(recovery, 0o755); err != nil {
		return nil, fmt.Errorf("ganesha state dir: %w", err)
	}
	var conf bytes.Buffer
	if err := confTemplate.Execute(&conf, map[string]any{
		"Addr": cfg.Addr, "NFSPort": NFSPort, "MountPort": MountPort,
		"Recovery": recovery, "Export": cfg.Export, "Pseudo": cfg.Pseudo,
	}); err != nil {
		return nil, fmt.Errorf("render ganesha.conf: %w", err)
	}
	confPath := filepath.Join(cfg.StateDir, "ganesha.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("write ganesha.conf: %w", err)
	}
	s := &Server{cfg: cfg, exited: map[*exec.Cmd]chan struct{}{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Stop())
		}
	}()
	if s.rpcbind, err = s.start("rpcbind.log", "rpcbind", "-f", "-w"); err != nil {
		return nil, err
	}
	if err := s.waitListening(ctx, s.rpcbind, "rpcbind.log", rpcPort); err != nil {
		return nil, err
	}
	s.ganesha, err = s.start("ganesha.stdout", "ganesha.nfsd", "-F", "-f", confPath,
		"-L", s.logPath(), "-p", filepath.Join(cfg.StateDir, "ganesha.pid"), "-N", "NIV_EVENT")
	if err != nil {
		return nil, err
	}
	if err := s.waitListening(ctx, s.ganesha, "ganesha.log", NFSPort, MountPort); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) logPath() string { return filepath.Join(s.cfg.StateDir, "ganesha.log") }

// start runs name inside the namespace with output to logName.
func (s *Server) start(logName, name string, args ...string) (*exec.Cmd, error) {
	log, err := os.Create(filepath.Join(s.cfg.StateDir, logName))
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", s.cfg.NetNS, name}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s in %s: %w", name, s.cfg.NetNS, err)
	}
	done := make(chan struct{})
	s.exited[cmd] = done
	go func() {
		// The exit status is of no interest: a daemon that dies early is
		// caught by waitListening, and Stop ends them on purpose.
		_ = cmd.Wait()
		log.Close()
		close(done)
	}()
	return cmd, nil
}

// waitListening polls the process's network namespace (/proc/PID/net/tcp)
// until every port listens on the server address or on any address.
func (s *Server) waitListening(ctx context.Context, cmd *exec.Cmd, logName string, ports ...int) error {
	name := filepath.Base(cmd.Args[4])
	deadline := time.NewTimer(s.cfg.ReadyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		listening, err := listeningPorts(cmd.Process.Pid)
		if err == nil && containsAll(listening, ports) {
			return nil
		}
		select {
		case <-s.exited[cmd]:
			return fmt.Errorf("%s exited before listening on %v; %s", name, ports, s.logTail(logName))
		case <-deadline.C:
			return fmt.Errorf("%s not listening on %v after %v (last check: %v); %s", name, ports, s.cfg.ReadyTimeout, err, s.logTail(logName))
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", name, ctx.Err())
		case <-tick.C:
		}
	}
}

func containsAll(have map[int]bool, want []int) bool {
	for _, p := range want {
		if !have[p] {
			return false
		}
	}
	return true
}

// logTail returns the last lines of one of the server's logs.
func (s *Server) logTail(logName string) string {
	p := filepath.Join(s.cfg.StateDir, logName)
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Sprintf("no log: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return fmt.Sprintf("last lines of %s:\n%s", p, strings.Join(lines, "\n"))
}

// V4Source returns the mount source of the export over NFSv4.
func (s *Server) V4Source() string { return s.cfg.Addr.String() + ":" + s.cfg.Pseudo }

// V3Source returns the mount source of the export over NFSv3.
func (s *Server) V3Source() string { return s.cfg.Addr.String() + ":" + s.cfg.Export }

// V3Options returns mount(2) options for NFSv3 over TCP with the fixed
// ports, which need no portmapper query from the client.
func (s *Server) V3Options() string {
	return fmt.Sprintf("vers=3,proto=tcp,port=%d,mountport=%d,mountproto=tcp", NFSPort, MountPort)
}

// Stop ends ganesha and then rpcbind: SIGTERM to each PID, SIGKILL when
// one is still there after five seconds.
func (s *Server) Stop() error {
	var errs []error
	for _, cmd := range []*exec.Cmd{s.ganesha, s.rpcbind} {
		if cmd == nil {
			continue
		}
		if err := s.stop(cmd); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Server) stop(cmd *exec.Cmd) error {
	done := s.exited[cmd]
	select {
	case <-done:
		return nil
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s (pid %d): %w", cmd.Args[4], cmd.Process.Pid, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
	}
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s (pid %d): %w", cmd.Args[4], cmd.Process.Pid, err)
	}
	<-done
	return nil
}
