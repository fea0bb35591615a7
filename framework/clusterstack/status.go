// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
)

// Lockspace is one DLM lockspace as dlm_tool ls shows it.
type Lockspace struct {
	Name string
	// Members are the node ids in the lockspace, as printed.
	Members []string
	// Change is the last membership change ("member 2 joined 1 remove 0 failed 0 seq 1,1").
	Change string
}

// Daemon is one of the stack's daemons.
type Daemon struct {
	Name    string
	PID     int
	Running bool
	// Problem says why it is not running.
	Problem string
}

// Status is a node's view of its cluster.
type Status struct {
	Daemons    []Daemon
	Quorum     Quorum
	QuorumErr  error
	Lockspaces []Lockspace
	LockErr    error
	// DLM is dlm_tool status's output.
	DLM string
}

// ReadStatus asks the daemons of the chroot at root (RunDir on a running node)
// for the membership, quorum and lockspaces, running their tools inside it.
func ReadStatus(ctx context.Context, root string, r Runner) *Status {
	if r == nil {
		r = ExecRunner{}
	}
	st := &Status{}
	for _, name := range []string{"corosync", "dlm_controld"} {
		d := Daemon{Name: name}
		pid, err := ReadPID(root, name)
		switch {
		case err != nil:
			d.Problem = err.Error()
		case !alive(pid):
			d.PID, d.Problem = pid, "not running"
		default:
			d.PID, d.Running = pid, true
		}
		st.Daemons = append(st.Daemons, d)
	}
	out, err := runTool(ctx, r, root, quorumToolBin, "-s")
	st.Quorum = ParseQuorum(out)
	if out == "" {
		st.QuorumErr = err
	}
	if out, err := runTool(ctx, r, root, dlmToolBin, "status"); err == nil {
		st.DLM = out
	}
	out, err = runTool(ctx, r, root, dlmToolBin, "ls")
	st.Lockspaces, st.LockErr = ParseLockspaces(out), err
	return st
}

// ParseLockspaces reads the output of dlm_tool ls.
func ParseLockspaces(out string) []Lockspace {
	var ls []Lockspace
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "name":
			if len(f) > 1 {
				ls = append(ls, Lockspace{Name: f[1]})
			}
		case "members":
			if len(ls) > 0 {
				ls[len(ls)-1].Members = f[1:]
			}
		case "change":
			if len(ls) > 0 {
				ls[len(ls)-1].Change = strings.Join(f[1:], " ")
			}
		}
	}
	return ls
}

// Write prints the status for people: daemons, quorum, members, lockspaces.
func (st *Status) Write(w io.Writer) error {
	var b strings.Builder
	for _, d := range st.Daemons {
		if d.Running {
			fmt.Fprintf(&b, "%-13s running (pid %d)\n", d.Name+":", d.PID)
		} else {
			fmt.Fprintf(&b, "%-13s not running: %s\n", d.Name+":", d.Problem)
		}
	}
	q := st.Quorum
	switch {
	case st.QuorumErr != nil:
		fmt.Fprintf(&b, "quorum:       unknown (%v)\n", st.QuorumErr)
	default:
		state := "no"
		if q.Quorate {
			state = "yes"
		}
		fmt.Fprintf(&b, "quorate:      %s (%d of %d expected votes, flags %s)\n", state, q.TotalVotes, q.ExpectedVotes, q.Flags)
		var ms []string
		for _, id := range q.Members {
			ms = append(ms, fmt.Sprintf("%d %s", id, q.Names[id]))
		}
		fmt.Fprintf(&b, "members:      %s\n", strings.Join(ms, ", "))
	}
	if st.LockErr != nil && len(st.Lockspaces) == 0 {
		fmt.Fprintf(&b, "lockspaces:   unknown (%v)\n", st.LockErr)
	} else if len(st.Lockspaces) == 0 {
		b.WriteString("lockspaces:   none\n")
	}
	for _, l := range st.Lockspaces {
		fmt.Fprintf(&b, "lockspace %s: members %s (last change: %s)\n", l.Name, strings.Join(l.Members, " "), l.Change)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Healthy reports whether both daemons run and the cluster is quorate.
func (st *Status) Healthy() bool {
	for _, d := range st.Daemons {
		if !d.Running {
			return false
		}
	}
	return st.Quorum.Quorate
}
