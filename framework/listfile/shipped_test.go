// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/internal/inroot"
	"github.com/open-sharedroot/osr/framework/listfile/distro"
)

// shippedDir holds the listfiles osr installs into /usr/share/osr/listfiles.
const shippedDir = "../../listfiles"

var shippedDrivers = []string{"", "nfs", "gfs2", "ocfs2", "ext3"}

// TestShippedListfilesLoad: the shipped listfiles load without a single diagnostic.
func TestShippedListfilesLoad(t *testing.T) {
	set, diags := Load([]string{shippedDir}, "/")
	if len(diags) > 0 {
		var b strings.Builder
		set.WriteDiagnostics(&b, diags, 0)
		t.Fatal(b.String())
	}
	for _, name := range []string{"base.hcl", "network.hcl", "nfs.hcl", "gfs2.hcl", "ocfs2.hcl", "ext.hcl", "debug.hcl"} {
		lf := set.Lookup(name)
		if lf == nil {
			t.Errorf("%s is not shipped", name)
			continue
		}
		if lf.Description == "" {
			t.Errorf("%s has no description", name)
		}
	}
}

// TestShippedListfilesFedora resolves the shipped listfiles for a GFS2 root against
// a fake Fedora root whose rpm database is answered by a script: the Fedora package
// names are asked for, and what Debian alone needs is left out.
func TestShippedListfilesFedora(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"usr/lib/os-release":                "ID=fedora\nVERSION_ID=40\n",
		"etc/.keep":                         "",
		"usr/lib/sysimage/rpm/rpmdb.sqlite": "",
		"usr/sbin/fsck.gfs2":                elf,
		"usr/sbin/corosync":                 elf,
		"usr/sbin/corosync-cfgtool":         elf,
		"usr/sbin/corosync-quorumtool":      elf,
		"usr/sbin/corosync-cmapctl":         elf,
		"usr/sbin/dlm_controld":             elf,
		"usr/sbin/dlm_tool":                 elf,
		"usr/lib64/libsoftokn3.so":          elf,
		"usr/lib64/libsoftokn3.chk":         "chk",
	}
	writeTree(t, root, files)
	linkTree(t, root, map[string]string{"etc/os-release": "../usr/lib/os-release"})
	rpm := filepath.Join(t.TempDir(), "rpm")
	script := "#!/bin/sh\ncase \"$7\" in\n" +
		"nss-softokn) printf 'x86_64\\t0\\t/usr/lib64/libsoftokn3.so\\nx86_64\\t0\\t/usr/lib64/libsoftokn3.chk\\nx86_64\\t0\\t/usr/lib64/libnssdbm3.so\\n' ;;\n" +
		"*) echo \"package $7 is not installed\"; exit 1 ;;\nesac\n"
	if err := os.WriteFile(rpm, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	set, diags := Load([]string{shippedDir}, "/")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	items, report, err := set.Resolve(context.Background(), Query{Root: root, Driver: "gfs2", FSType: "gfs2", Arch: "amd64", RPM: rpm, Listfiles: []string{"gfs2-dlm"}})
	if err != nil {
		t.Fatal(err)
	}
	if report.PackageDB != "rpm" {
		t.Errorf("package database %q, want rpm", report.PackageDB)
	}
	var got []string
	for _, it := range items {
		got = append(got, brief(it))
	}
	// Line numbers are left out: the shipped files change.
	for _, want := range []string{
		"binary /usr/sbin/fsck.gfs2 @gfs2.hcl:",
		"binary /usr/sbin/dlm_controld @gfs2-dlm.hcl:",
		"binary /usr/lib64/libsoftokn3.so @gfs2-dlm.hcl:",
		"file /usr/lib64/libsoftokn3.chk @gfs2-dlm.hcl:",
		"symlink /etc/os-release -> ../usr/lib/os-release @base.hcl:",
	} {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, want) }) {
			t.Errorf("missing item %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, "libnssdbm3") }) {
		t.Error("nss-softokn's include patterns let libnssdbm3 through")
	}
	var hints []string
	for _, m := range report.Optional {
		hints = append(hints, m.Hint)
	}
	if !slices.Contains(hints, "install iproute: dnf install iproute") {
		t.Errorf("optional hints name no Fedora package for ip: %q", hints)
	}
	for _, s := range report.Skipped {
		if strings.Contains(s.Origin.Entry, "libknet1\"") && !strings.Contains(s.Why, "none of debian") {
			t.Errorf("Debian's libknet1 left out for the wrong reason: %s", s.Why)
		}
	}
}

