// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// ackPoll is how often the manual method looks for the acknowledge.
const ackPoll = 250 * time.Millisecond

// ManualRunner is the manual method: it asks the administrator to make sure the node
// is dead and waits for the acknowledge (osr cluster fence-ack NODE). One run waits
// the device's timeout (DefaultManualWait); then it fails, and dlm_controld runs the
// agent again, which repeats the request. An acknowledge written before the node
// failed does not count.
type ManualRunner struct{}

// Fence waits for the acknowledge of job.Victim.
func (ManualRunner) Fence(ctx context.Context, job Job, d Device) error {
	wait := DefaultManualWait
	if d.manual != nil {
		wait = d.manual.wait
	}
	v := job.Victim
	job.Log.Alertf("MANUAL FENCING of node %s (id %d): make sure the node is powered off or cut off from the shared storage, "+
		"then run 'osr cluster fence-ack %s' on this node (or 'dlm_tool fence_ack %d' in the cluster chroot of any node); "+
		"the cluster's shared filesystems stay blocked until then", v.Name, v.ID, v.Name, v.ID)
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(ackPoll)
	defer tick.Stop()
	for {
		ok, err := takeAck(job.AckDir, v.ID, job.FailTime)
		if err != nil {
			job.Log.Printf("%v", err)
		}
		if ok {
			job.Log.Alertf("node %s (id %d): fencing acknowledged by the administrator", v.Name, v.ID)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no acknowledge within %s (osr cluster fence-ack %s)", wait, v.Name)
		case <-tick.C:
		}
	}
}

// ackPath is the acknowledge file of a node id.
func ackPath(dir string, nodeID int) string {
	return filepath.Join(dir, strconv.Itoa(nodeID))
}

// WriteAck records, atomically, that an administrator made sure the node with the
// given id is dead; the manual method of an agent waiting in the same chroot takes it.
func WriteAck(dir string, nodeID int, at time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("acknowledge directory: %w", err)
	}
	p := ackPath(dir, nodeID)
	if err := atomicfile.WriteFile(p, []byte(fmt.Sprintf("node=%d\nacked_at=%d\n", nodeID, at.Unix())), 0o600); err != nil {
		return "", fmt.Errorf("write acknowledge: %w", err)
	}
	return p, nil
}

// takeAck consumes the acknowledge of nodeID when there is one given at or after
// failTime; an older one is stale and removed.
func takeAck(dir string, nodeID int, failTime time.Time) (bool, error) {
	p := ackPath(dir, nodeID)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read acknowledge: %w", err)
	}
	at, perr := ackTime(data)
	if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return false, fmt.Errorf("remove acknowledge: %w", rerr)
	}
	if perr != nil {
		return false, fmt.Errorf("acknowledge %s ignored: %w", p, perr)
	}
	if !failTime.IsZero() && at.Before(failTime.Truncate(time.Second)) {
		return false, fmt.Errorf("acknowledge %s from %s ignored: it was given before node id %d failed (%s)",
			p, at.UTC().Format(time.RFC3339), nodeID, failTime.UTC().Format(time.RFC3339))
	}
	return true, nil
}

func ackTime(data []byte) (time.Time, error) {
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "acked_at="); ok {
			secs, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("acked_at=%q is not a time", v)
			}
			return time.Unix(secs, 0), nil
		}
	}
	return time.Time{}, errors.New("no acked_at= line")
}

// AckOptions configure Acknowledge.
type AckOptions struct {
	// Chroot is the cluster-services chroot as seen from where osr runs; "/" or empty
	// when osr runs inside it.
	Chroot string
	// NodeID is the node the administrator made sure is dead.
	NodeID int
	// Wait is how long a manual method waiting on this node gets to take the
	// acknowledge before it goes to dlm_controld instead; zero means 3 s.
	Wait time.Duration
	// FenceAck tells dlm_controld; nil runs `dlm_tool fence_ack NODEID` in the chroot.
	FenceAck func(ctx context.Context, chroot string, nodeID int) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// AckResult says how an acknowledge reached the cluster.
type AckResult struct {
	// TakenByAgent: the manual method of the agent running on this node took it and
	// reported the node fenced to dlm_controld.
	TakenByAgent bool
	// SentToDLM: no agent here took it, so it went to dlm_controld as
	// `dlm_tool fence_ack`, which ends the fencing on every node (and stops a running
	// agent).
	SentToDLM bool
}

// Acknowledge is osr cluster fence-ack: the administrator has made sure the node is
// dead. It leaves the acknowledge for a manual method waiting on this node; when none
// takes it within opts.Wait (the agent is busy with another method, or another node is
// the one fencing), it tells dlm_controld with dlm_tool fence_ack, which works from any
// node of the cluster.
func Acknowledge(ctx context.Context, opts AckOptions) (AckResult, error) {
	if opts.NodeID <= 0 {
		return AckResult{}, fmt.Errorf("node id %d: want a positive node id", opts.NodeID)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	wait := opts.Wait
	if wait == 0 {
		wait = 3 * time.Second
	}
	root := opts.Chroot
	if root == "" {
		root = "/"
	}
	dir := filepath.Join(root, AckDir)
	p, err := WriteAck(dir, opts.NodeID, now())
	if err != nil {
		return AckResult{}, err
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return AckResult{TakenByAgent: true}, nil
		}
		select {
		case <-ctx.Done():
			os.Remove(p)
			return AckResult{}, ctx.Err()
		case <-time.After(ackPoll / 2):
		}
	}
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return AckResult{TakenByAgent: true}, nil
	}
	fenceAck := opts.FenceAck
	if fenceAck == nil {
		fenceAck = DLMToolFenceAck
	}
	if err := fenceAck(ctx, root, opts.NodeID); err != nil {
		return AckResult{}, err
	}
	return AckResult{SentToDLM: true}, nil
}

// DLMToolFenceAck runs `dlm_tool fence_ack NODEID` inside the chroot (dlm_controld's
// socket and libqb's shared memory live there).
func DLMToolFenceAck(ctx context.Context, chroot string, nodeID int) error {
	cmd := exec.CommandContext(ctx, "/usr/sbin/dlm_tool", "fence_ack", strconv.Itoa(nodeID))
	if chroot != "" && chroot != "/" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: chroot}
		cmd.Dir = "/"
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("dlm_tool fence_ack %d in %s: %w: %s (is dlm_controld running in that chroot?)", nodeID, chroot, err, strings.TrimSpace(string(out)))
	}
	return nil
}
