// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindRoot(t *testing.T) {
	for _, tc := range []struct {
		name string
		// procs: pid → comm, and the pid its chroot's corosync.pid names (0: no file).
		procs    map[string][2]string
		wantRoot string
		wantOK   bool
	}{{
		name:     "corosync of osr's chroot",
		procs:    map[string][2]string{"1": {"systemd-shutdow", ""}, "116": {"corosync", "116"}},
		wantRoot: "116/root", wantOK: true,
	}, {
		name:  "a corosync that is not osr's",
		procs: map[string][2]string{"200": {"corosync", ""}},
	}, {
		name:  "pid file names another process",
		procs: map[string][2]string{"300": {"corosync", "301"}},
	}, {
		name:  "no cluster stack",
		procs: map[string][2]string{"1": {"osr", ""}, "self": {"osr", ""}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			proc := t.TempDir()
			for pid, p := range tc.procs {
				dir := filepath.Join(proc, pid)
				chroot := filepath.Join(t.TempDir(), "chroot")
				if err := os.MkdirAll(filepath.Join(chroot, PIDDir), 0o755); err != nil {
					t.Fatal(err)
				}
				if p[1] != "" {
					if err := os.WriteFile(PIDFile(chroot, "corosync"), []byte(p[1]+"\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "comm"), []byte(p[0]+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(chroot, filepath.Join(dir, "root")); err != nil {
					t.Fatal(err)
				}
			}
			root, ok := FindRoot(proc)
			want := ""
			if tc.wantRoot != "" {
				want = filepath.Join(proc, tc.wantRoot)
			}
			if root != want || ok != tc.wantOK {
				t.Errorf("FindRoot = %q, %v; want %q, %v", root, ok, want, tc.wantOK)
			}
		})
	}
}
