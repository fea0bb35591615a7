// SPDX-License-Identifier: Apache-2.0

package reaper

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMain makes the test process a child subreaper, so orphans of the
// commands the tests start are re-parented to it exactly as they would be to
// PID 1.
func TestMain(m *testing.M) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		panic("PR_SET_CHILD_SUBREAPER: " + err.Error())
	}
	os.Exit(m.Run())
}

func myZombies(t *testing.T, r *Reaper) []int {
	t.Helper()
	z, err := r.zombies()
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// children lists every process, in any state, whose parent is the test.
func children(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, err := readStat(filepath.Join("/proc", e.Name(), "stat")); err == nil && ppid == os.Getpid() {
			out = append(out, pid)
		}
	}
	return out
}

// waitNoChildren waits until every child and orphan has ended and been reaped.
func waitNoChildren(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := children(t)
		if len(c) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left: %v", c)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOwnChildrenKeepTheirStatus runs children that exit with known codes
// while leaving orphans behind, with the reaper looping all the while: every
// Wait must see its own child's code and every orphan must be reaped.
func TestOwnChildrenKeepTheirStatus(t *testing.T) {
	var mu sync.Mutex
	reaped := 0
	r := New(func(string, ...any) { mu.Lock(); reaped++; mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Loop(ctx, 5*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	for i := range 30 {
		code := i%5 + 1
		cmd := exec.Command("/bin/sh", "-c", "sleep 0.01 & exit "+string(rune('0'+code)))
		if err := r.Start(cmd); err != nil {
			t.Fatal(err)
		}
		err := r.Wait(cmd)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != code {
			t.Fatalf("run %d: Wait = %v, want exit status %d", i, err, code)
		}
	}
	waitNoChildren(t)
	mu.Lock()
	if reaped != 30 {
		t.Errorf("reaped %d orphans, want 30", reaped)
	}
	mu.Unlock()
	if n := len(r.owned); n != 0 {
		t.Errorf("%d PIDs still registered after Wait", n)
	}
}

// TestReapOnceLeavesOwnedZombies checks one pass by hand: an unregistered
// dead child is reaped, a registered one stays a zombie for its Wait.
func TestReapOnceLeavesOwnedZombies(t *testing.T) {
	waitNoChildren(t)
	r := New(nil)
	owned := exec.Command("/bin/true")
	if err := r.Start(owned); err != nil {
		t.Fatal(err)
	}
	stranger := exec.Command("/bin/true")
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	waitZombie := func(pid int) {
		for deadline := time.Now().Add(5 * time.Second); !slices.Contains(myZombies(t, r), pid); {
			if time.Now().After(deadline) {
				t.Fatalf("pid %d never became a zombie", pid)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitZombie(owned.Process.Pid)
	waitZombie(stranger.Process.Pid)

	release := r.Hold()
	if got := r.ReapOnce(); len(got) != 0 {
		t.Fatalf("reaped %v during a Hold", got)
	}
	release()
	release() // a second call must not undo another hold
	if r.holds != 0 {
		t.Fatalf("holds = %d after release", r.holds)
	}

	got := r.ReapOnce()
	if !slices.Equal(got, []int{stranger.Process.Pid}) {
		t.Fatalf("ReapOnce = %v, want [%d]", got, stranger.Process.Pid)
	}
	if err := r.Wait(owned); err != nil {
		t.Fatalf("owned child's Wait: %v", err)
	}
}

// TestPeekFallback reaps without /proc, by waitid(WNOWAIT).
func TestPeekFallback(t *testing.T) {
	waitNoChildren(t)
	r := New(nil)
	r.procDir = filepath.Join(t.TempDir(), "no-proc")
	stranger := exec.Command("/bin/true")
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got := r.ReapOnce(); slices.Contains(got, stranger.Process.Pid) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the fallback never reaped the dead child")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReadStat(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		state         byte
		ppid          int
		wantErr       bool
	}{
		{"plain", "42 (sleep) Z 1 42 42 0", 'Z', 1, false},
		{"name with spaces and parens", "42 (a) b (c) S 7 42 42 0", 'S', 7, false},
		{"truncated", "42 (x)", 0, 0, true},
		{"no name", "42 x S 1", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "stat")
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			state, ppid, err := readStat(p)
			if (err != nil) != tt.wantErr || state != tt.state || ppid != tt.ppid {
				t.Errorf("readStat = %c, %d, %v; want %c, %d, err %v", state, ppid, err, tt.state, tt.ppid, tt.wantErr)
			}
		})
	}
}
