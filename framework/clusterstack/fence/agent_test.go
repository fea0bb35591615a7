// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeRunner records the devices it was asked to fence and fails the ones listed.
// Runs are sequential, so calls needs no lock.
type fakeRunner struct {
	calls *[]string
	fail  map[string]bool
}

func (f fakeRunner) Fence(_ context.Context, job Job, d Device) error {
	*f.calls = append(*f.calls, fmt.Sprintf("%s:%s", d.Name, job.Victim.Name))
	if f.fail[d.Name] {
		return errors.New("no answer")
	}
	return nil
}

func fakeRunners(calls *[]string, fail ...string) map[Kind]Runner {
	f := fakeRunner{calls: calls, fail: map[string]bool{}}
	for _, n := range fail {
		f.fail[n] = true
	}
	return map[Kind]Runner{KindIPMI: f, KindSSH: f, KindManual: f}
}

// The methods run in order; the first whose devices all succeed ends the run; a
// failing device fails its method and the next method is tried.
func TestAgentMethodOrderAndFallback(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		fail      []string
		wantCalls []string
		wantExit  int
		wantLog   []string
	}{
		{
			name: "first method works", input: "node=1\nfail_time=1764643200\n",
			wantCalls: []string{"bmc1:node1"}, wantExit: ExitFenced,
			wantLog: []string{"fencing node node1 (id 1), failed at 2025-12-02T02:40:00Z: 2 fence method(s)", `node node1 (id 1) is fenced: method "power" succeeded`},
		},
		{
			name: "falls back to the second method", input: "node=1\n", fail: []string{"bmc1"},
			wantCalls: []string{"bmc1:node1", "human:node1"}, wantExit: ExitFenced,
			wantLog: []string{"failed at unknown time", `method "power" failed after`, `device "bmc1" (fence_ipmilan): no answer`, `method "admin" succeeded`},
		},
		{
			name: "every device of a method must succeed", input: "node=2\n", fail: []string{"pdu-b"},
			wantCalls: []string{"pdu-a:node2", "pdu-b:node2", "human:node2"}, wantExit: ExitFenced,
			wantLog: []string{`method "pdu" failed`, `method "admin" succeeded`},
		},
		{
			name: "a failing first device skips the rest of its method", input: "node=2\n", fail: []string{"pdu-a"},
			wantCalls: []string{"pdu-a:node2", "human:node2"}, wantExit: ExitFenced,
		},
		{
			name: "all methods fail", input: "node=2\n", fail: []string{"pdu-a", "human"},
			wantCalls: []string{"pdu-a:node2", "human:node2"}, wantExit: ExitFailed,
			wantLog: []string{`node node2 (id 2) is not fenced: method "pdu": device "pdu-a" (fence_osr_ssh): no answer; method "admin": device "human" (fence_manual): no answer; dlm_controld will run the agent again`},
		},
		{
			name: "unknown node", input: "node=5\n", wantExit: ExitConfig,
			wantLog: []string{"fence node id 5: testdata/two-node.conf:2: no node has id 5"},
		},
		{
			name: "unfencing is refused", input: "node=1\naction=on\n", wantExit: ExitConfig,
			wantLog: []string{"action=on is not supported"},
		},
		{
			name: "garbage input", input: "hello\n", wantExit: ExitConfig,
			wantLog: []string{`fence request refused: standard input line 1: "hello" is not key=value`},
		},
		{
			name: "config= names a missing file", input: "node=1\nconfig=/nonexistent/cluster.conf\n", wantExit: ExitConfig,
			wantLog: []string{"/nonexistent/cluster.conf"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			var log bytes.Buffer
			a := Agent{ConfigPath: "testdata/two-node.conf", Log: &log, Runners: fakeRunners(&calls, tc.fail...)}
			code := a.Run(context.Background(), strings.NewReader(tc.input))
			if code != tc.wantExit {
				t.Errorf("exit %d, want %d\n%s", code, tc.wantExit, log.String())
			}
			if diff := cmp.Diff(tc.wantCalls, calls); diff != "" {
				t.Errorf("devices run (-want +got):\n%s", diff)
			}
			for _, w := range tc.wantLog {
				if !strings.Contains(log.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, log.String())
				}
			}
		})
	}
}

