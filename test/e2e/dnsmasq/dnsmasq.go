// SPDX-License-Identifier: Apache-2.0

// Package dnsmasq runs dnsmasq as the DHCP and TFTP server of a boot test's
// private network: inside the test's network namespace, bound to the lab's
// bridge, without DNS, with its lease file, log and configuration in a
// directory of the test, started and stopped by its PID.
package dnsmasq

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Ports dnsmasq serves: DHCP and TFTP.
const (
	DHCPPort = 67
	TFTPPort = 69
)

// Config describes the server.
type Config struct {
	// NetNS is the namespace and Interface the link (the lab's bridge)
	// dnsmasq serves.
	NetNS, Interface string
	// RangeStart and RangeEnd bound the addresses it leases, in the
	// subnet of Prefix (for the netmask).
	RangeStart, RangeEnd netip.Addr
	Prefix               netip.Prefix
	// TFTPRoot is the directory served over TFTP; BootFile the file DHCP
	// names for network boot clients (relative to TFTPRoot).
	TFTPRoot, BootFile string
	// RootPath, when set, is offered as DHCP option 17.
	RootPath string
	// StateDir holds the configuration, the lease file and the log; Start
	// creates it when missing.
	StateDir string
	// ReadyTimeout bounds the wait for the ports; 0 means 20 s.
	ReadyTimeout time.Duration
}

// Server is a running dnsmasq.
type Server struct {
	cfg  Config
	cmd  *exec.Cmd
	done chan struct{}
}

// LogPath is where dnsmasq logs (DHCP and TFTP requests included).
func (s *Server) LogPath() string { return filepath.Join(s.cfg.StateDir, "dnsmasq.log") }

// Start writes the configuration and starts dnsmasq in the foreground
// inside the namespace, then waits until the DHCP and TFTP ports are bound.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.NetNS == "" || cfg.Interface == "" || cfg.StateDir == "" || cfg.TFTPRoot == "" || !cfg.RangeStart.IsValid() || !cfg.RangeEnd.IsValid() {
		return nil, errors.New("dnsmasq: namespace, interface, range, TFTP root and state dir are required")
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 20 * time.Second
	}
	mask := netip.MustParseAddr("255.255.255.255").As4()
	for i := cfg.Prefix.Bits(); i < 32; i++ {
		mask[i/8] &^= 0x80 >> (i % 8)
	}
	lines := []string{
		"# dnsmasq configuration written by the osr boot tests",
		"port=0", // no DNS
		"interface=" + cfg.Interface,
		"bind-interfaces",
		"except-interface=lo",
		"user=root", // the TFTP root lies in the test's private temporary directory
		"dhcp-authoritative",
		"dhcp-leasefile=" + filepath.Join(cfg.StateDir, "leases"),
		fmt.Sprintf("dhcp-range=%s,%s,%s,1h", cfg.RangeStart, cfg.RangeEnd, netip.AddrFrom4(mask)),
		"log-dhcp",
		"enable-tftp",
		"tftp-root=" + cfg.TFTPRoot,
	}
	if cfg.BootFile != "" {
		lines = append(lines, "dhcp-boot="+cfg.BootFile)
	}
	if cfg.RootPath != "" {
		lines = append(lines, "dhcp-option=option:root-path,"+cfg.RootPath)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("dnsmasq state directory: %w", err)
	}
	conf := filepath.Join(cfg.StateDir, "dnsmasq.conf")
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("dnsmasq configuration: %w", err)
	}
	s := &Server{cfg: cfg, done: make(chan struct{})}
	log, err := os.Create(s.LogPath())
	if err != nil {
		return nil, fmt.Errorf("dnsmasq log: %w", err)
	}
	s.cmd = exec.Command("ip", "netns", "exec", cfg.NetNS, "dnsmasq", "--keep-in-foreground", "--no-daemon", "--conf-file="+conf,
		"--pid-file="+filepath.Join(cfg.StateDir, "dnsmasq.pid"), "--log-facility=-")
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start dnsmasq in %s: %w", cfg.NetNS, err)
	}
	go func() {
		_ = s.cmd.Wait() // a dnsmasq that dies early is caught by the wait below
		log.Close()
		close(s.done)
	}()
	if err := s.waitBound(ctx); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

func (s *Server) waitBound(ctx context.Context) error {
	deadline := time.NewTimer(s.cfg.ReadyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ports, err := udpPorts(s.cmd.Process.Pid)
		if err == nil && ports[DHCPPort] && ports[TFTPPort] {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("dnsmasq exited before serving; %s", s.logTail())
		case <-deadline.C:
			return fmt.Errorf("dnsmasq not bound to ports %d and %d after %s (%v); %s", DHCPPort, TFTPPort, s.cfg.ReadyTimeout, err, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("waiting for dnsmasq: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// udpPorts returns the bound UDP ports of the network namespace of pid.
func udpPorts(pid int) (map[int]bool, error) {
	ports := map[int]bool{}
	for _, name := range []string{"udp", "udp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, name))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) < 2 {
				continue
			}
			i := strings.LastIndexByte(fs[1], ':')
			if i < 0 {
				continue
			}
			if p, err := strconv.ParseUint(fs[1][i+1:], 16, 16); err == nil {
				ports[int(p)] = true
			}
		}
		f.Close()
	}
	return ports, nil
}

func (s *Server) logTail() string {
	data, err := os.ReadFile(s.LogPath())
	if err != nil {
		return fmt.Sprintf("no log: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return fmt.Sprintf("last lines of %s:\n%s", s.LogPath(), strings.Join(lines, "\n"))
}

// Log returns what dnsmasq logged so far.
func (s *Server) Log() string {
	data, _ := os.ReadFile(s.LogPath())
	return string(data)
}

// Stop ends dnsmasq: SIGTERM to its PID, SIGKILL after five seconds.
func (s *Server) Stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop dnsmasq (pid %d): %w", s.cmd.Process.Pid, err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(5 * time.Second):
	}
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill dnsmasq (pid %d): %w", s.cmd.Process.Pid, err)
	}
	<-s.done
	return nil
}
