// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-sharedroot/osr/internal/goldenfile"
)

// golden compares got with testdata/name; go test -update rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

// TestDiagnostics renders the diagnostics of bad listfiles, with file, line and
// source snippet, against golden files.
func TestDiagnostics(t *testing.T) {
	tests := []struct{ name, src string }{
		{"misspelt-attribute", "binary \"fsck.gfs2\" {\n  optinal = true\n}\n"},
		{"unknown-block", "binaries \"fsck.gfs2\" {}\n"},
		{"relative-path", "file \"etc/hosts\" {}\n"},
		{"unclean-path", "file \"/etc//hosts/\" {}\n"},
		{"relative-dest", "file \"/etc/hosts\" {\n  dest = \"etc/hosts\"\n}\n"},
		{"unknown-arch", "when {\n  arch = [\"amd64\", \"sparc9\"]\n  binary \"busybox\" {}\n}\n"},
		{"empty-distro", "when {\n  distro = []\n  binary \"busybox\" {}\n}\n"},
		{"bad-distro", "listfile {\n  distro = \"Debian GNU/Linux\"\n}\n"},
		{"bad-mode", "directory \"/proc\" {\n  mode = \"555\"\n}\n"},
		{"bad-bool", "binary \"bash\" {\n  optional = \"yes\"\n}\n"},
		{"bad-provided-by", "binary \"ip\" {\n  provided_by = { debian = [] }\n}\n"},
		{"symlink-without-target", "symlink \"/init\" {}\n"},
		{"attribute-of-other-kind", "package \"corosync\" {\n  dest = \"/x\"\n}\n"},
		{"duplicate-header", "listfile {}\nlistfile {}\n"},
		{"bad-pattern", "package \"libknet1\" {\n  include = [\"/usr/lib/[\"]\n}\n"},
		{"bad-binary-name", "binary \"fsck gfs2\" {}\n"},
		{"syntax-error", "binary \"bash\" {\n  optional = true\n"},
		{"empty-when", "when {\n  binary \"bash\" {}\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeListfiles(t, map[string]string{"case.hcl": tt.src})
			set, diags := Load([]string{dir}, "/")
			if len(diags) == 0 {
				t.Fatal("no diagnostics")
			}
			var buf bytes.Buffer
			if err := set.WriteDiagnostics(&buf, diags, 0); err != nil {
				t.Fatal(err)
			}
			out := strings.ReplaceAll(buf.String(), dir, "$DIR")
			if !strings.Contains(out, "$DIR/case.hcl line ") {
				t.Errorf("diagnostics name no file and line:\n%s", out)
			}
			golden(t, "diagnostics/"+tt.name+".golden", []byte(out))
		})
	}
}

func TestLoadOverrideAndMask(t *testing.T) {
	shipped := writeListfiles(t, map[string]string{
		"base.hcl":    "file \"/etc/os-release\" {}\n",
		"gfs2.hcl":    "binary \"fsck.gfs2\" {}\n",
		"network.hcl": "file \"/etc/hosts\" {}\n",
		"debug.hcl":   "listfile {\n  on_request = true\n}\nbinary \"busybox\" {}\n",
		"README":      "not a listfile",
	})
	dropins := writeListfiles(t, map[string]string{
		"gfs2.hcl":      "binary \"mount.nfs\" {}\n",
		"network.hcl":   "",
		"local.hcl":     "file \"/etc/ld.so.conf\" {}\n",
		"notes.hcl~":    "ignored",
		".hidden.hcl":   "ignored {",
		"base.hcl.orig": "ignored",
	})
	if err := os.Symlink(os.DevNull, filepath.Join(dropins, "base.hcl")); err != nil {
		t.Fatal(err)
	}
	set, diags := Load([]string{shipped, filepath.Join(t.TempDir(), "absent"), dropins}, "/")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	var names []string
	for _, lf := range set.Listfiles {
		names = append(names, lf.Name)
	}
	if diff := cmp.Diff([]string{"base.hcl", "debug.hcl", "gfs2.hcl", "local.hcl", "network.hcl"}, names); diff != "" {
		t.Fatalf("listfiles (-want +got):\n%s", diff)
	}
	gfs2 := set.Lookup("gfs2")
	if gfs2.Path != filepath.Join(dropins, "gfs2.hcl") || len(gfs2.Overrides) != 1 || gfs2.Overrides[0] != filepath.Join(shipped, "gfs2.hcl") {
		t.Errorf("gfs2.hcl: path %s overrides %v; want the drop-in overriding the shipped one", gfs2.Path, gfs2.Overrides)
	}
	if !set.Lookup("network.hcl").Masked || !set.Lookup("base").Masked {
		t.Error("an empty drop-in and a link to /dev/null must mask the shipped listfile")
	}

	items, report, err := set.Resolve(context.Background(), Query{Root: fakeRoot(t), Arch: "amd64", Listfiles: []string{"debug"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"binary /usr/bin/busybox @debug.hcl:4",
		"binary /usr/sbin/mount.nfs @gfs2.hcl:1",
		"file /etc/ld.so.conf @local.hcl:1",
	}
	if diff := cmp.Diff(want, briefs(items)); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	var why []string
	for _, u := range report.Listfiles {
		why = append(why, u.Name+": "+u.Why)
	}
	wantWhy := []string{
		"base.hcl: masked: empty or a link to /dev/null", "debug.hcl: ", "gfs2.hcl: ",
		"local.hcl: ", "network.hcl: masked: empty or a link to /dev/null",
	}
	if diff := cmp.Diff(wantWhy, why); diff != "" {
		t.Errorf("listfile uses (-want +got):\n%s", diff)
	}

	// Without the request, the on-request listfile is left out; an unknown
	// request is an error.
	items, _, err = set.Resolve(context.Background(), Query{Root: fakeRoot(t), Arch: "amd64"})
	if err != nil || len(items) != 2 {
		t.Errorf("Resolve without requests: %d items, %v; want 2 items", len(items), err)
	}
	if _, _, err := set.Resolve(context.Background(), Query{Root: fakeRoot(t), Listfiles: []string{"debgu"}}); err == nil || !strings.Contains(err.Error(), `no listfile named "debgu"`) {
		t.Errorf("unknown request: %v", err)
	}
}

// TestLoadInsideRoot reads the listfile directories inside a root, so a link in
// the root cannot point the loader at the host.
func TestLoadInsideRoot(t *testing.T) {
	root := t.TempDir()
	shipped := filepath.Join(root, "usr/share/osr/listfiles")
	if err := os.MkdirAll(shipped, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shipped, "base.hcl"), []byte("file \"/etc/os-release\" {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "etc/osr"), 0o755); err != nil {
		t.Fatal(err)
	}
	// /etc/osr/listfiles.d → /usr/share/osr/listfiles inside the root, not on the host.
	if err := os.Symlink("/usr/share/osr/listfiles", filepath.Join(root, "etc/osr/listfiles.d")); err != nil {
		t.Fatal(err)
	}
	set, diags := Load(SystemDirs, root)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if len(set.Listfiles) != 1 || set.Listfiles[0].Path != filepath.Join(shipped, "base.hcl") || len(set.Listfiles[0].Overrides) != 1 {
		t.Errorf("got %+v; want base.hcl read twice from the root, the second overriding the first", set.Listfiles)
	}

	set, diags = Load(SystemDirs, t.TempDir())
	if len(set.Listfiles) != 0 || len(diags) != 1 || diags[0].Summary != "No listfiles" {
		t.Errorf("an empty root: %d listfiles, diagnostics %v; want a No listfiles warning", len(set.Listfiles), diags)
	}
}
