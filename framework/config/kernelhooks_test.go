// SPDX-License-Identifier: Apache-2.0

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKernelHooks(t *testing.T) {
	for _, tt := range []struct {
		name, hcl string
		want      bool
		err       string // substring of the one error's summary; "" for none
	}{
		{"off by default", `initrd { driver = "nfs" }`, false, ""},
		{"on", `initrd {
  driver       = "nfs"
  kernel_hooks = true
}`, true, ""},
		{"on with a per-kernel output", `initrd {
  driver       = "nfs"
  output       = "/boot/initramfs-{kernel}.img"
  kernel_hooks = true
}`, true, ""},
		{"no driver", `initrd { kernel_hooks = true }`, true, "kernel_hooks without a driver"},
		{"fixed output", `initrd {
  driver       = "nfs"
  output       = "/boot/initrd_sr.img"
  kernel_hooks = true
}`, true, "kernel_hooks with a fixed output"},
		{"fixed kernel", `initrd {
  driver       = "nfs"
  kernel       = "6.1.0-13-amd64"
  kernel_hooks = true
}`, true, "kernel_hooks with a fixed kernel"},
		{"not a bool", `initrd { kernel_hooks = "sometimes" }`, false, "Unsuitable value type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "osr.hcl")
			if err := os.WriteFile(path, []byte(tt.hcl+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, diags := NewLoader().LoadFiles(path)
			if tt.err == "" {
				if diags.HasErrors() {
					t.Fatalf("unexpected diagnostics: %v", diags)
				}
			} else {
				if len(diags) != 1 || !strings.Contains(diags[0].Summary, tt.err) {
					t.Fatalf("diagnostics %v; want one %q", diags, tt.err)
				}
				if diags[0].Subject == nil || diags[0].Subject.Filename != path {
					t.Errorf("diagnostic %v does not point into %s", diags[0], path)
				}
				return
			}
			if cfg.Initrd.KernelHooks != tt.want {
				t.Errorf("KernelHooks = %v, want %v", cfg.Initrd.KernelHooks, tt.want)
			}
		})
	}
}
