// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPrepareExitrd(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mounted   bool
		existing  map[string]string // files in run/initramfs before
		wantMount bool
	}{
		{name: "fresh", wantMount: true},
		{name: "mounted by the cluster stack", mounted: true, existing: map[string]string{"usr/sbin/corosync": "x"}},
		{name: "a directory with files, no mount", existing: map[string]string{"etc/x": "y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := t.TempDir()
			self := filepath.Join(t.TempDir(), "osr")
			if err := os.WriteFile(self, []byte("#!osr\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			for name, data := range tc.existing {
				p := filepath.Join(run, "initramfs", name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(data), 0o644)
			}
			var mounts []string
			o := HandoverOptions{RunDir: run, Self: self,
				MountTmpfs:   func(dir string) error { mounts = append(mounts, dir); return nil },
				IsMountPoint: func(string) (bool, error) { return tc.mounted, nil },
			}
			if err := PrepareExitrd(o); err != nil {
				t.Fatal(err)
			}
			if got := len(mounts) == 1 && mounts[0] == filepath.Join(run, "initramfs"); got != tc.wantMount {
				t.Errorf("tmpfs mounts %v, want one: %v", mounts, tc.wantMount)
			}
			b, err := os.ReadFile(filepath.Join(run, "initramfs/shutdown"))
			if err != nil || string(b) != "#!osr\n" {
				t.Errorf("shutdown: %q %v", b, err)
			}
			for name := range tc.existing {
				if _, err := os.Stat(filepath.Join(run, "initramfs", name)); err != nil {
					t.Errorf("%s lost: %v", name, err)
				}
			}
			// The same program there already (a hard link) is kept.
			dst := filepath.Join(run, "initramfs/shutdown")
			os.Remove(dst)
			if err := os.Link(self, dst); err != nil {
				t.Fatal(err)
			}
			if err := PrepareExitrd(o); err != nil {
				t.Fatal(err)
			}
			a, _ := os.Stat(self)
			b2, _ := os.Stat(dst)
			if !os.SameFile(a, b2) {
				t.Error("an identical shutdown program was replaced by a copy")
			}
		})
	}
}

func TestBelow(t *testing.T) {
	ms := []string{"/", "/proc", "/sysroot", "/sysroot/.cdsl.local", "/sysroot/var/run", "/sysroot/dev", "/sysroot/proc/x",
		"/sysroot/run", "/sysroot/running", "/sysroot2/x", "/run/initramfs"}
	got := below(ms, "/sysroot/")
	want := []string{"/.cdsl.local", "/running", "/var/run"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}
