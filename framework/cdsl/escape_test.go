// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
)

// snapshot lists every name below dir with its mode, size and link target.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		target, _ := os.Readlink(p)
		out = append(out, fmt.Sprintf("%s %v %d %s %v", p, info.Mode(), info.Size(), target, info.ModTime()))
		return nil
	})
	sort.Strings(out)
	return out
}

// TestEscape plants symlinks in the root that point at a directory outside it
// (absolutely and with ".."), makes the layout's own directories such links, and
// runs every operation through them: nothing outside the root may change.
func TestEscape(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	mkfiles(t, outside, map[string]string{"secret": "s", "var/log/messages": "host log", "etc/passwd": "host"})
	root := filepath.Join(base, "root")
	mkfiles(t, root, map[string]string{"var/log/messages": "root log", "etc/hosts": "h", "srv/data/x": "x"})
	up := strings.Repeat("../", 8)
	links := map[string]string{
		"abs":               outside,                    // absolute host path
		"dots":              up + "outside",             // climbs above the root
		"var/log/outside":   outside + "/secret",        // inside a future CDSL
		"var/log/dotdot":    "../../../outside/var/log", // relative, leaves the root
		"etc/sysconfig":     outside + "/etc",           // a directory on the way
		"srv/data/hostlog":  "/../../../../" + outside[1:] + "/var/log",
		".cdsl.local":       outside,           // the link dir itself
		".cluster/shared":   up + "outside",    // the shared tree
		".cluster/cdsl/4":   outside,           // a node dir
		"srv/data/tmp-link": "/proc/self/root", // a magic link's path
	}
	for name, target := range links {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, outside)
	ctx := context.Background()
	opts := Options{Root: root}
	s := inventory.V2Defaults()
	s.MaxNodeIDNum = 3
	// The layout's own directories as links out of the root: init refuses.
	if _, _, err := Init(ctx, opts, s, ""); err == nil || !strings.Contains(err.Error(), "is in the way") {
		t.Fatalf("init with the shared tree and link dir linked outside: %v", err)
	}
	os.Remove(filepath.Join(root, ".cdsl.local"))
	os.Remove(filepath.Join(root, ".cluster/shared"))
	r, _, err := Init(ctx, opts, s, "")
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	defer r.Close()
	try := func(what string, err error) {
		t.Logf("%s: %v", what, err)
	}
	for _, p := range []string{"/var", "/abs", "/dots/secret", "/etc/sysconfig/network", "/srv/data", outside + "/etc",
		"/srv/data/hostlog/messages", "../../../../var/log"} {
		_, err := r.Add(p, inventory.Hostdependent, nil, AddOptions{})
		try("add -a "+p, err)
	}
	for _, p := range []string{"/var/log", "/var/log/dotdot", "/srv/data/hostlog", "/abs/var/log"} {
		_, err := r.Add(p, inventory.Shared, nil, AddOptions{From: "4"})
		try("add -s --from 4 "+p, err)
		_, err = r.Add(p, inventory.Shared, nil, AddOptions{})
		try("add -s "+p, err)
	}
	_, err = r.Diff("/var/log/outside", "")
	try("diff", err)
	args := []string{"cat", "/var/log/outside", "/var/log/dotdot/messages", "/var/log/messages"}
	cmds, err := r.ForEach(args, false)
	try("foreach", err)
	for _, c := range cmds {
		for i, a := range c.Args {
			// Arguments that name no CDSL path stay as given; the others must
			// lie in the root.
			if a != args[i] && !strings.HasPrefix(a, root+"/") {
				t.Errorf("foreach gave node %s the path %s outside the root", c.Node, a)
			}
		}
	}
	try("nodes add 5", r.AddNode("5"))
	_, err = r.RemoveNode("4", false)
	try("nodes remove 4", err)
	_, err = r.Check(CheckOptions{Repair: true, Scan: true})
	try("check --repair --scan", err)
	for _, p := range []string{"/srv/data", "/var/log", "/var"} {
		_, err := r.Remove(p, RemoveOptions{Recursive: true, Force: true})
		try("rm "+p, err)
	}
	if diff := cmp.Diff(before, snapshot(t, outside)); diff != "" {
		t.Errorf("the directory outside the root changed (-before +after):\n%s", diff)
	}
	// The root's own files were reached through the planted links instead.
	if got := readFile(t, filepath.Join(root, "var/log/messages")); got != "root log" {
		t.Errorf("root's var/log/messages = %q", got)
	}
}
