// SPDX-License-Identifier: Apache-2.0

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad reads anything as osr.hcl: errors are diagnostics, never a panic
// or a stack overflow.
func FuzzLoad(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("..", "..", "docs", "osr.hcl.example")); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"driver_dirs = [\"/a\"]\ninitrd {\n  compression = \"zstd\"\n}\n",
		"driver \"gfs2\" {\n  path = \"/x\"\n  lock_proto = \"lock_dlm\"\n}\n",
		"cluster_stack {\n  token = 3000\n  files = { \"/a\" = \"/b\" }\n}\n",
		"initrd { output = \"${x}\" }\n",
		"driver_dirs = " + strings.Repeat("[", 500) + "\n",
		"x = <<EOT\n${[1]}\nEOT\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg := &Config{}
		diags := NewLoader().loadSource(cfg, "fuzz.hcl", src)
		if !diags.HasErrors() {
			diags = append(diags, cfg.validate()...)
		}
		for _, d := range diags {
			if d.Summary == "" {
				t.Errorf("a diagnostic without a summary: %+v", d)
			}
		}
	})
}
