// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Runner runs a program to its end (framework/boot/reaper's Reaper, or
// ExecRunner): the init must not lose its children's exit status to its orphan
// reaper.
type Runner interface {
	Start(cmd *exec.Cmd) error
	Wait(cmd *exec.Cmd) error
}

// ExecRunner runs commands with os/exec alone, for a process that is not PID 1.
type ExecRunner struct{}

// Start starts cmd.
func (ExecRunner) Start(cmd *exec.Cmd) error { return cmd.Start() }

// Wait waits for cmd.
func (ExecRunner) Wait(cmd *exec.Cmd) error { return cmd.Wait() }

// command is a program of the chroot at root ("/" when the caller already is
// inside it), run with argv[0] name.
func command(ctx context.Context, root, prog, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Args[0] = name
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	if root != "/" && root != "" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
		cmd.Dir = "/"
		// exec.Cmd looks the program up before the chroot; give it the
		// path inside the chroot as it is.
		cmd.Path = prog
		cmd.Err = nil
	}
	return cmd
}

// runTool runs a tool of the chroot at root and returns its standard output.
func runTool(ctx context.Context, r Runner, root, prog string, args ...string) (string, error) {
	cmd := command(ctx, root, prog, prog[strings.LastIndexByte(prog, '/')+1:], args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := r.Start(cmd); err != nil {
		return "", fmt.Errorf("start %s: %w", prog, err)
	}
	if err := r.Wait(cmd); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		return out.String(), fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, msg)
	}
	return out.String(), nil
}

// Quorum is what corosync-quorumtool -s says.
type Quorum struct {
	Quorate       bool
	ExpectedVotes int
	TotalVotes    int
	QuorumVotes   int
	Flags         string
	// Members are the node ids in the membership, sorted.
	Members []int
	// Names maps node ids to the names the tool printed.
	Names map[int]string
}

var memberLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(\d+)\s+(\d+)\s+(\S+)`) })

// ParseQuorum reads the output of corosync-quorumtool -s (it also reads -l's
// member table).
func ParseQuorum(out string) Quorum {
	q := Quorum{Names: map[int]string{}}
	inMembers := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		key, val, ok := strings.Cut(line, ":")
		if ok && !inMembers {
			val = strings.TrimSpace(val)
			switch strings.TrimSpace(key) {
			case "Quorate":
				q.Quorate = strings.HasPrefix(val, "Yes")
			case "Expected votes":
				q.ExpectedVotes, _ = strconv.Atoi(val)
			case "Total votes":
				q.TotalVotes, _ = strconv.Atoi(val)
			case "Quorum":
				f := strings.Fields(val)
				if len(f) > 0 {
					q.QuorumVotes, _ = strconv.Atoi(f[0])
				}
			case "Flags":
				q.Flags = val
			}
			continue
		}
		if strings.Contains(line, "Nodeid") && strings.Contains(line, "Votes") {
			inMembers = true
			continue
		}
		if inMembers {
			if m := memberLine().FindStringSubmatch(line); m != nil {
				id, _ := strconv.Atoi(m[1])
				q.Members = append(q.Members, id)
				q.Names[id] = m[3]
			}
		}
	}
	sort.Ints(q.Members)
	return q
}

// DLMStatus is what dlm_tool status says of the daemon.
type DLMStatus struct {
	// Quorate is dlm_controld's view of corosync's quorum.
	Quorate bool
	// Raw is the tool's output.
	Raw string
}

var dlmQuorate = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bquorate (\d)`) })

// ParseDLMStatus reads the output of dlm_tool status.
func ParseDLMStatus(out string) DLMStatus {
	s := DLMStatus{Raw: out}
	if m := dlmQuorate().FindStringSubmatch(out); m != nil {
		s.Quorate = m[1] == "1"
	}
	return s
}
