// SPDX-License-Identifier: Apache-2.0

package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
)

func setup(t *testing.T) (string, *Env) {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a/sub"), 0o755)
	os.WriteFile(filepath.Join(root, "a/sub/f"), []byte("f"), 0o644)
	os.WriteFile(filepath.Join(root, "inv"), []byte("old"), 0o644)
	fsys, err := rootfs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return root, &Env{FS: fsys}
}

func plan() Plan {
	return Plan{Op: "test", Commit: 4, Steps: []Step{
		{Op: OpMkdir, Path: "t"},
		{Op: OpCopy, From: "a", Path: "t/a", Tmp: "t/.a.tmp"},
		{Op: OpRename, From: "a", Path: ".a.trash"},
		{Op: OpSymlink, Path: "a", Target: "t/a"},
		{Op: OpInventory, Path: "inv", Data: []byte("new"), Old: []byte("old")},
		{Op: OpRemoveAll, Path: ".a.trash"},
	}}
}

func TestRunAndDryRunText(t *testing.T) {
	root, env := setup(t)
	if err := New(env, "j", nil).Run(plan()); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(root, "a")); target != "t/a" {
		t.Errorf("a -> %q", target)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "t/a/sub/f")); string(data) != "f" {
		t.Errorf("copy: %q", data)
	}
	for _, gone := range []string{"j", ".a.trash", "t/.a.tmp"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
			t.Errorf("%s left", gone)
		}
	}
	var b strings.Builder
	p := plan()
	p.Print(&b)
	want := "mkdir t\ncp -a a t/.a.tmp && mv t/.a.tmp t/a\nmv a .a.trash\nln -s t/a a\nwrite inv\nrm -rf .a.trash\n"
	if b.String() != want {
		t.Errorf("plan text:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestRollback: a step failing before the commit undoes everything done.
func TestRollback(t *testing.T) {
	root, env := setup(t)
	p := plan()
	os.WriteFile(filepath.Join(root, "blocker"), nil, 0o644)
	p.Steps[3].Path = "blocker/x" // the symlink step fails
	err := New(env, "j", nil).Run(p)
	if err == nil || !strings.Contains(err.Error(), "everything was rolled back") {
		t.Fatalf("error %v", err)
	}
	for _, gone := range []string{"t", ".a.trash", "j"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
			t.Errorf("%s left after rollback", gone)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(root, "a/sub/f")); string(data) != "f" {
		t.Errorf("original not restored: %q", data)
	}
}

// TestRecover: an interrupted run (the hook stops it at each step in turn) is
// finished by Recover, whatever step it stopped at.
func TestRecover(t *testing.T) {
	for stop := 0; stop < len(plan().Steps); stop++ {
		root, env := setup(t)
		func() {
			defer func() { recover() }()
			New(env, "j", func(i int, _ Step, _ bool) {
				if i == stop {
					panic("crash")
				}
			}).Run(plan())
		}()
		msg, err := New(env, "j", nil).Recover()
		if err != nil || !strings.Contains(msg, "finished interrupted operation") {
			t.Fatalf("stop %d: %q %v", stop, msg, err)
		}
		if data, _ := os.ReadFile(filepath.Join(root, "inv")); string(data) != "new" {
			t.Errorf("stop %d: inventory %q", stop, data)
		}
		if data, _ := os.ReadFile(filepath.Join(root, "a/sub/f")); string(data) != "f" {
			t.Errorf("stop %d: a/sub/f through the link: %q", stop, data)
		}
	}
}
