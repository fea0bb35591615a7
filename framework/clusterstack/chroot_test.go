// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCopyTree(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "usr/sbin"), 0o755))
	must(os.WriteFile(filepath.Join(src, "usr/sbin/corosync"), []byte("program"), 0o755))
	must(os.MkdirAll(filepath.Join(src, "etc/corosync"), 0o755))
	must(os.WriteFile(filepath.Join(src, "etc/corosync/authkey"), []byte("key"), 0o600))
	must(os.Chmod(filepath.Join(src, "etc/corosync/authkey"), 0o600))
	must(os.Mkdir(filepath.Join(src, "tmp"), 0o755))
	must(os.Chmod(filepath.Join(src, "tmp"), 0o777|fs.ModeSticky))
	must(os.Mkdir(filepath.Join(src, "var"), 0o755))
	must(os.Symlink("../run", filepath.Join(src, "var/run")))
	n, err := copyTree(src, dst)
	must(err)
	if n != int64(len("program")+len("key")) {
		t.Errorf("copied %d bytes", n)
	}
	for p, want := range map[string]fs.FileMode{"usr/sbin/corosync": 0o755, "etc/corosync/authkey": 0o600, "tmp": fs.ModeDir | 0o777 | fs.ModeSticky} {
		st, err := os.Lstat(filepath.Join(dst, p))
		must(err)
		if st.Mode() != want {
			t.Errorf("%s: mode %v; want %v", p, st.Mode(), want)
		}
	}
	if l, err := os.Readlink(filepath.Join(dst, "var/run")); err != nil || l != "../run" {
		t.Errorf("var/run = %q, %v", l, err)
	}
}

func TestUnit(t *testing.T) {
	dir := t.TempDir()
	if err := WriteUnit(dir, RunDir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, UnitName))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DefaultDependencies=no", "ExecStart=/run/initramfs/usr/sbin/osr cluster watch --root /run/initramfs"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("unit lacks %q:\n%s", want, b)
		}
	}
	if l, err := os.Readlink(filepath.Join(dir, "sysinit.target.wants", UnitName)); err != nil || l != "../"+UnitName {
		t.Errorf("wants link = %q, %v", l, err)
	}
	if err := WriteUnit(dir, RunDir); err != nil {
		t.Errorf("writing the unit twice: %v", err)
	}
}

// TestUnitLoadsInSystemd hands the unit to systemd-analyze verify: systemd loads
// it without complaint and without default dependencies.
func TestUnitLoadsInSystemd(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	root, units := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "usr/sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, OSRPath), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteUnit(units, root); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", "--man=no", "--recursive-errors=no", filepath.Join(units, UnitName))
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=debug", "SYSTEMD_UNIT_PATH="+units)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s%s", err, stdout.Bytes(), stderr.Bytes())
	}
	text := stdout.String() + "\n" + stderr.String()
	if !strings.Contains(text, "DefaultDependencies: no") {
		t.Errorf("the unit keeps its default dependencies:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if !strings.Contains(line, units) {
			continue
		}
		for _, bad := range []string{"Unknown key", "Unknown section", "Failed to parse", "Invalid", "not executable"} {
			if strings.Contains(line, bad) {
				t.Errorf("systemd complains: %s", line)
			}
		}
	}
}
