// SPDX-License-Identifier: Apache-2.0

package initrd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/listfile"
)

// The driver's binaries and files are found inside the build root: an
// absolute link there names the root's file, never the host's.
func TestDriverItemsStayInTheRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"usr/sbin", "etc/fake"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"usr/sbin/mount.fake", "etc/fake/real.conf"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("in the root"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"sbin":           "/usr/sbin",           // absolute: would be the host's /usr/sbin outside the root
		"etc/fake.conf":  "/etc/fake/real.conf", // likewise
		"etc/outside":    "/etc/hostname",       // exists on the host, not in the root
		"usr/sbin/loopy": "loopy",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	plan := &driver.Plan{
		Binaries: []driver.Binary{{Name: "mount.fake"}, {Name: "/sbin/mount.fake"}, {Name: "loopy", Optional: true}},
		Files:    []driver.File{{Path: "/etc/fake.conf"}, {Path: "/etc/outside", Optional: true}},
	}
	items, notes, err := DriverItems(root, "fake", plan)
	if err != nil {
		t.Fatal(err)
	}
	type got struct{ Image, Host string }
	var have []got
	for _, it := range items {
		have = append(have, got{it.ImagePath, it.HostPath})
	}
	want := []got{
		{"/usr/sbin/mount.fake", filepath.Join(root, "usr/sbin/mount.fake")},
		{"/sbin/mount.fake", filepath.Join(root, "usr/sbin/mount.fake")},
		{"/etc/fake.conf", filepath.Join(root, "etc/fake/real.conf")},
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	joined := strings.Join(notes, "\n")
	for _, n := range []string{"binary loopy", "file /etc/outside"} {
		if !strings.Contains(joined, n) {
			t.Errorf("notes lack %q:\n%s", n, joined)
		}
	}
	_, _, err = DriverItems(root, "fake", &driver.Plan{Binaries: []driver.Binary{{Name: "mkfs.fake", Reason: "formatting"}}})
	if err == nil || !strings.Contains(err.Error(), "binary mkfs.fake (formatting), looked in "+strings.Join(listfile.BinDirs, ", ")) {
		t.Errorf("missing binary: error = %v", err)
	}
}