// The delay parameter holds a device back; a cancelled run stops waiting.
func TestDelay(t *testing.T) {
	c := load(t, "two-node.conf")
	_, ms, err := Plan(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	ms[0].Devices[0].common.delay = 300 * time.Millisecond
	var calls []string
	start := time.Now()
	if err := Fence(context.Background(), Job{Victim: Victim{1, "node1"}}, ms[:1], fakeRunners(&calls)); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("fenced after %s; want the 300ms delay first", el)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	calls = nil
	if err := Fence(ctx, Job{Victim: Victim{1, "node1"}}, ms, fakeRunners(&calls)); err == nil || len(calls) != 0 {
		t.Errorf("cancelled Fence = %v, calls %v; want an error before any device ran", err, calls)
	}
}

// Passwords never reach the log, even when an error message carries them.
func TestLogHidesSecrets(t *testing.T) {
	var buf bytes.Buffer
	c := load(t, "two-node.conf")
	_, ms, _ := Plan(c, 2)
	leaky := leakyRunner{}
	err := Fence(context.Background(), Job{Victim: Victim{2, "node2"}, Log: NewLog(&buf)}, ms[:1], map[Kind]Runner{KindSSH: leaky})
	if err == nil {
		t.Fatal("leaky runner succeeded")
	}
	if strings.Contains(buf.String(), "pdu-s3cret") {
		t.Errorf("log shows a password:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "login with *** refused") {
		t.Errorf("log lacks the masked message:\n%s", buf.String())
	}
}

type leakyRunner struct{}

func (leakyRunner) Fence(_ context.Context, _ Job, d Device) error {
	pw, _ := d.Param("passwd")
	if pw == "" {
		return nil
	}
	return fmt.Errorf("login with %s refused", pw)
}

// The manual method waits for the acknowledge; osr cluster fence-ack (Acknowledge)
// hands it over, and the agent then reports the node fenced to dlm_controld.
func TestManualAcknowledge(t *testing.T) {
	chroot := t.TempDir()
	log := &syncBuffer{}
	var calls []string
	// node1's first method (IPMI) fails at once; the second is the real manual method.
	a := Agent{ConfigPath: "testdata/two-node.conf", AckDir: filepath.Join(chroot, AckDir), Log: log,
		Runners: map[Kind]Runner{KindIPMI: fakeRunner{calls: &calls, fail: map[string]bool{"bmc1": true}}}}
	failed := time.Now().Add(-time.Minute)
	done := make(chan int, 1)
	go func() {
		done <- a.Run(context.Background(), strings.NewReader(fmt.Sprintf("node=1\nfail_time=%d\n", failed.Unix())))
	}()
	waitFor(t, log, "MANUAL FENCING of node node1 (id 1)")
	if !strings.Contains(log.String(), "run 'osr cluster fence-ack node1' on this node") {
		t.Errorf("the request to the administrator lacks the command:\n%s", log.String())
	}
	res, err := Acknowledge(context.Background(), AckOptions{Chroot: chroot, NodeID: 1,
		FenceAck: func(context.Context, string, int) error {
			t.Error("dlm_tool fence_ack was used although the agent was waiting")
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TakenByAgent || res.SentToDLM {
		t.Errorf("Acknowledge = %+v; want taken by the agent", res)
	}
	select {
	case code := <-done:
		if code != ExitFenced {
			t.Errorf("agent exit %d, want %d\n%s", code, ExitFenced, log.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the agent did not finish after the acknowledge\n%s", log.String())
	}
	if !strings.Contains(log.String(), "fencing acknowledged by the administrator") {
		t.Errorf("log:\n%s", log.String())
	}
	if _, err := os.Stat(filepath.Join(chroot, AckDir, "1")); !os.IsNotExist(err) {
		t.Errorf("the acknowledge was left behind: %v", err)
	}
}

// One run of the manual method is bounded; an acknowledge older than the failure
// does not count and is removed.
func TestManualWaitIsBoundedAndIgnoresStaleAcks(t *testing.T) {
	dir := t.TempDir()
	failed := time.Now()
	if _, err := WriteAck(dir, 2, failed.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	d := Device{Name: "human", Agent: "fence_manual", Kind: KindManual, manual: &manualConfig{wait: 400 * time.Millisecond}}
	start := time.Now()
	err := ManualRunner{}.Fence(context.Background(), Job{Victim: Victim{2, "node2"}, FailTime: failed, AckDir: dir, Log: NewLog(log)}, d)
	if err == nil || !strings.Contains(err.Error(), "no acknowledge within 400ms (osr cluster fence-ack node2)") {
		t.Errorf("Fence = %v", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("the wait took %s", el)
	}
	if !strings.Contains(log.String(), "was given before node id 2 failed") {
		t.Errorf("the stale acknowledge was not reported:\n%s", log.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "2")); !os.IsNotExist(err) {
		t.Errorf("the stale acknowledge is still there: %v", err)
	}
}

// With no manual method waiting on this node, the acknowledge goes to dlm_controld.
func TestAcknowledgeFallsBackToDLM(t *testing.T) {
	chroot := t.TempDir()
	var gotChroot string
	var gotID int
	res, err := Acknowledge(context.Background(), AckOptions{Chroot: chroot, NodeID: 2, Wait: 300 * time.Millisecond,
		FenceAck: func(_ context.Context, c string, id int) error {
			gotChroot, gotID = c, id
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.SentToDLM || res.TakenByAgent || gotChroot != chroot || gotID != 2 {
		t.Errorf("Acknowledge = %+v, fence_ack(%q, %d)", res, gotChroot, gotID)
	}
	if _, err := os.Stat(filepath.Join(chroot, AckDir, "2")); !os.IsNotExist(err) {
		t.Errorf("the untaken acknowledge was left behind: %v", err)
	}
	_, err = Acknowledge(context.Background(), AckOptions{Chroot: chroot, NodeID: 2, Wait: time.Millisecond,
		FenceAck: func(context.Context, string, int) error { return errors.New("cannot connect to dlm_controld") }})
	if err == nil || !strings.Contains(err.Error(), "cannot connect to dlm_controld") {
		t.Errorf("Acknowledge with a failing dlm_tool = %v", err)
	}
	if _, err := Acknowledge(context.Background(), AckOptions{Chroot: chroot}); err == nil {
		t.Error("node id 0 was accepted")
	}
}

// syncBuffer is a bytes.Buffer safe for the agent's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, log *syncBuffer, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(log.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("log never showed %q:\n%s", text, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
