// SPDX-License-Identifier: Apache-2.0

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A deeply nested osr.hcl is refused with the file and line, not a stack overflow.
func TestDeepConfigRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "osr.hcl")
	src := "\ndriver_dirs = " + strings.Repeat("[", 100000) + "\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := NewLoader().LoadFiles(path)
	if !diags.HasErrors() || diags[0].Subject == nil || diags[0].Subject.Filename != path || diags[0].Subject.Start.Line != 2 {
		t.Fatalf("LoadFiles(deep) = %v; want an error at %s:2", diags, path)
	}
	if !strings.Contains(diags.Error(), "too deep") {
		t.Errorf("LoadFiles(deep) = %v; want it to say too deep", diags)
	}
}
