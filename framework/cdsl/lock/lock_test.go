// SPDX-License-Identifier: Apache-2.0

package lock

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
}

// TestStale breaks a lock whose holder is a dead process on this boot, and one
// from another host whose heartbeat stopped.
func TestStale(t *testing.T) {
	for _, tc := range []struct {
		name   string
		holder Holder
		stale  time.Duration
	}{
		{"dead pid", Holder{Host: hostname(), BootID: bootID(), PID: 1 << 30, Token: "x"}, time.Hour},
		{"silent host", Holder{Host: "other-node", BootID: "b", PID: 1, Token: "y"}, 150 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data, _ := json.Marshal(tc.holder)
			os.WriteFile(filepath.Join(dir, "lock"), data, 0o644)
			waited := false
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			l, err := Acquire(ctx, openDir(t, dir), "lock", Options{Stale: tc.stale, Poll: 10 * time.Millisecond,
				Waiting: func(Holder) { waited = true }})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Release()
			if tc.name == "silent host" && !waited {
				t.Errorf("no wait reported for a live-looking holder")
			}
		})
	}
}

// TestLiveHolderWaits: a holder on another node that keeps beating is not broken.
func TestLiveHolderWaits(t *testing.T) {
	dir := t.TempDir()
	done := make(chan struct{})
	defer close(done)
	go func() {
		h := Holder{Host: "other-node", BootID: "b", PID: 1, Token: "z"}
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
	if l, err := Acquire(ctx, openDir(t, dir), "lock", Options{Stale: 200 * time.Millisecond, Poll: 10 * time.Millisecond}); err == nil {
		l.Release()
		t.Fatal("took a lock whose holder is alive")
	}
}

func hostname() string { h, _ := os.Hostname(); return h }
