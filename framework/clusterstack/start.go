// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// DefaultQuorumWait bounds the wait for quorum at boot; the kernel parameter
// osr.quorumwait=SECONDS changes it.
const DefaultQuorumWait = 5 * time.Minute

// readyWait bounds the wait for dlm_controld to be ready once it runs.
const readyWait = 60 * time.Second

// Stack starts the cluster services at boot.
type Stack struct {
	// Cluster is the cluster configuration embedded in the image.
	Cluster *cluster.Cluster
	// Image is the chroot's tree in the image; "" means ImageDir.
	Image string
	// Root is where the chroot goes; "" means RunDir.
	Root string
	// Self is the osr program installed in the chroot as osr, fence_osr and
	// shutdown; "" means /init.
	Self string
	// Runner starts the daemons and runs the tools; nil means ExecRunner.
	Runner Runner
	// Output receives the daemons' standard output and error. It must be a file
	// (the console), not a pipe: the daemons outlive the init's process image.
	// nil opens /dev/console.
	Output *os.File
	// Logf hears of every stage.
	Logf func(format string, args ...any)
	// Poll is the pause between status checks; 0 means 250 ms.
	Poll time.Duration
	// SystemdDir receives the unit that watches the daemons on the running
	// system; "" means /run/systemd/system (the init's /run becomes the new
	// root's).
	SystemdDir string
}

// StartRequest names the node being booted and the bounds of the waits.
type StartRequest struct {
	NodeID   int
	NodeName string
	// QuorumWait bounds the wait for quorum; 0 means DefaultQuorumWait.
	QuorumWait time.Duration
}

func (s *Stack) defaults() {
	if s.Image == "" {
		s.Image = ImageDir
	}
	if s.Root == "" {
		s.Root = RunDir
	}
	if s.Self == "" {
		s.Self = "/init"
	}
	if s.Runner == nil {
		s.Runner = ExecRunner{}
	}
	if s.Logf == nil {
		s.Logf = func(string, ...any) {}
	}
	if s.Poll == 0 {
		s.Poll = 250 * time.Millisecond
	}
	if s.SystemdDir == "" {
		s.SystemdDir = "/run/systemd/system"
	}
}

// Start builds the chroot, starts corosync, waits for quorum, starts dlm_controld
// and waits until it is ready. Once it returns nil, GFS2 can be mounted with
// lock_dlm.
func (s *Stack) Start(ctx context.Context, req StartRequest) error {
	s.defaults()
	if s.Cluster == nil {
		return errors.New("no cluster configuration in this image; corosync needs one (osr build --cluster FILE)")
	}
	t0 := time.Now()
	// A retry after the rescue shell finds the chroot and corosync in place.
	if pid, err := runningPID(s.Root, "corosync"); err == nil {
		s.Logf("corosync runs already (pid %d) in %s", pid, s.Root)
	} else {
		n, err := makeChroot(s.Image, s.Root, s.Self)
		if err != nil {
			return fmt.Errorf("cluster chroot: %w", err)
		}
		s.Logf("cluster chroot on %s: %.1f MB copied in %s", s.Root, float64(n)/(1<<20), since(t0))
		if err := s.openOutput(); err != nil {
			return err
		}
		if err := s.startDaemon(ctx, "corosync", corosyncBin, "-f"); err != nil {
			return err
		}
	}
	wait := req.QuorumWait
	if wait <= 0 {
		wait = DefaultQuorumWait
	}
	if err := s.waitQuorum(ctx, req, wait); err != nil {
		return err
	}
	s.Logf("quorate %s into the step (uptime %s)", since(t0), Uptime())
	t1 := time.Now()
	if pid, err := runningPID(s.Root, "dlm_controld"); err == nil {
		s.Logf("dlm_controld runs already (pid %d)", pid)
	} else {
		if err := s.openOutput(); err != nil {
			return err
		}
		if err := s.startDaemon(ctx, "dlm_controld", dlmControldBin, "--foreground"); err != nil {
			return err
		}
	}
	if err := s.waitDLM(ctx); err != nil {
		return err
	}
	s.Logf("dlm_controld ready in %s (uptime %s)", since(t1), Uptime())
	if err := WriteUnit(s.SystemdDir, s.Root); err != nil {
		s.Logf("%v; systemd will not show the cluster stack", err)
	}
	return nil
}

// openOutput opens the console for the daemons' output unless Output is set.
func (s *Stack) openOutput() error {
	if s.Output != nil {
		return nil
	}
	con, err := os.OpenFile("/dev/console", os.O_WRONLY|syscall.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("open the console for the daemons' output: %w", err)
	}
	s.Output = con
	return nil
}

