// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/internal/goldenfile"
)

// mkfiles creates files (name → content; a name ending in "/" is a directory)
// below root.
func mkfiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// newRoot creates a root with files and a CDSL infrastructure of layout s for
// nodes 1..n, and returns it opened.
func newRoot(t *testing.T, s inventory.Settings, n int, files map[string]string) (string, *Repo) {
	t.Helper()
	root := t.TempDir()
	mkfiles(t, root, files)
	s.MaxNodeIDNum = n
	r, _, err := Init(context.Background(), Options{Root: root}, s, "")
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return root, r
}

func readlink(t *testing.T, name string) string {
	t.Helper()
	s, err := os.Readlink(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// golden compares got with testdata/name; go test -update rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), []byte(got))
}
