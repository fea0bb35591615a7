// SPDX-License-Identifier: Apache-2.0

package lock

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openDir(t *testing.T, dir string) *os.File {
	t.Helper()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestExclusive runs holders concurrently; at no moment do two hold the lock.
func TestExclusive(t *testing.T) {
	dir := t.TempDir()
	var (
		mu      sync.Mutex
		holders int
		wg      sync.WaitGroup
		gens    = map[uint64]bool{}
	)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := Acquire(context.Background(), openDir(t, dir), "lock", Options{Poll: 5 * time.Millisecond})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			holders++
			if holders > 1 {
				t.Error("two holders at once")
			}
			if gens[l.Generation()] {
				t.Errorf("generation %d handed out twice", l.Generation())
			}
			gens[l.Generation()] = true
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
			mu.Lock()
			holders--
			mu.Unlock()
			if err := l.Release(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := os.Stat(filepath.Join(dir, "lock")); !os.IsNotExist(err) {
		t.Errorf("lock file left: %v", err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "lock.*"))
	if len(names) != 1 || filepath.Base(names[0]) != "lock.generation" {
		t.Errorf("files left beside the lock: %v", names)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "lock.generation")); strings.TrimSpace(string(data)) != "6" {
		t.Errorf("generation file holds %q after 6 holders", data)
	}
}

// TestStale breaks a lock whose holder is a dead process on this boot, and one
// from another host whose heartbeat stopped; the new generation is above the
// broken holder's even without a generation file.
func TestStale(t *testing.T) {
	for _, tc := range []struct {
		name   string
		holder Holder
		stale  time.Duration
	}{
		{"dead pid", Holder{Host: hostname(), BootID: bootID(), PID: 1 << 30, Token: "x", Generation: 7}, time.Hour},
		{"silent host", Holder{Host: "other-node", BootID: "b", PID: 1, Token: "y", Generation: 7}, 150 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data, _ := json.Marshal(tc.holder)
			os.WriteFile(filepath.Join(dir, "lock"), data, 0o644)
			waited := false
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			l, err := Acquire(ctx, openDir(t, dir), "lock", Options{Stale: tc.stale, Poll: 10 * time.Millisecond, Notice: 50 * time.Millisecond,
				Waiting: func(Holder, time.Duration) { waited = true }})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Release()
			if tc.name == "silent host" && !waited {
				t.Errorf("no wait reported for a live-looking holder")
			}
			if l.Generation() != 8 {
				t.Errorf("generation %d after breaking generation 7", l.Generation())
			}
		})
	}
}

// TestLiveHolderWaits: a holder on another node that keeps beating is not broken,
// and the waiter says once who holds it.
func TestLiveHolderWaits(t *testing.T) {
	dir := t.TempDir()
	done := make(chan struct{})
	defer close(done)
	go func() {
		h := Holder{Host: "other-node", BootID: "b", PID: 4242, Token: "z", Purpose: "osr cdsl add"}
		for {
			h.Beat++
			data, _ := json.Marshal(h)
			os.WriteFile(filepath.Join(dir, "lock"), data, 0o644)
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	time.Sleep(30 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	var told []Holder
	l, err := Acquire(ctx, openDir(t, dir), "lock", Options{Stale: 200 * time.Millisecond, Poll: 10 * time.Millisecond,
		Notice: 100 * time.Millisecond, Waiting: func(h Holder, _ time.Duration) { told = append(told, h) }})
	if err == nil {
		l.Release()
		t.Fatal("took a lock whose holder is alive")
	}
	if len(told) != 1 || told[0].Host != "other-node" || told[0].PID != 4242 {
		t.Errorf("waiting reported %v, want the holder once", told)
	}
}

// TestGarbage: a lock file that is not an osr lock is reported within about a
// second, naming the file and what to do, instead of being waited on.
func TestGarbage(t *testing.T) {
	for name, content := range map[string]string{
		"text":    "garbage\n",
		"empty":   "",
		"object":  "{}",
		"no pid":  `{"token":"abc"}`,
		"binary":  "\x00\xff\xfe",
		"partial": `{"host":"n1","pid":12,"tok`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "lock"), []byte(content), 0o644)
			start := time.Now()
			_, err := Acquire(context.Background(), openDir(t, dir), "lock", Options{Path: "/srv/root/lock", Stale: time.Minute})
			if !errors.Is(err, ErrGarbage) {
				t.Fatalf("got %v, want ErrGarbage", err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v to report a garbage lock", took)
			}
			for _, want := range []string{"/srv/root/lock", "rm /srv/root/lock"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
			}
			if data, _ := os.ReadFile(filepath.Join(dir, "lock")); string(data) != content {
				t.Errorf("the garbage lock was changed to %q", data)
			}
		})
	}
}

