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
)

// listRoot names everything below root, for "nothing was changed" checks.
func listRoot(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		out = append(out, rel)
		return nil
	})
	return out
}

// TestInitRefusesUnsafeLayouts: every unsafe layout of the hostile probes (and
// more) is refused before anything is read or changed, naming the value.
func TestInitRefusesUnsafeLayouts(t *testing.T) {
	v2 := inventory.V2Defaults
	with := func(f func(*inventory.Settings)) inventory.Settings { s := v2(); f(&s); return s }
	for _, tc := range []struct {
		name  string
		s     inventory.Settings
		file  string
		value string // named in the error
	}{
		{"--tree .", with(func(s *inventory.Settings) { s.Tree = "." }), "", `"."`},
		{"--tree ../../x", with(func(s *inventory.Settings) { s.Tree = "../../x" }), "", `"../../x"`},
		{"--tree a/../b", with(func(s *inventory.Settings) { s.Tree = "a/../b" }), "", `"a/../b"`},
		{"--tree var/cdsl", with(func(s *inventory.Settings) { s.Tree = "var/cdsl" }), "", "/var"},
		{"--tree etc", with(func(s *inventory.Settings) { s.Tree = "etc" }), "", "/etc"},
		{"--tree empty", with(func(s *inventory.Settings) { s.Tree = "" }), "", "empty"},
		{"--tree a//b", with(func(s *inventory.Settings) { s.Tree = "a//b" }), "", "empty component"},
		{"--default-dir ..", with(func(s *inventory.Settings) { s.DefaultDir = ".." }), "", `".."`},
		{"--default-dir .", with(func(s *inventory.Settings) { s.DefaultDir = "." }), "", `"."`},
		{"--default-dir 1", with(func(s *inventory.Settings) { s.DefaultDir = "1" }), "", "node id"},
		{"--default-dir a/b", with(func(s *inventory.Settings) { s.DefaultDir = "a/b" }), "", "slash"},
		{"--default-dir .hidden", with(func(s *inventory.Settings) { s.DefaultDir = ".hidden" }), "", "dot"},
		{"--default-dir node7 with prefix node", with(func(s *inventory.Settings) { s.DefaultDir = "node7"; s.NodePrefix = "node" }), "", "node id"},
		{"--link etc", with(func(s *inventory.Settings) { s.Link = "etc" }), "", "/etc"},
		{"--link .", with(func(s *inventory.Settings) { s.Link = "." }), "", `"."`},
		{"--link usr/local/x", with(func(s *inventory.Settings) { s.Link = "usr/local/x" }), "", "/usr"},
		{"--link inside the tree", with(func(s *inventory.Settings) { s.Link = ".cluster/cdsl/x" }), "", "inside"},
		{"--link = --tree", with(func(s *inventory.Settings) { s.Link = ".cluster/cdsl" }), "", "same directory"},
		{"--tree inside --shared-tree", with(func(s *inventory.Settings) { s.Tree = ".cluster/shared/cdsl" }), "", "inside"},
		{"--shared-tree etc", with(func(s *inventory.Settings) { s.SharedTree = "etc" }), "", "/etc"},
		{"--shared-tree boot", with(func(s *inventory.Settings) { s.SharedTree = "boot" }), "", "/boot"},
		{"--shared-tree tmp/s", with(func(s *inventory.Settings) { s.SharedTree = "tmp/s" }), "", "/tmp"},
		{"--shared-tree lib64", with(func(s *inventory.Settings) { s.SharedTree = "lib64" }), "", "/lib64"},
		{"--node-prefix ../", with(func(s *inventory.Settings) { s.NodePrefix = "../" }), "", `"../"`},
		{"--node-prefix a/b", with(func(s *inventory.Settings) { s.NodePrefix = "a/b" }), "", "slash"},
		{"--node-prefix ..", with(func(s *inventory.Settings) { s.NodePrefix = ".." }), "", `".."`},
		{"--node-prefix control", with(func(s *inventory.Settings) { s.NodePrefix = "n\n" }), "", "control character"},
		{"--tree invalid UTF-8", with(func(s *inventory.Settings) { s.Tree = ".cluster/\xff" }), "", "UTF-8"},
		{"--inventory ../../inv.xml", v2(), "../../inv.xml", `"../../inv.xml"`},
		{"--inventory .", v2(), ".", `"."`},
		{"--inventory etc", v2(), "etc", "system directory"},
		{"--inventory in the tree", v2(), ".cluster/cdsl/inv.xml", "inside"},
		{"--inventory in the link dir", v2(), ".cdsl.local/inv.xml", "inside"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			mkfiles(t, root, map[string]string{"etc/passwd": "root\n", "var/log/m": "m\n"})
			before := listRoot(t, root)
			tc.s.MaxNodeIDNum = 2
			r, _, err := Init(context.Background(), Options{Root: root}, tc.s, tc.file)
			if err == nil {
				r.Close()
				t.Fatal("the layout was accepted")
			}
			if !errors.Is(err, inventory.ErrLayout) {
				t.Errorf("error does not wrap ErrLayout: %v", err)
			}
			if !strings.Contains(err.Error(), tc.value) {
				t.Errorf("error %q does not name %s", err, tc.value)
			}
			if after := listRoot(t, root); strings.Join(after, "\n") != strings.Join(before, "\n") {
				t.Errorf("the root changed: %v", after)
			}
		})
	}
}

