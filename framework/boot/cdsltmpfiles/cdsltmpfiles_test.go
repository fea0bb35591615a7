// SPDX-License-Identifier: Apache-2.0

package cdsltmpfiles

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/internal/goldenfile"
)

func TestOverrides(t *testing.T) {
	root := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{".cdsl.local/var/log", ".cdsl.local/var/tmp", ".cdsl.local/var/lib/systemd", "run"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	link("../.cdsl.local/var/log", "var/log")
	link("../.cdsl.local/var/tmp", "var/tmp")
	link("../../.cdsl.local/var/lib/systemd", "var/lib/systemd")
	link("../run", "var/run") // not a CDSL: left alone
	write("usr/lib/tmpfiles.d/var.conf", "# var\nq /var 0755 - - -\nL /var/run - - - - ../run\nd /var/log 0755 - - -\nf /var/log/wtmp 0664 root utmp -\nd /var/cache 0755 - - -\n")
	write("usr/lib/tmpfiles.d/tmp.conf", "D /tmp 1777 root root -\nq /var/tmp 1777 root root 30d\nx /var/tmp/systemd-private-%b-*\n")
	write("usr/lib/tmpfiles.d/systemd.conf", "d /var/lib/systemd 0755 root root -\nd /run/systemd 0755 root root -\n")
	write("usr/lib/tmpfiles.d/home.conf", "Q /home 0755 - - -\n")
	write("usr/lib/tmpfiles.d/admin.conf", "d /var/log/admin 0700 - - -\n")
	write("etc/tmpfiles.d/admin.conf", "d /var/log/admin 0750 - - -\n") // shadows the vendor's
	files, err := Overrides(root, ".cdsl.local")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range files {
		b.WriteString("=== " + f.Name + "\n")
		b.Write(f.Data)
	}
	goldenfile.Check(t, filepath.Join("testdata", "overrides.golden"), []byte(b.String()))
}

func TestNoCDSLsNoOverrides(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "usr/lib/tmpfiles.d"), 0o755)
	os.WriteFile(filepath.Join(root, "usr/lib/tmpfiles.d/var.conf"), []byte("d /var/log 0755 - - -\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "var/log"), 0o755)
	files, err := Overrides(root, ".cdsl.local")
	if err != nil || len(files) != 0 {
		t.Errorf("got %v %v, want nothing", files, err)
	}
}

// TestSystemdTmpfilesTakesTheOverride runs the host's systemd-tmpfiles on a
// root with CDSL links: the vendor's line fails on the link and leaves the
// mode as it is; the override applies it to the node's directory.
func TestSystemdTmpfilesTakesTheOverride(t *testing.T) {
	tmpfiles, err := exec.LookPath("systemd-tmpfiles")
	if err != nil {
		t.Skip("systemd-tmpfiles is not installed")
	}
	root := t.TempDir()
	for _, d := range []string{".cdsl.local/var/log", "var", "usr/lib/tmpfiles.d"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../.cdsl.local/var/log", filepath.Join(root, "var/log")); err != nil {
		t.Fatal(err)
	}
	vendor := filepath.Join(root, "usr/lib/tmpfiles.d/var.conf")
	if err := os.WriteFile(vendor, []byte("d /var/log 0755 - - -\nf /var/log/wtmp 0664 - - -\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(conf string) string {
		out, _ := exec.Command(tmpfiles, "--root="+root, "--create", conf).CombinedOutput()
		return string(out)
	}
	if out := run(vendor); !strings.Contains(out, "is not a directory") {
		t.Logf("systemd-tmpfiles took the link this time: %s", out)
	}
	files, err := Overrides(root, ".cdsl.local")
	if err != nil || len(files) != 1 {
		t.Fatalf("overrides %v %v", files, err)
	}
	override := filepath.Join(t.TempDir(), "var.conf")
	if err := os.WriteFile(override, files[0].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := run(override); out != "" {
		t.Errorf("systemd-tmpfiles complains about the override: %s", out)
	}
	fi, err := os.Stat(filepath.Join(root, ".cdsl.local/var/log"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("the node's /var/log: %v %v, want mode 0755", fi, err)
	}
	if _, err := os.Stat(filepath.Join(root, ".cdsl.local/var/log/wtmp")); err != nil {
		t.Errorf("wtmp not created in the node's tree: %v", err)
	}
}
