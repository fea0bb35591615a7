// SPDX-License-Identifier: Apache-2.0

package oslab

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/test/e2e/guestssh"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
)

// Console lines of a clean end: the kernel's last words after systemd is done.
const (
	PowerDownLine = "reboot: Power down"
	RestartLine   = "reboot: Restarting system"
)

// BadShutdownLines must not appear on a console: an NFS root that went away
// under a node that still needed it, or a kernel that gave up.
var BadShutdownLines = []string{"not responding", "Kernel panic", "blocked for more than"}

// Node is one running cluster node.
type Node struct {
	// ID is the node's id in the cluster configuration, Name its name.
	ID   int
	Name string
	// Pos is its position (1…) among the lab's nodes: its tap and console.
	Pos int
	// Boot counts the boots at the node's position in its lab, from 1: it
	// names the console log, so a later Start of the same node does not
	// overwrite an earlier boot's log.
	Boot int
	// Instance is the running qemu.
	Instance *qemu.Instance
	SSH      guestssh.Target

	lab    *Lab
	params []string
}

// Start boots the node at position pos (1…) of the lab's nodes with extra
// kernel parameters and returns at once. ctx bounds the life of the node's
// qemu (it is killed when ctx ends), not the boot: wait for the boot with
// WaitRunning.
func (l *Lab) Start(ctx context.Context, pos int, params ...string) (*Node, error) {
	if pos < 1 || pos > len(l.Nodes) {
		return nil, fmt.Errorf("oslab: no node at position %d of %d", pos, len(l.Nodes))
	}
	c := l.Nodes[pos-1]
	n := &Node{ID: c.ID, Name: c.NodeName(), Pos: pos, SSH: l.SSH(pos), lab: l, params: params}
	return n, n.start(ctx)
}

func (n *Node) start(ctx context.Context) error {
	n.Boot = n.lab.nextBoot(n.Pos)
	in, err := qemu.Start(ctx, n.lab.Machine(n.Pos, n.Boot, n.params...))
	if err != nil {
		return err
	}
	n.Instance = in
	if n.lab.Fence != nil {
		if err := n.lab.Fence.Register(n.Name, in.PID()); err != nil {
			in.Kill()
			<-in.Done()
			return err
		}
	}
	return nil
}

// WaitRunning waits until the node's sshd answers and systemd has finished
// starting up, and returns systemd's state ("running" when no unit failed).
// When the state is another, the error lists the failed units and the
// journal's errors.
func (n *Node) WaitRunning(ctx context.Context) (string, error) {
	up := make(chan error, 1)
	go func() { up <- n.SSH.WaitUp(ctx) }()
	select {
	case err := <-up:
		if err != nil {
			return "", n.fail(err)
		}
	case <-n.Instance.Done():
		return "", n.fail(errors.New("qemu exited before sshd answered"))
	}
	out, err := n.SSH.Run(ctx, "systemctl is-system-running --wait")
	state := strings.TrimSpace(out)
	if state == "running" {
		return state, nil
	}
	failed, _ := n.SSH.Run(ctx, "systemctl --failed --no-legend --plain; journalctl -b -p err --no-pager -o short-monotonic | tail -n 40")
	return state, n.fail(fmt.Errorf("systemctl is-system-running says %q (%v); failed units and errors:\n%s", state, err, failed))
}

// fail adds the console's tail to err.
func (n *Node) fail(err error) error {
	select {
	case <-n.Instance.Done():
		err = fmt.Errorf("%w (qemu has exited)", err)
	default:
	}
	return fmt.Errorf("%s (boot %d): %w\nlast %d console lines of %s:\n%s", n.Name, n.Boot, err,
		qemu.TailLines, n.Instance.Machine.LogPath, n.Instance.Console.Tail(qemu.TailLines))
}

