// SPDX-License-Identifier: Apache-2.0

package journal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestFencedStopsEverything: once the fence fails, no step runs, nothing is
// undone (even when a step failed), and the journal keeps the state for the
// process that took the lock over.
func TestFencedStopsEverything(t *testing.T) {
	for _, stop := range []int{1, 3, 4, 5} {
		root, env := setup(t)
		lost := errors.New("lost the lock")
		step := -1
		env.Fence = func() error {
			if step >= stop {
				return lost
			}
			return nil
		}
		env.Generation = 3
		err := New(env, "j", func(i int, _ Step, _ bool) { step = i }).Run(plan())
		if !errors.Is(err, ErrFenced) || !errors.Is(err, lost) {
			t.Fatalf("stop %d: error %v", stop, err)
		}
		if _, err := os.Stat(filepath.Join(root, "j")); err != nil {
			t.Errorf("stop %d: the journal is gone: %v", stop, err)
		}
		// What ran before the fence failed is still there, nothing after it ran.
		if _, err := os.Stat(filepath.Join(root, "t")); err != nil {
			t.Errorf("stop %d: step 0 was undone", stop)
		}
		if data, _ := os.ReadFile(filepath.Join(root, "inv")); stop <= 4 && string(data) != "old" {
			t.Errorf("stop %d: the inventory was written: %q", stop, data)
		}
		// The next holder finishes it.
		env.Fence = nil
		env.Generation = 4
		if _, err := New(env, "j", nil).Recover(); err != nil {
			t.Fatalf("stop %d: recover: %v", stop, err)
		}
		if data, _ := os.ReadFile(filepath.Join(root, "inv")); string(data) != "new" {
			t.Errorf("stop %d: inventory after recovery %q", stop, data)
		}
	}
}

// TestTakenOverJournal: a process whose journal another holder took over (a
// higher generation in the file) or finished (the file gone) writes nothing more.
func TestTakenOverJournal(t *testing.T) {
	root, env := setup(t)
	old := *env
	old.Generation = 1
	var second *Journal
	stopped := false
	// The old holder stalls before step 2; meanwhile the next holder takes the
	// journal over and finishes it, and a later operation changes the inventory.
	first := New(&old, "j", func(i int, _ Step, _ bool) {
		if i == 2 && !stopped {
			stopped = true
			next := *env
			next.Generation = 2
			second = New(&next, "j", nil)
			if _, err := second.Recover(); err != nil {
				t.Fatalf("takeover: %v", err)
			}
			os.WriteFile(filepath.Join(root, "inv"), []byte("later"), 0o644)
		}
	})
	err := first.Run(plan())
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("the old holder went on: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "inv")); string(data) != "later" {
		t.Errorf("inventory %q, want the later operation's", data)
	}
	if _, err := os.Stat(filepath.Join(root, "j")); err == nil {
		t.Errorf("the old holder wrote the journal again")
	}
	if target, _ := os.Readlink(filepath.Join(root, "a")); target != "t/a" {
		t.Errorf("the old holder ran its next step: a -> %q", target)
	}
}
