// SPDX-License-Identifier: Apache-2.0

package treediff

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
)

func TestCompare(t *testing.T) {
	root := t.TempDir()
	for _, side := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(root, side, "dir"), 0o755)
		os.WriteFile(filepath.Join(root, side, "same"), []byte("x"), 0o644)
		os.Symlink("same", filepath.Join(root, side, "link"))
	}
	os.WriteFile(filepath.Join(root, "a/content"), []byte("one"), 0o644)
	os.WriteFile(filepath.Join(root, "b/content"), []byte("two"), 0o644)
	os.WriteFile(filepath.Join(root, "a/mode"), []byte("m"), 0o644)
	os.WriteFile(filepath.Join(root, "b/mode"), []byte("m"), 0o600)
	os.WriteFile(filepath.Join(root, "a/dir/onlya"), nil, 0o644)
	os.MkdirAll(filepath.Join(root, "b/onlyb/deep"), 0o755)
	os.WriteFile(filepath.Join(root, "a/kind"), nil, 0o644)
	os.Mkdir(filepath.Join(root, "b/kind"), 0o755)
	os.Remove(filepath.Join(root, "b/link"))
	os.Symlink("other", filepath.Join(root, "b/link"))
	fsys, err := rootfs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	got, err := Compare(fsys, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range got {
		lines = append(lines, c.String())
	}
	want := []string{
		"M content  (content)",
		"- dir/onlya",
		"M kind  (file vs directory)",
		`M link  (target "same" vs "other")`,
		"M mode  (mode 0644 vs 0600)",
		"+ onlyb",
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	if eq, err := Equal(fsys, "a/same", "b/same"); err != nil || !eq {
		t.Errorf("equal files: %v %v", eq, err)
	}
	if eq, _ := Equal(fsys, "a", "b"); eq {
		t.Errorf("different trees equal")
	}
}