// pauseHeartbeat stops l's heartbeat as a stopped or stalled process would.
func pauseHeartbeat(l *Lock) {
	close(l.stop)
	<-l.done
	l.stop = make(chan struct{})
}

// TestFencing: a holder whose heartbeat stood still loses the lock to a waiter;
// from then on Valid and Verify report the loss, and its Release leaves the new
// holder's lock alone.
func TestFencing(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Stale: 200 * time.Millisecond, Poll: 10 * time.Millisecond}
	a, err := Acquire(context.Background(), openDir(t, dir), "lock", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(); err != nil {
		t.Fatalf("fresh lock: %v", err)
	}
	pauseHeartbeat(a)
	b, err := Acquire(context.Background(), openDir(t, dir), "lock", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if b.Generation() <= a.Generation() {
		t.Errorf("generations %d then %d", a.Generation(), b.Generation())
	}
	if err := a.Verify(); !errors.Is(err, ErrLost) {
		t.Errorf("Verify of the old holder: %v", err)
	}
	if err := a.Valid(); !errors.Is(err, ErrLost) {
		t.Errorf("Valid of the old holder: %v", err)
	}
	if err := a.Release(); err != nil {
		t.Errorf("release of the old holder: %v", err)
	}
	if err := b.Verify(); err != nil {
		t.Errorf("the new holder lost its lock to the old one's release: %v", err)
	}
}

// TestValidAfterStall: Valid trusts its lease only while it is fresh; after a
// stall longer than the lease it reads the lock file (and a lock nobody broke is
// still valid).
func TestValidAfterStall(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(context.Background(), openDir(t, dir), "lock", Options{Stale: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	pauseHeartbeat(l)
	time.Sleep(80 * time.Millisecond)
	if err := l.Valid(); err != nil {
		t.Fatalf("a lock nobody broke: %v", err)
	}
	os.Remove(filepath.Join(dir, "lock"))
	if err := l.Valid(); err != nil {
		t.Fatalf("within the lease Valid reads nothing: %v", err)
	}
	time.Sleep(60 * time.Millisecond)
	if err := l.Valid(); !errors.Is(err, ErrLost) {
		t.Errorf("after the lease, a removed lock file: %v", err)
	}
}

// TestLeftoversRemoved: names a killed process left beside the lock are removed
// by the next holder once they are older than the stale time.
func TestLeftoversRemoved(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, n := range []string{"lock.new.aaa", "lock.broken.bbb", "lock.released.ccc", "lock.new.young"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
		if n != "lock.new.young" {
			os.Chtimes(filepath.Join(dir, n), old, old)
		}
	}
	l, err := Acquire(context.Background(), openDir(t, dir), "lock", Options{Stale: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	names, _ := filepath.Glob(filepath.Join(dir, "lock.*"))
	var left []string
	for _, n := range names {
		left = append(left, filepath.Base(n))
	}
	if strings.Join(left, " ") != "lock.generation lock.new.young" {
		t.Errorf("left: %v", left)
	}
}

func hostname() string { h, _ := os.Hostname(); return h }
