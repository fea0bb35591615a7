// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A deeply nested listfile is refused with the file and line, not a stack overflow.
func TestDeepListfileRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "deep.hcl")
	src := "\n\nfiles = " + strings.Repeat("(", 100000) + "\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := Load([]string{dir}, "")
	if !diags.HasErrors() || diags[0].Subject == nil || diags[0].Subject.Filename != path || diags[0].Subject.Start.Line != 3 {
		t.Fatalf("Load(deep) = %v; want an error at %s:3", diags, path)
	}
}