// Run runs a shell command on the node over ssh and returns its output.
func (n *Node) Run(ctx context.Context, script string) (string, error) {
	out, err := n.SSH.Run(ctx, script)
	if err != nil {
		select {
		case <-n.Instance.Done():
			err = fmt.Errorf("%s: %w (its qemu has exited; console %s)", n.Name, err, n.Instance.Machine.LogPath)
		default:
		}
	}
	return out, err
}

// MultiUserSeconds returns the seconds from the kernel's start to the moment
// multi-user.target was reached, from systemd's own monotonic timestamp.
func (n *Node) MultiUserSeconds(ctx context.Context) (float64, error) {
	out, err := n.Run(ctx, "systemctl show --property=ActiveEnterTimestampMonotonic --value multi-user.target")
	if err != nil {
		return 0, err
	}
	us, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil || us <= 0 {
		return 0, fmt.Errorf("%s: multi-user.target's ActiveEnterTimestampMonotonic is %q", n.Name, strings.TrimSpace(out))
	}
	return float64(us) / 1e6, nil
}

// Uptime returns the node's /proc/uptime.
func (n *Node) Uptime(ctx context.Context) (time.Duration, error) {
	out, err := n.Run(ctx, "cat /proc/uptime")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return 0, fmt.Errorf("%s: /proc/uptime says %q", n.Name, out)
	}
	s, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, fmt.Errorf("%s: /proc/uptime says %q: %w", n.Name, out, err)
	}
	return time.Duration(s * float64(time.Second)), nil
}

// Shutdown runs `systemctl <verb>` (poweroff or reboot) on the node and waits,
// at most bound, until qemu exits (qemu runs with -no-reboot, so a reboot ends
// it too). The console must end with the kernel's line for verb and show no
// sign of a hang. It returns the time from the command to qemu's exit.
func (n *Node) Shutdown(ctx context.Context, verb string, bound time.Duration) (time.Duration, error) {
	want := map[string]string{"poweroff": PowerDownLine, "reboot": RestartLine}[verb]
	if want == "" {
		return 0, fmt.Errorf("shutdown verb %q: want poweroff or reboot", verb)
	}
	start := time.Now()
	// The connection may end with the node; only qemu's exit counts.
	cmdCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, cmdErr := n.Run(cmdCtx, "systemctl "+verb)
	cancel()
	select {
	case <-n.Instance.Done():
	case <-time.After(bound):
		n.Instance.Kill()
		return time.Since(start), n.fail(fmt.Errorf("systemctl %s: qemu still ran after %v, killed (ssh: %v)", verb, bound, cmdErr))
	case <-ctx.Done():
		n.Instance.Kill()
		return time.Since(start), ctx.Err()
	}
	took := time.Since(start)
	if _, err := n.Instance.Wait(); err != nil {
		return took, err
	}
	if err := n.CleanConsole(want); err != nil {
		return took, err
	}
	return took, nil
}

// CleanConsole checks that the console shows want and none of BadShutdownLines.
func (n *Node) CleanConsole(want string) error {
	var errs []error
	if _, ok := n.Instance.Console.Find(want); !ok {
		errs = append(errs, fmt.Errorf("console lacks %q", want))
	}
	for _, bad := range BadShutdownLines {
		if l, ok := n.Instance.Console.Find(bad); ok {
			errs = append(errs, fmt.Errorf("console shows %q at %.1fs", l.Text, l.At.Seconds()))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return n.fail(err)
	}
	return nil
}

// Restart boots the node again after it rebooted (qemu exited); ctx bounds
// the life of the new qemu, as for Start.
func (n *Node) Restart(ctx context.Context) error {
	select {
	case <-n.Instance.Done():
	default:
		return fmt.Errorf("%s: restart while qemu still runs", n.Name)
	}
	return n.start(ctx)
}

// Stop kills the node's qemu if it still runs (cleanup after a failure).
func (n *Node) Stop() {
	if n != nil && n.Instance != nil {
		n.Instance.Kill()
		<-n.Instance.Done()
	}
}
