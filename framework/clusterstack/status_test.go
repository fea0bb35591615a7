// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseLockspaces(t *testing.T) {
	out := `dlm lockspaces
name          root
id            0x3e6a1b8c
flags         0x00000000 
change        member 2 joined 1 remove 0 failed 0 seq 1,1
members       1 2 

name          other
id            0x00000001
flags         0x00000000 
change        member 1 joined 0 remove 1 failed 0 seq 2,2
members       1 
`
	got := ParseLockspaces(out)
	want := []Lockspace{
		{Name: "root", Members: []string{"1", "2"}, Change: "member 2 joined 1 remove 0 failed 0 seq 1,1"},
		{Name: "other", Members: []string{"1"}, Change: "member 1 joined 0 remove 1 failed 0 seq 2,2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseLockspaces (-want +got):\n%s", diff)
	}
	if ls := ParseLockspaces(""); len(ls) != 0 {
		t.Errorf("no lockspaces = %v", ls)
	}
}

func TestStatusWrite(t *testing.T) {
	st := &Status{
		Daemons:    []Daemon{{Name: "corosync", PID: 140, Running: true}, {Name: "dlm_controld", Problem: "not running"}},
		Quorum:     Quorum{Quorate: true, TotalVotes: 2, ExpectedVotes: 2, Flags: "2Node Quorate", Members: []int{1, 2}, Names: map[int]string{1: "node1", 2: "node2"}},
		Lockspaces: []Lockspace{{Name: "root", Members: []string{"1", "2"}, Change: "member 2 joined 1 remove 0 failed 0 seq 1,1"}},
	}
	var b bytes.Buffer
	if err := st.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := `corosync:     running (pid 140)
dlm_controld: not running: not running
quorate:      yes (2 of 2 expected votes, flags 2Node Quorate)
members:      1 node1, 2 node2
lockspace root: members 1 2 (last change: member 2 joined 1 remove 0 failed 0 seq 1,1)
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("Write (-want +got):\n%s", diff)
	}
	if st.Healthy() {
		t.Errorf("Healthy() with dlm_controld down = true")
	}
}

// Leave stops the daemons named by the pid files, dlm_controld first; without
// corosync-cfgtool in the chroot it falls back to SIGTERM. Real processes stand
// in for the daemons.
func TestLeave(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, PIDDir), 0o755); err != nil {
		t.Fatal(err)
	}
	var procs []*exec.Cmd
	// dlm_controld ignores SIGTERM while a lockspace is active: this one
	// ignores the first, as after a lazily detached root.
	flag := filepath.Join(root, "active-lockspace")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	daemons := map[string][]string{
		"corosync":     {"sleep", "60"},
		"dlm_controld": {"sh", "-c", `trap 'if [ -e ` + flag + ` ]; then rm ` + flag + `; else exit 0; fi' TERM; while :; do sleep 0.1; done`},
	}
	for _, name := range []string{"corosync", "dlm_controld"} {
		cmd := exec.Command(daemons[name][0], daemons[name][1:]...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		if err := writePID(root, name, cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
	}
	var log []string
	time.Sleep(200 * time.Millisecond) // the shell sets its trap
	err := Leave(context.Background(), LeaveOptions{Root: root, StopWait: 5 * time.Second, Logf: func(f string, a ...any) {
		log = append(log, strings.SplitN(f, " ", 2)[0])
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		if alive(p.Process.Pid) {
			t.Errorf("pid %d still runs after Leave", p.Process.Pid)
		}
	}
	if got := strings.Join(log, " "); got != "dlm_controld corosync-cfgtool corosync" {
		t.Errorf("Leave steps = %q; want dlm_controld stopped, cfgtool tried, corosync stopped", got)
	}
	// Nothing left to stop is no error.
	if err := Leave(context.Background(), LeaveOptions{Root: root}); err != nil {
		t.Errorf("second Leave: %v", err)
	}
}
