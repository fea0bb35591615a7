// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAddInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    Entry
		want string
	}{
		{"root", Entry{Path: "/", Kind: Dir}, "names the image root"},
		{"dotdot", Entry{Path: "a/../../etc", Kind: Dir}, `contains ".."`},
		{"no kind", Entry{Path: "a"}, "unknown kind"},
		{"type bits", Entry{Path: "a", Kind: File, Mode: os.ModeDir | 0o755}, "has type bits"},
		{"both contents", Entry{Path: "a", Kind: File, Source: "/x", Data: []byte("y")}, "Source or Data, not both"},
		{"dir with data", Entry{Path: "a", Kind: Dir, Data: []byte("y")}, "no content"},
		{"symlink without target", Entry{Path: "a", Kind: Symlink}, "no target"},
		{"device numbers on a file", Entry{Path: "a", Kind: File, Major: 1}, "no device numbers"},
		{"secret dir", Entry{Path: "a", Kind: Dir, Secret: true}, "only files can be secret"},
		{"negative owner", Entry{Path: "a", Kind: Dir, UID: -1}, "out of range"},
		{"long name", Entry{Path: strings.Repeat("x", 5000), Kind: Dir}, "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := NewArchive().Add(tc.e)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDuplicates(t *testing.T) {
	dir := t.TempDir()
	src := func(name, content string) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	a1, a2, b, long := src("a1", "same"), src("a2", "same"), src("b", "diff"), src("long", "longer")
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    string // "" = no error; else text of the error from Add or Write
	}{
		{"same file twice", []Entry{
			{Path: "x", Kind: File, Source: a1, Origin: "listfile base"},
			{Path: "/x", Kind: File, Source: a1, Origin: "driver nfs"}}, ""},
		{"same content from two sources", []Entry{
			{Path: "x", Kind: File, Source: a1}, {Path: "x", Kind: File, Source: a2}}, ""},
		{"different content", []Entry{
			{Path: "x", Kind: File, Source: a1, Origin: "listfile base"},
			{Path: "x", Kind: File, Source: b, Origin: "driver nfs"}},
			"conflicting entries at x: file from " + a1 + " (listfile base) and file from " + b + " (driver nfs) differ in content"},
		{"different sizes", []Entry{
			{Path: "x", Kind: File, Source: a1}, {Path: "x", Kind: File, Source: long}},
			"conflicting entries at x: file from " + a1 + ", mode 0644, owner 0:0; and file from " + long},
		{"different modes", []Entry{
			{Path: "x", Kind: File, Data: []byte("d"), Mode: 0o644},
			{Path: "x", Kind: File, Data: []byte("d"), Mode: 0o755}}, "conflicting entries at x"},
		{"source mode differs from explicit mode", []Entry{
			{Path: "x", Kind: File, Source: a1},
			{Path: "x", Kind: File, Source: a1, Mode: 0o755}}, "conflicting entries at x"},
		{"file over directory", []Entry{
			{Path: "etc/x", Kind: File, Data: []byte("d")},
			{Path: "etc", Kind: File, Data: []byte("d"), Origin: "listfile extra"}},
			"conflicting entries at etc: directory (parent of etc/x), mode 0755, owner 0:0; and generated file (1 bytes) (listfile extra), mode 0644"},
		{"directory twice", []Entry{{Path: "d", Kind: Dir}, {Path: "d/", Kind: Dir}}, ""},
		{"explicit directory after implied one", []Entry{
			{Path: "d/f", Kind: File, Data: []byte("d")}, {Path: "d", Kind: Dir, Mode: 0o700}}, ""},
		{"two symlink targets", []Entry{
			{Path: "l", Kind: Symlink, Target: "a"}, {Path: "l", Kind: Symlink, Target: "b"}},
			"conflicting entries at l: symlink to a, mode 0777, owner 0:0; and symlink to b"},
		{"two device numbers", []Entry{
			{Path: "dev/c", Kind: CharDevice, Major: 5, Minor: 1},
			{Path: "dev/c", Kind: CharDevice, Major: 4, Minor: 1}}, "conflicting entries at dev/c"},
		{"secret and plain", []Entry{
			{Path: "c", Kind: File, Data: []byte("d"), Secret: true},
			{Path: "c", Kind: File, Data: []byte("d"), Mode: 0o600}}, "conflicting entries at c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NewArchive()
			var err error
			for _, e := range tc.entries {
				if err = a.Add(e); err != nil {
					break
				}
			}
			if err == nil {
				_, err = a.Write(context.Background(), &bytes.Buffer{}, Options{Compression: None})
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v; want ErrConflict containing %q", err, tc.want)
			}
		})
	}
}