// TestShippedListfilesOnThisMachine resolves the shipped listfiles against the
// running Debian system for every driver: whatever the machine has installed,
// the result must be complete or name exactly what to install.
func TestShippedListfilesOnThisMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("resolves against the real system; skipped with -short")
	}
	d, err := distro.Detect("/")
	if err != nil || !d.Is("debian") {
		t.Skipf("needs a Debian-like system (have %v, %v)", d, err)
	}
	set, diags := Load([]string{shippedDir}, "/")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	have := func(name string) bool {
		for _, dir := range BinDirs {
			if _, err := inroot.Resolve("/", dir+"/"+name, true); err == nil {
				return true
			}
		}
		return false
	}
	// What each driver requires, and the package that ships it on Debian.
	required := map[string][][2]string{
		"gfs2":  {{"corosync", "corosync"}, {"dlm_controld", "dlm-controld"}, {"dlm_tool", "dlm-controld"}},
		"ocfs2": {{"fsck.ocfs2", "ocfs2-tools"}, {"mount.ocfs2", "ocfs2-tools"}},
		"ext3":  {{"e2fsck", "e2fsprogs"}, {"fsck.ext3", "e2fsprogs"}, {"fsck.ext4", "e2fsprogs"}},
	}
	for _, driver := range shippedDrivers {
		t.Run("driver="+driver, func(t *testing.T) {
			q := Query{Root: "/", Driver: driver, FSType: driver}
			if driver == "gfs2" {
				q.Listfiles = []string{"gfs2-dlm"} // what the driver asks for with lock_dlm
			}
			items, report, err := set.Resolve(context.Background(), q)
			var wantMissing []string
			for _, r := range required[driver] {
				if !have(r[0]) {
					wantMissing = append(wantMissing, "binary "+r[0]+"|apt-get install "+r[1])
				}
			}
			var me *MissingError
			if err != nil && !errors.As(err, &me) {
				t.Fatal(err)
			}
			var gotMissing []string
			if me != nil {
				for _, m := range me.Missing {
					if m.What == "package libknet1" && !have("corosync") {
						continue // corosync's own dependency, missing with it
					}
					_, command, _ := strings.Cut(m.Hint, ": ")
					gotMissing = append(gotMissing, m.What+"|"+command)
				}
			}
			if !slices.Equal(wantMissing, gotMissing) {
				t.Fatalf("missing required entries:\n got %q\nwant %q\n(%v)", gotMissing, wantMissing, err)
			}
			byImage := map[string]Item{}
			for _, it := range items {
				byImage[it.ImagePath] = it
				if it.HostPath != "" {
					if _, err := os.Lstat(it.HostPath); err != nil {
						t.Errorf("%s: host path: %v", brief(it), err)
					}
				}
			}
			if it, ok := byImage["/etc/os-release"]; !ok || it.Origin.Source != "base.hcl" {
				t.Errorf("/etc/os-release not taken from base.hcl: %+v", it)
			}
			if have("busybox") {
				if it := byImage["/usr/bin/busybox"]; it.Kind != KindBinary && byImage["/bin/busybox"].Kind != KindBinary {
					t.Errorf("busybox is installed but not taken as a binary")
				}
			}
			for _, r := range required[driver] {
				if !have(r[0]) {
					continue
				}
				found := false
				for _, it := range items {
					if strings.HasSuffix(it.ImagePath, "/"+r[0]) && strings.HasPrefix(it.Origin.Entry, "binary ") {
						found = true
					}
				}
				if !found {
					t.Errorf("%s is installed but not taken", r[0])
				}
			}
			t.Logf("driver %q: %d items, %d optional missing", driver, len(items), len(report.Optional))
		})
	}
}
