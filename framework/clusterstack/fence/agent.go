// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// Paths inside the cluster-services chroot, where dlm_controld and so the agent run.
const (
	// AgentName is the name under which the osr binary acts as the fence agent; the
	// chroot carries /usr/sbin/fence_osr as a link to (or copy of) osr.
	AgentName = "fence_osr"
	// ClusterConfigPath is the cluster configuration the agent reads: the build copies
	// the cluster configuration here, readable by root only (it holds the fence
	// devices' passwords).
	ClusterConfigPath = "/etc/osr/cluster.conf"
	// KnownHostsPath is the known_hosts file of ssh fence devices that name none.
	KnownHostsPath = "/etc/osr/fence_known_hosts"
	// LogPath is the agent's log file.
	LogPath = "/var/log/osr/fence.log"
	// AckDir holds the acknowledges of the manual method, one file a node id.
	AckDir = "/run/osr/fence-ack"
	// DefaultManualWait is how long one run of the manual method waits for the
	// acknowledge; then the run fails and dlm_controld starts the agent again, which
	// repeats the request to the administrator.
	DefaultManualWait = 60 * time.Second
)

// The agent's exit statuses. dlm_controld treats every status but ExitFenced as a
// failure and runs the agent again.
const (
	ExitFenced = 0 // the node is fenced
	ExitFailed = 1 // every fence method failed
	ExitConfig = 2 // the request or the cluster configuration cannot be used
)

// Runner carries out one kind of fence device against a victim.
type Runner interface {
	Fence(ctx context.Context, job Job, d Device) error
}

// Job is one fencing of one victim.
type Job struct {
	Victim Victim
	// FailTime is when the victim failed; zero when unknown.
	FailTime time.Time
	// AckDir is where the manual method looks for the acknowledge.
	AckDir string
	// Log receives the progress.
	Log *Log
}

// Agent is osr as dlm_controld's fence agent.
type Agent struct {
	// ConfigPath is the cluster configuration; empty means ClusterConfigPath.
	ConfigPath string
	// AckDir is where the manual method's acknowledges arrive; empty means AckDir.
	AckDir string
	// Log receives the agent's log lines; nil discards them.
	Log io.Writer
	// Runners override the built-in runner of a kind (tests).
	Runners map[Kind]Runner
}

// Run reads dlm_controld's request from stdin, fences the victim and returns the exit
// status for dlm_controld.
func (a *Agent) Run(ctx context.Context, stdin io.Reader) int {
	log := NewLog(a.Log)
	req, err := ParseRequest(stdin)
	if err != nil {
		log.Printf("fence request refused: %v", err)
		return ExitConfig
	}
	if req.Action != "off" {
		log.Printf("fence request for node id %d: action=%s is not supported; osr configures no unfencing (only off)", req.NodeID, req.Action)
		return ExitConfig
	}
	path := req.Config
	if path == "" {
		path = a.ConfigPath
	}
	if path == "" {
		path = ClusterConfigPath
	}
	c, err := cluster.Load(path)
	if err != nil {
		log.Printf("fence node id %d: %v", req.NodeID, err)
		return ExitConfig
	}
	victim, methods, err := Plan(c, req.NodeID)
	if err != nil {
		log.Printf("fence node id %d: %v", req.NodeID, err)
		return ExitConfig
	}
	job := Job{Victim: victim, FailTime: req.FailTime, AckDir: a.AckDir, Log: log}
	if job.AckDir == "" {
		job.AckDir = AckDir
	}
	if err := Fence(ctx, job, methods, a.Runners); err != nil {
		return ExitFailed
	}
	return ExitFenced
}

// Fence tries the methods in order until one succeeds; a method succeeds when all its
// devices do. runners overrides built-in runners by kind. It returns nil once the
// victim is fenced, otherwise an error naming what every method did.
func Fence(ctx context.Context, job Job, methods []Method, runners map[Kind]Runner) error {
	log := job.Log
	if log == nil {
		log = NewLog(nil)
		job.Log = log
	}
	for _, m := range methods {
		for _, d := range m.Devices {
			log.Secret(d.Secrets()...)
		}
	}
	failed := "unknown time"
	if !job.FailTime.IsZero() {
		failed = job.FailTime.UTC().Format(time.RFC3339)
	}
	log.Alertf("fencing node %s (id %d), failed at %s: %d fence method(s)", job.Victim.Name, job.Victim.ID, failed, len(methods))
	var errs []string
	for _, m := range methods {
		start := time.Now()
		err := runMethod(ctx, job, m, runners)
		if err == nil {
			log.Alertf("node %s (id %d) is fenced: method %q succeeded in %.1fs", job.Victim.Name, job.Victim.ID, m.Name, time.Since(start).Seconds())
			return nil
		}
		log.Printf("method %q failed after %.1fs: %v", m.Name, time.Since(start).Seconds(), err)
		errs = append(errs, fmt.Sprintf("method %q: %v", m.Name, err))
		if ctx.Err() != nil {
			break
		}
	}
	err := fmt.Errorf("node %s (id %d) is not fenced: %s", job.Victim.Name, job.Victim.ID, strings.Join(errs, "; "))
	log.Alertf("%v; dlm_controld will run the agent again", err)
	return err
}

func runMethod(ctx context.Context, job Job, m Method, runners map[Kind]Runner) error {
	if len(m.Devices) == 0 {
		return errors.New("names no device")
	}
	for _, d := range m.Devices {
		if d.common.delay > 0 {
			job.Log.Printf("device %q: waiting %s (delay) before acting", d.Name, d.common.delay)
			t := time.NewTimer(d.common.delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		r := runners[d.Kind]
		if r == nil {
			r = builtinRunner(d.Kind)
		}
		if r == nil {
			return fmt.Errorf("device %q: no runner for %s devices", d.Name, d.Kind)
		}
		job.Log.Printf("device %q (%s): fencing node %s", d.Name, d.Agent, job.Victim.Name)
		if err := r.Fence(ctx, job, d); err != nil {
			return fmt.Errorf("device %q (%s): %w", d.Name, d.Agent, err)
		}
		job.Log.Printf("device %q (%s): done", d.Name, d.Agent)
	}
	return nil
}

func builtinRunner(k Kind) Runner {
	switch k {
	case KindIPMI:
		return IPMIRunner{}
	case KindSSH:
		return SSHRunner{}
	case KindManual:
		return ManualRunner{}
	}
	return nil
}