// TestSymlinkedParents checks that entries below a symlink in the image land at
// the link's target, as the kernel would put them.
func TestSymlinkedParents(t *testing.T) {
	a := NewArchive()
	must(t, a.AddBytes("lib/modules/6.1/modules.dep", []byte("dep"), 0o644)) // before the link
	must(t, a.AddSymlink("lib", "usr/lib"))
	must(t, a.AddSymlink("lib64", "/usr/lib64"))
	must(t, a.AddBytes("lib64/ld-linux-x86-64.so.2", []byte("ld"), 0o755))
	must(t, a.AddBytes("usr/lib/modules/6.1/modules.alias", []byte("alias"), 0o644))
	must(t, a.AddSymlink("usr/lib/up", "../../.."))
	must(t, a.AddBytes("usr/lib/up/etc/x", []byte("x"), 0o644))
	nodes, err := a.resolve()
	must(t, err)
	var got []string
	for _, n := range nodes {
		got = append(got, n.Path)
	}
	want := []string{"etc", "etc/x", "lib", "lib64", "usr", "usr/lib", "usr/lib/modules", "usr/lib/modules/6.1",
		"usr/lib/modules/6.1/modules.alias", "usr/lib/modules/6.1/modules.dep", "usr/lib/up",
		"usr/lib64", "usr/lib64/ld-linux-x86-64.so.2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("paths:\n got %v\nwant %v", got, want)
	}

	loop := NewArchive()
	must(t, loop.AddSymlink("a", "b"))
	must(t, loop.AddSymlink("b", "a"))
	must(t, loop.AddBytes("a/x", []byte("x"), 0))
	if _, err := loop.resolve(); err == nil || !strings.Contains(err.Error(), "too many levels of symlinks") {
		t.Errorf("symlink loop: error %v", err)
	}
}

func TestSecretKeeps0600(t *testing.T) {
	src := filepath.Join(t.TempDir(), "cluster.conf")
	must(t, os.WriteFile(src, []byte("fence_password=x"), 0o644))
	a := NewArchive()
	must(t, a.Add(Entry{Path: "etc/cluster/cluster.conf", Kind: File, Source: src, Mode: 0o644, Secret: true}))
	p, err := a.makePlan(context.Background(), 0, 1)
	must(t, err)
	for _, r := range p.records {
		if r.hdr.name == "etc/cluster/cluster.conf" && r.hdr.mode != modeRegular|0o600 {
			t.Errorf("secret stored with mode %o; want %o", r.hdr.mode, modeRegular|0o600)
		}
	}
}

// TestHardlinks checks that identical contents are stored once, and only when
// their metadata agrees.
func TestHardlinks(t *testing.T) {
	a := NewArchive()
	for _, p := range []string{"a", "b", "c"} {
		must(t, a.AddBytes(p, []byte("same content"), 0o644))
	}
	must(t, a.AddBytes("d", []byte("same content"), 0o755)) // other mode: own inode
	must(t, a.AddBytes("e1", nil, 0o644))                   // empty files are never linked
	must(t, a.AddBytes("e2", nil, 0o644))
	p, err := a.makePlan(context.Background(), 0, 2)
	must(t, err)
	type rec struct {
		ino, nlink uint32
		size       int64
	}
	got := map[string]rec{}
	for _, r := range p.records {
		got[r.hdr.name] = rec{r.hdr.ino, r.hdr.nlink, r.size}
	}
	if a, b, c := got["a"], got["b"], got["c"]; a.ino != b.ino || b.ino != c.ino || a.nlink != 3 || c.nlink != 3 ||
		a.size != 12 || b.size != 0 || c.size != 0 {
		t.Errorf("a, b, c = %+v %+v %+v; want one inode, 3 links, the data with a", a, b, c)
	}
	if d := got["d"]; d.ino == got["a"].ino || d.nlink != 1 || d.size != 12 {
		t.Errorf("d = %+v; want its own inode with the data", d)
	}
	if got["e1"].ino == got["e2"].ino {
		t.Error("empty files share an inode")
	}
	if p.stats.Hardlinks != 2 || p.stats.ContentBytes != 24 {
		t.Errorf("stats %+v; want 2 hardlinks, 24 content bytes", p.stats)
	}
}
