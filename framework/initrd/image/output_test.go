// SPDX-License-Identifier: Apache-2.0

package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "cluster.conf")
	hcl := filepath.Join(dir, "osr.hcl")
	for _, f := range []string{conf, hcl} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "link.img")
	if err := os.Symlink(conf, link); err != nil {
		t.Fatal(err)
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"new file", filepath.Join(dir, "initrd.img"), ""},
		{"existing image", hcl + ".img", ""},
		{"no directory", filepath.Join(dir, "nodir", "initrd.img"), "does not exist"},
		{"directory is a file", filepath.Join(conf, "initrd.img"), "not a directory"},
		{"output is a directory", dir, "is a directory"},
		{"the cluster configuration", conf, "which the build reads"},
		{"osr.hcl", hcl, "which the build reads"},
		{"a link to an input", link, "which the build reads"},
		{"empty", "", "no output"},
	}
	if os.Geteuid() != 0 {
		tests = append(tests, struct{ name, path, want string }{"read-only directory", filepath.Join(ro, "x.img"), "not writable"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckOutput(tt.path, conf, hcl, filepath.Join(dir, "missing"))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckOutput(%s) = %v, want nil", tt.path, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("CheckOutput(%s) = %v, want an error containing %q", tt.path, err, tt.want)
			}
		})
	}
}
