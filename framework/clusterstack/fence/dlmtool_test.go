// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// DLMToolFenceAck runs the chroot's dlm_tool, inside the chroot: a stand-in
// dlm_tool (a busybox script) records its arguments and working directory.
func TestDLMToolFenceAckRunsInTheChroot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox is not installed (Debian busybox-static, which scripts/install-deps.sh installs)")
	}
	if f, err := elf.Open(bb); err != nil {
		t.Fatal(err)
	} else {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				f.Close()
				t.Skipf("%s is dynamically linked; the test chroot needs busybox-static", bb)
			}
		}
		f.Close()
	}
	root := t.TempDir()
	for _, d := range []string{"bin", "usr/sbin", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("busybox", filepath.Join(root, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	tool := filepath.Join(root, "usr/sbin/dlm_tool")
	script := "#!/bin/sh\necho \"$@\" > /tmp/args\npwd >> /tmp/args\n[ -e /tmp/fail ] && { echo cannot connect to dlm_controld; exit 1; }\nexit 0\n"
	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := DLMToolFenceAck(context.Background(), root, 7); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "tmp/args"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "fence_ack 7\n/\n" {
		t.Errorf("dlm_tool saw %q; want fence_ack 7, run in the chroot's /", got)
	}
	if err := os.WriteFile(filepath.Join(root, "tmp/fail"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err = DLMToolFenceAck(context.Background(), root, 7)
	if err == nil || !strings.Contains(err.Error(), "cannot connect to dlm_controld") || !strings.Contains(err.Error(), "dlm_tool fence_ack 7 in "+root) {
		t.Errorf("failing dlm_tool: %v", err)
	}
}
