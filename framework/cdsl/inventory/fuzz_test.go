// SPDX-License-Identifier: Apache-2.0

package inventory

import (
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// The seeds of these targets (testdata/*.xml, the f.Add calls and
// testdata/fuzz/<Target>/) run in every plain go test; make fuzz-short runs each
// target for a few seconds.

// FuzzParse: Parse never panics; whatever it accepts has a safe layout, names the
// inventory can hold, and survives Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<cdsls config_version="2.0" tree=".cluster/cdsl" sharedtree=".cluster/shared" link=".cdsl.local" default_dir="default"><cdsl src="var" type="hostdependent"><nodes><noderef ref="1"/></nodes></cdsl></cdsls>`))
	f.Add([]byte(`<cdsls config_version="2.0" tree="." link="etc"><repositories><repository path="mnt/data" resource=".cdsl_inventory.xml"/></repositories></cdsls>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Parse("fuzz.xml", data)
		if err != nil {
			if inv != nil {
				t.Fatal("an inventory and an error")
			}
			return
		}
		if err := inv.Settings.Validate(); err != nil {
			t.Fatalf("accepted an unsafe layout: %v", err)
		}
		for _, c := range inv.CDSLs {
			if err := CheckPath(c.Src); err != nil {
				t.Fatalf("accepted src %q: %v", c.Src, err)
			}
		}
		again, err := Parse("again.xml", Marshal(inv))
		if err != nil {
			t.Fatalf("its own output is refused: %v\n%s", err, Marshal(inv))
		}
		inv.Version = Version2
		if !reflect.DeepEqual(normalize(inv), normalize(again)) {
			t.Fatalf("changed on the way through the file:\n%#v\n%#v", inv, again)
		}
	})
}

// normalize makes empty and nil lists equal.
func normalize(inv *Inventory) *Inventory {
	c := inv.Clone()
	if len(c.Repositories) == 0 {
		c.Repositories = nil
	}
	for i := range c.CDSLs {
		if len(c.CDSLs[i].Nodes) == 0 {
			c.CDSLs[i].Nodes = nil
		}
	}
	if len(c.CDSLs) == 0 {
		c.CDSLs = nil
	}
	return c
}

// FuzzLayout: a layout Validate accepts keeps every directory it names inside
// the root, apart from the others and out of the system's directories, and its
// node directories right below the tree.
func FuzzLayout(f *testing.F) {
	f.Add(".cluster/cdsl", ".cluster/shared", ".cdsl.local", "default", "", ".cdsl", "", true, "1")
	f.Add("cluster/cdsl", "cluster/shared", "cdsl.local", "default", "node", ".cdsl", "mnt/data", true, "12")
	f.Add(".", ".cluster/shared", "etc", "..", "../", ".cdsl", "", true, "1")
	f.Add("../../x", "etc", ".", "1", "", "", "/abs", false, "a/b")
	f.Fuzz(func(t *testing.T, tree, shared, link, def, prefix, expand, mp string, ids bool, node string) {
		s := Settings{Tree: tree, SharedTree: shared, Link: link, DefaultDir: def, NodePrefix: prefix,
			ExpandString: expand, Mountpoint: mp, UseNodeIDs: ids}
		if s.Validate() != nil {
			return
		}
		dirs := []string{tree, shared, link}
		for i, d := range dirs {
			if d == "" || path.Clean(d) != d || path.IsAbs(d) || d == "." || strings.HasPrefix(d, "../") || d == ".." || strings.Contains("/"+d+"/", "/../") {
				t.Fatalf("accepted %q, which is not a clean path inside the root", d)
			}
			if isSystemDir(strings.SplitN(d, "/", 2)[0]) {
				t.Fatalf("accepted %q in a system directory", d)
			}
			if !utf8.ValidString(d) {
				t.Fatalf("accepted %q, not UTF-8", d)
			}
			for j, e := range dirs {
				if i != j && within(d, e) {
					t.Fatalf("accepted %q inside %q", d, e)
				}
			}
		}
		if def == "" || strings.ContainsAny(def, "/") || def == "." || def == ".." || strings.HasPrefix(def, ".") {
			t.Fatalf("accepted the default dir %q", def)
		}
		if strings.Contains(prefix, "/") || prefix == ".." || strings.HasPrefix(prefix, ".") {
			t.Fatalf("accepted the node prefix %q", prefix)
		}
		if CheckName(node) == nil && !strings.HasPrefix(node, ".") {
			l := &Layout{Settings: s}
			nd := l.NodeDir(s.NodeDirName(node))
			if path.Dir(nd) != l.TreeDir() {
				t.Fatalf("node %q's directory %q is not right below the tree %q", node, nd, l.TreeDir())
			}
			if ids && s.NodeDirName(node) == def && node != def {
				t.Fatalf("node %q's directory is the default dir", node)
			}
		}
		// The settings survive the inventory file.
		inv, err := Parse("fuzz.xml", Marshal(&Inventory{Version: Version2, Settings: s}))
		if err != nil {
			t.Fatalf("a valid layout is refused when read back: %v", err)
		}
		if inv.Settings != s {
			t.Fatalf("settings changed on the way through the file:\n%+v\n%+v", s, inv.Settings)
		}
	})
}

// FuzzNames: a name CheckName accepts is one file name, valid UTF-8 without
// control characters, fits NAME_MAX, and comes back unchanged from the
// inventory file.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"var", "log", "a b", "ünïcödé", "new\nline", "bad\xff", ".", "..", "a/b",
		strings.Repeat("x", 255), strings.Repeat("x", 256), "\u0085", "\ufffe", "tab\t", "\x00", "😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if CheckName(name) != nil {
			return
		}
		if name == "" || name == "." || name == ".." || strings.Contains(name, "/") || len(name) > NameMax || !utf8.ValidString(name) {
			t.Fatalf("accepted %q", name)
		}
		for _, r := range name {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f {
				t.Fatalf("accepted %q with the control character %U", name, r)
			}
		}
		inv := &Inventory{Version: Version2, Settings: V2Defaults(),
			CDSLs: []CDSL{{Src: "srv/" + name, Type: Hostdependent, Timestamp: "1.00", Nodes: []string{"1"}}}}
		back, err := Parse("fuzz.xml", Marshal(inv))
		if err != nil {
			t.Fatalf("%q: refused when read back: %v", name, err)
		}
		if back.CDSLs[0].Src != "srv/"+name {
			t.Fatalf("%q came back as %q", name, back.CDSLs[0].Src)
		}
	})
}
