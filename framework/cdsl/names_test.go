// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
)

// TestNamesTheInventoryCannotHold: a path whose name has control characters or
// is not UTF-8 is refused before anything changes.
func TestNamesTheInventoryCannotHold(t *testing.T) {
	for _, name := range []string{"new\nline", "tab\there", "bell\x07", "del\x7f", "c1\u0085", "bad\xffutf8", "esc\x1b[31m"} {
		root, r := newRoot(t, inventory.V2Defaults(), 2, map[string]string{name + "/f": "x"})
		before := listRoot(t, root)
		for _, typ := range []inventory.Type{inventory.Hostdependent, inventory.Shared} {
			_, err := r.Add("/"+name, typ, nil, AddOptions{})
			if !errors.Is(err, inventory.ErrName) {
				t.Errorf("add %q: %v", name, err)
			}
		}
		if _, err := r.Add("/ok", inventory.Hostdependent, []string{"n\x01"}, AddOptions{}); err == nil {
			t.Errorf("a node name with a control character was accepted")
		}
		if after := listRoot(t, root); strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Errorf("%q: the root changed: %v", name, after)
		}
	}
}

// TestLongNames: a name of 255 bytes (NAME_MAX) becomes a CDSL and a real path
// again; no staging or trash name is too long.
func TestLongNames(t *testing.T) {
	long := strings.Repeat("n", inventory.NameMax)
	root, r := newRoot(t, inventory.V2Defaults(), 2, map[string]string{"srv/" + long + "/f": "x", "srv/" + long + "/sub/g": "g"})
	if _, err := r.Add("/srv/"+long, inventory.Hostdependent, nil, AddOptions{}); err != nil {
		t.Fatalf("add: %v", err)
	}
	if got := readFile(t, filepath.Join(root, ".cluster/cdsl/2/srv", long, "f")); got != "x" {
		t.Errorf("node 2's copy: %q", got)
	}
	res, err := r.Check(CheckOptions{Scan: true})
	if err != nil || len(res.Problems)+len(res.Found) != 0 {
		t.Fatalf("check: %v %v %v", err, res.Problems, res.Found)
	}
	if _, err := r.Add("/srv/"+long+"/sub", inventory.Shared, nil, AddOptions{}); err != nil {
		t.Fatalf("add shared inside: %v", err)
	}
	if _, err := r.Remove("/srv/"+long, RemoveOptions{Recursive: true, Purge: true}); err != nil {
		t.Fatalf("rm: %v", err)
	}
	if got := readFile(t, filepath.Join(root, "srv", long, "sub/g")); got != "g" {
		t.Errorf("after rm: %q", got)
	}
}

// TestFailedUndoDoesNotWedge: an operation on a 255-byte name fails, and so does
// its undo (both injected); every command then refuses, except check --repair,
// which keeps the journal aside and converges: a second check finds nothing.
func TestFailedUndoDoesNotWedge(t *testing.T) {
	long := strings.Repeat("w", inventory.NameMax)
	root := t.TempDir()
	mkfiles(t, root, map[string]string{long + "/f": "data"})
	s := inventory.V2Defaults()
	s.MaxNodeIDNum = 2
	r, _, err := Init(context.Background(), Options{Root: root}, s, "")
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	// The symlink step fails (something appears at the path), and the undo of
	// the move into default fails for the same reason.
	blocker := filepath.Join(root, long)
	hook := func(_ int, st journal.Step, undo bool) {
		if !undo && st.Op == journal.OpSymlink {
			os.WriteFile(blocker, []byte("in the way"), 0o644)
		}
	}
	r, err = Open(context.Background(), Options{Root: root, Hook: hook})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Add("/"+long, inventory.Hostdependent, nil, AddOptions{})
	r.Close()
	if err == nil || !strings.Contains(err.Error(), "check --repair") {
		t.Fatalf("add with a failing undo: %v", err)
	}
	if _, err := Open(context.Background(), Options{Root: root}); err == nil {
		t.Fatalf("a command ran over the journal that cannot be undone")
	}
	for round := 0; round < 2; round++ {
		var notes strings.Builder
		r, err := Open(context.Background(), Options{Root: root, Repair: true, Notes: &notes})
		if err != nil {
			t.Fatalf("round %d: open for repair: %v", round, err)
		}
		res, err := r.Check(CheckOptions{Repair: true, Scan: true})
		r.Close()
		if err != nil {
			t.Fatalf("round %d: repair: %v", round, err)
		}
		if round == 0 && !strings.Contains(notes.String(), "kept as") {
			t.Errorf("round 0: the journal was not reported kept aside: %q", notes.String())
		}
		if round == 1 && (len(res.Problems) != 0 || len(res.Found) != 0) {
			t.Errorf("round 1: repair did not converge: %v %v", res.Problems, res.Found)
		}
	}
	// Nothing was lost: the data is in default, where the move put it.
	if got := readFile(t, filepath.Join(root, ".cluster/cdsl/default", long, "f")); got != "data" {
		t.Errorf("the data: %q", got)
	}
	if _, err := os.Stat(filepath.Join(root, JournalFile)); err == nil {
		t.Errorf("the journal is still in place")
	}
	// And ordinary commands work again.
	r, err = Open(context.Background(), Options{Root: root})
	if err != nil {
		t.Fatalf("open after the repair: %v", err)
	}
	r.Close()
}
