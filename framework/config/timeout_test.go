// SPDX-License-Identifier: Apache-2.0

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDriverCallTimeout(t *testing.T) {
	tests := []struct {
		src  string
		want time.Duration
		err  string
	}{
		{"", 0, ""},
		{"driver_call_timeout = \"2m\"\n", 2 * time.Minute, ""},
		{"\ndriver_call_timeout = \"soon\"\n", 0, "osr.hcl:2"},
		{"driver_call_timeout = \"10ms\"\n", 0, "at least one second"},
		{"driver_call_timeout = 30\n", 0, "duration in quotes"},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "osr.hcl")
		if err := os.WriteFile(path, []byte(tt.src), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := NewLoader().LoadFiles(path)
		if tt.err != "" {
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.err) {
				t.Errorf("%q: diags = %v; want an error with %q", tt.src, diags, tt.err)
			}
			continue
		}
		if diags.HasErrors() || cfg.DriverCallTimeout != tt.want {
			t.Errorf("%q: timeout %v, diags %v; want %v", tt.src, cfg.DriverCallTimeout, diags, tt.want)
		}
	}
}
