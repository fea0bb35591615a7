// SPDX-License-Identifier: Apache-2.0

package distro

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Distro
		wantErr  string
	}{
		{"debian", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\n",
			Distro{ID: "debian", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)"}, ""},
		{"rocky", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n",
			Distro{ID: "rocky", Like: []string{"rhel", "centos", "fedora"}, VersionID: "9.4"}, ""},
		{"ubuntu comments", "# comment\n\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME='Ubuntu 24.04'\n",
			Distro{ID: "ubuntu", Like: []string{"debian"}, PrettyName: "Ubuntu 24.04"}, ""},
		{"escapes", `PRETTY_NAME="a \"b\" \\c"` + "\nID=x\n",
			Distro{ID: "x", PrettyName: `a "b" \c`}, ""},
		{"no ID", "NAME=Linux\n", Distro{ID: "linux"}, ""},
		{"not key value", "ID=debian\ngarbage\n", Distro{}, "line 2"},
		{"bad quotes", "ID=\"debian\n", Distro{}, "line 1: ID: unbalanced quotes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	root := t.TempDir()
	if _, err := Detect(root); err == nil || !strings.Contains(err.Error(), "/etc/os-release") {
		t.Fatalf("Detect on an empty root: error = %v, want one naming /etc/os-release", err)
	}
	// The usual layout: /etc/os-release is an absolute link to /usr/lib/os-release,
	// which must resolve inside the root, not on the host.
	if err := os.MkdirAll(filepath.Join(root, "usr/lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "usr/lib/os-release"), []byte("ID=fedora\nVERSION_ID=40\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/lib/os-release", filepath.Join(root, "etc/os-release")); err != nil {
		t.Fatal(err)
	}
	got, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	want := Distro{ID: "fedora", VersionID: "40", Source: "/etc/os-release"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Detect (-want +got):\n%s", diff)
	}
	if !got.Is("fedora") || got.Is("rhel") {
		t.Errorf("Is: fedora=%v rhel=%v, want true false", got.Is("fedora"), got.Is("rhel"))
	}
	if s := (Distro{ID: "rocky", VersionID: "9", Like: []string{"rhel", "fedora"}}).String(); s != "rocky 9 (like rhel fedora)" {
		t.Errorf("String = %q", s)
	}
}
