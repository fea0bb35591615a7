// SPDX-License-Identifier: Apache-2.0

package pkgdb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const fakeStatus = `Package: gfs2-utils
Status: install ok installed
Architecture: amd64
Description: Global file system 2 tools
 The Global File System allows a cluster of machines to
 concurrently access shared storage hardware.

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same

Package: libc6
Status: install ok installed
Architecture: i386
Multi-Arch: same

Package: tzdata
Status: install ok installed
Architecture: all

Package: ocfs2-tools
Status: deinstall ok config-files
Architecture: amd64

Package: broken
Status: install ok installed
Architecture: amd64

Package: only-i386
Status: install ok installed
Architecture: i386
`

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func fakeDpkgRoot(t *testing.T) string {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"var/lib/dpkg/status":                     fakeStatus,
		"var/lib/dpkg/info/gfs2-utils.list":       "/.\n/sbin\n/sbin/fsck.gfs2\n/usr/share/doc/gfs2-utils/copyright\n",
		"var/lib/dpkg/info/libc6:amd64.list":      "/.\n/lib/x86_64-linux-gnu/libc.so.6\n",
		"var/lib/dpkg/info/libc6:i386.list":       "/.\n/lib/i386-linux-gnu/libc.so.6\n",
		"var/lib/dpkg/info/tzdata.list":           "/.\n/usr/share/zoneinfo/UTC\n",
		"var/lib/dpkg/info/only-i386:i386.list":   "/usr/lib/i386/x\n",
		"var/lib/dpkg/info/ocfs2-tools.conffiles": "/etc/default/o2cb\n",
	})
	return root
}

func paths(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func TestDpkgFiles(t *testing.T) {
	root := fakeDpkgRoot(t)
	db, err := Open(root, Options{Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	if db.Name() != "dpkg" {
		t.Fatalf("Open found %s, want dpkg", db.Name())
	}
	tests := []struct {
		pkg     string
		want    []string
		wantErr string
		notInst bool
	}{
		{pkg: "gfs2-utils", want: []string{"/sbin", "/sbin/fsck.gfs2", "/usr/share/doc/gfs2-utils/copyright"}},
		{pkg: "libc6", want: []string{"/lib/x86_64-linux-gnu/libc.so.6"}},
		{pkg: "libc6:i386", want: []string{"/lib/i386-linux-gnu/libc.so.6"}},
		{pkg: "tzdata", want: []string{"/usr/share/zoneinfo/UTC"}},
		{pkg: "only-i386", want: []string{"/usr/lib/i386/x"}},
		{pkg: "ocfs2-tools", wantErr: `package ocfs2-tools is not installed (state "deinstall ok config-files")`, notInst: true},
		{pkg: "corosync", wantErr: "package corosync is not installed", notInst: true},
		{pkg: "tzdata:amd64", wantErr: "package tzdata:amd64 is not installed", notInst: true},
		{pkg: "broken", wantErr: "apt-get install --reinstall broken"},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			files, err := db.Files(context.Background(), tt.pkg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Files(%s) error = %v, want %q", tt.pkg, err, tt.wantErr)
				}
				if got := errors.Is(err, ErrNotInstalled); got != tt.notInst {
					t.Errorf("errors.Is(err, ErrNotInstalled) = %v, want %v", got, tt.notInst)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, paths(files)); diff != "" {
				t.Errorf("Files(%s) (-want +got):\n%s", tt.pkg, diff)
			}
		})
	}
}

func TestDpkgPrefersNativeArch(t *testing.T) {
	db := NewDpkg(fakeDpkgRoot(t), "386")
	files, err := db.Files(context.Background(), "libc6")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/lib/i386-linux-gnu/libc.so.6"}, paths(files)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Installed for two architectures, neither of them the preferred one.
	db = NewDpkg(fakeDpkgRoot(t), "arm64")
	if _, err := db.Files(context.Background(), "libc6"); err == nil || !strings.Contains(err.Error(), "several architectures") {
		t.Errorf("error = %v, want one about several architectures", err)
	}
}

func TestOpenNoDatabase(t *testing.T) {
	_, err := Open(t.TempDir(), Options{})
	if !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("Open on an empty root: %v, want ErrNoDatabase", err)
	}
}

// fakeRPM writes a shell script that answers like `rpm --root R -q --queryformat F -- PKG`
// from canned output, and checks that it was called that way.
func fakeRPM(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
[ "$1" = --root ] && [ "$3" = -q ] && [ "$4" = --queryformat ] && [ "$6" = -- ] || { echo "bad call: $*" >&2; exit 2; }
case "$7" in
glibc) printf 'x86_64\t0\t/usr/lib64/libc.so.6\nx86_64\t2\t/usr/share/doc/glibc/README\ni686\t0\t/usr/lib/libc.so.6\nx86_64\t64\t/var/cache/ldconfig/aux-cache\nx86_64\t128\t/usr/share/licenses/glibc/COPYING\n' ;;
gfs2-utils) printf 'x86_64\t0\t/usr/sbin/fsck.gfs2\n' ;;
broken) printf 'garbage\n' ;;
crash) echo "error: rpmdb open failed" >&2; exit 1 ;;
*) echo "package $7 is not installed"; exit 1 ;;
esac
`
	p := filepath.Join(dir, "rpm")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRPMFiles(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"usr/lib/sysimage/rpm/rpmdb.sqlite": ""})
	db, err := Open(root, Options{Arch: "amd64", RPM: fakeRPM(t)})
	if err != nil {
		t.Fatal(err)
	}
	if db.Name() != "rpm" {
		t.Fatalf("Open found %s, want rpm", db.Name())
	}
	files, err := db.Files(context.Background(), "glibc")
	if err != nil {
		t.Fatal(err)
	}
	want := []File{
		{Path: "/usr/lib64/libc.so.6"},
		{Path: "/usr/share/doc/glibc/README", Doc: true},
		{Path: "/var/cache/ldconfig/aux-cache", Ghost: true},
		{Path: "/usr/share/licenses/glibc/COPYING", Doc: true},
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("Files(glibc) (-want +got):\n%s", diff)
	}
	for pkg, wantErr := range map[string]string{
		"corosync": "package corosync is not installed",
		"broken":   "is not ARCH<tab>FLAGS<tab>PATH",
		"crash":    "rpmdb open failed",
		"-a":       "not a package name",
	} {
		_, err := db.Files(context.Background(), pkg)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("Files(%s) error = %v, want %q", pkg, err, wantErr)
		}
		if got := errors.Is(err, ErrNotInstalled); got != (pkg == "corosync") {
			t.Errorf("Files(%s): errors.Is(err, ErrNotInstalled) = %v", pkg, got)
		}
	}
	missing := NewRPM(root, "amd64", filepath.Join(t.TempDir(), "no-rpm"))
	if _, err := missing.Files(context.Background(), "glibc"); err == nil || !strings.Contains(err.Error(), "install rpm on the build host") {
		t.Errorf("a missing rpm command: error = %v, want a hint to install rpm", err)
	}
}
