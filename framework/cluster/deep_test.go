// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Deeply nested HCL is refused with the file and line, not a stack overflow.
func TestDeepHCLRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cluster.hcl")
	src := "cluster \"c\" {\n  x = " + strings.Repeat("[", 100000) + "\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path+":2") || !strings.Contains(err.Error(), "too deep") {
		t.Errorf("Load(deep HCL) error = %v; want %s:2 and too deep", err, path)
	}
	if IsClusterFile([]byte(src)) {
		t.Error("IsClusterFile(deep HCL) = true")
	}
}