// startDaemon starts a daemon of the chroot with argv[0] "@name" (systemd leaves
// such processes alone until the very end) and writes its pid file.
func (s *Stack) startDaemon(ctx context.Context, name, prog string, args ...string) error {
	cmd := command(context.Background(), s.Root, prog, "@"+name, args...)
	cmd.Stdout, cmd.Stderr = s.Output, s.Output
	if err := s.Runner.Start(cmd); err != nil {
		return fmt.Errorf("start %s in %s: %w", name, s.Root, err)
	}
	pid := cmd.Process.Pid
	if err := writePID(s.Root, name, pid); err != nil {
		return err
	}
	s.Logf("started %s (pid %d)", name, pid)
	go func() {
		err := s.Runner.Wait(cmd)
		s.Logf("%s (pid %d) ended: %v", name, pid, errOrExit(err))
	}()
	return nil
}

func errOrExit(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// PIDFile is the pid file of a daemon inside the chroot at root.
func PIDFile(root, name string) string {
	return filepath.Join(root, PIDDir, name+".pid")
}

func writePID(root, name string, pid int) error {
	p := PIDFile(root, name)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return fmt.Errorf("write the pid file of %s: %w", name, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("write the pid file of %s: %w", name, err)
	}
	return nil
}

// ReadPID reads a daemon's pid file inside the chroot at root.
func ReadPID(root, name string) (int, error) {
	b, err := os.ReadFile(PIDFile(root, name))
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("pid file %s: %w", PIDFile(root, name), err)
	}
	return pid, nil
}

// waitQuorum polls corosync until the cluster is quorate or wait ends; the error
// names the nodes that are missing.
func (s *Stack) waitQuorum(ctx context.Context, req StartRequest, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	nextNote := time.Now().Add(10 * time.Second)
	var last Quorum
	var lastErr error
	for {
		out, err := runTool(ctx, s.Runner, s.Root, quorumToolBin, "-s")
		lastErr = err
		if out != "" {
			last = ParseQuorum(out)
			if last.Quorate {
				return nil
			}
		}
		if time.Now().After(nextNote) {
			s.Logf("waiting for quorum: %s", s.describeMembers(last, lastErr))
			nextNote = time.Now().Add(10 * time.Second)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no quorum after %s: %s; boot the missing nodes, check the network between them and that every node has the same authkey and corosync.conf (rebuild every node's image from one configuration), "+
				"or wait longer with osr.quorumwait=SECONDS", wait, s.describeMembers(last, lastErr))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for quorum: %w", ctx.Err())
		case <-time.After(s.Poll):
		}
	}
}

// describeMembers says who is there and who is missing.
func (s *Stack) describeMembers(q Quorum, err error) string {
	if len(q.Members) == 0 {
		if err != nil {
			return fmt.Sprintf("corosync does not answer (%v)", err)
		}
		return "no members yet"
	}
	present := map[int]bool{}
	for _, id := range q.Members {
		present[id] = true
	}
	var in, out []string
	for _, n := range s.Cluster.Nodes {
		d := fmt.Sprintf("%s (node id %d)", n.Name, n.ID)
		if present[n.ID] {
			in = append(in, d)
		} else {
			out = append(out, d)
		}
	}
	msg := fmt.Sprintf("members %s; missing %s; %d of %d expected votes", strings.Join(in, ", "), orNone(out), q.TotalVotes, q.ExpectedVotes)
	if strings.Contains(q.Flags, "WaitForAll") {
		msg += " (wait_for_all: the first start of a two-node cluster waits for both nodes)"
	}
	return msg
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// waitDLM polls dlm_controld until it answers and sees quorum.
func (s *Stack) waitDLM(ctx context.Context) error {
	deadline := time.Now().Add(readyWait)
	var lastErr error
	for {
		out, err := runTool(ctx, s.Runner, s.Root, dlmToolBin, "status")
		if err == nil && ParseDLMStatus(out).Quorate {
			return nil
		}
		lastErr = err
		if time.Now().After(deadline) {
			return fmt.Errorf("dlm_controld is not ready after %s (last: %v); see its messages above and `chroot %s dlm_tool dump`", readyWait, lastErr, s.Root)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for dlm_controld: %w", ctx.Err())
		case <-time.After(s.Poll):
		}
	}
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// Uptime is the time since the kernel started, from /proc/uptime ("?" when
// unreadable).
func Uptime() string {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0] + "s"
}