// TestInitNamesEveryRejectedValue: several bad settings are all named at once.
func TestInitNamesEveryRejectedValue(t *testing.T) {
	s := inventory.V2Defaults()
	s.Tree, s.Link, s.DefaultDir, s.NodePrefix = ".", "etc", "..", "../"
	_, _, err := Init(context.Background(), Options{Root: t.TempDir()}, s, "../../inv.xml")
	for _, want := range []string{"tree (--tree)", "link dir", "default dir", "node prefix", "inventory (--inventory)", "nothing was changed"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name the %s", err, want)
		}
	}
}

// TestInitAcceptsTheOriginalLayouts: the v2 and v1 layouts and the original
// nesting (tree and shared tree below .cluster) are fine.
func TestInitAcceptsTheOriginalLayouts(t *testing.T) {
	for _, s := range []inventory.Settings{inventory.V2Defaults(), inventory.V1Defaults()} {
		if err := s.Validate(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	s := inventory.V2Defaults()
	s.NodePrefix, s.Mountpoint = "node", "mnt/data"
	if err := s.Validate(); err != nil {
		t.Errorf("prefix and mountpoint: %v", err)
	}
	if err := s.ValidateFile(inventory.V1File); err != nil {
		t.Errorf("the v1 inventory place: %v", err)
	}
}

// TestLoadRefusesUnsafeLayouts: an inventory already on disk with an unsafe
// layout is refused when it is read, by every command, and check --scan --repair
// does not rebuild it over the settings.
func TestLoadRefusesUnsafeLayouts(t *testing.T) {
	for _, attrs := range []string{
		`tree="." sharedtree=".cluster/shared" link=".cdsl.local" default_dir="default"`,
		`tree=".cluster/cdsl" sharedtree=".cluster/shared" link=".cdsl.local" default_dir=".."`,
		`tree=".cluster/cdsl" sharedtree=".cluster/shared" link="etc" default_dir="default"`,
		`tree="../../x" sharedtree=".cluster/shared" link=".cdsl.local" default_dir="default"`,
		`tree=".cluster/cdsl" sharedtree=".cluster/shared" link=".cdsl.local" default_dir="default" node_prefix="../"`,
	} {
		root := t.TempDir()
		mkfiles(t, root, map[string]string{
			".cdsl_inventory.xml": `<cdsls config_version="2.0" ` + attrs + ` use_nodeids="True" maxnodeidnum="2"></cdsls>`,
			"var/x":               "x",
		})
		if r, err := Open(context.Background(), Options{Root: root}); err == nil || !errors.Is(err, inventory.ErrLayout) {
			if r != nil {
				r.Close()
			}
			t.Errorf("%s: open: %v", attrs, err)
		}
		if r, _, err := OpenRebuilding(context.Background(), Options{Root: root, Repair: true}); err == nil {
			r.Close()
			t.Errorf("%s: rebuilt over a refused layout", attrs)
		}
		if _, err := inventory.FindLayout(root, ""); !errors.Is(err, inventory.ErrLayout) {
			t.Errorf("%s: FindLayout: %v", attrs, err)
		}
	}
}

// TestRemoveNodeStaysInTheTree: nodes remove --purge deletes only a node's own
// directory right below the tree, whatever the name.
func TestRemoveNodeStaysInTheTree(t *testing.T) {
	root, r := newRoot(t, inventory.V2Defaults(), 2, map[string]string{"var/lib/x": "x", "etc/passwd": "root\n"})
	for _, node := range []string{"../../var", "..", ".", "../default", "default", "", "a/b", "1/../../../etc", "\x01"} {
		if _, err := r.RemoveNode(node, true); err == nil {
			t.Errorf("nodes remove --purge %q was accepted", node)
		}
	}
	for _, keep := range []string{"var/lib/x", "etc/passwd", ".cluster/cdsl/1", ".cluster/cdsl/2", ".cluster/cdsl/default"} {
		if _, err := os.Stat(filepath.Join(root, keep)); err != nil {
			t.Errorf("%s is gone: %v", keep, err)
		}
	}
	if _, err := r.RemoveNode("2", true); err != nil {
		t.Fatalf("remove node 2: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, ".cluster/cdsl/2")); err == nil {
		t.Errorf("node 2's directory is still there")
	}
}
