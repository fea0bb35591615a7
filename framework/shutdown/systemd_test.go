// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDropinsLoadInSystemd hands the rendered drop-ins to systemd-analyze
// verify, next to stand-ins for the units they change, and checks that
// systemd loads them without complaint and takes DefaultDependencies=no.
func TestDropinsLoadInSystemd(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	files := RuntimeFiles(Runtime{Mounts: []string{"/.cdsl.local"},
		Links: []Link{{Name: "eth0", MAC: "52:54:00:aa:00:01", Addr: netip.MustParsePrefix("10.0.2.15/24")}}})
	var dropins []string
	for _, f := range files {
		if f.Link != "" || !strings.HasPrefix(f.Path, "systemd/system/") {
			continue
		}
		p := filepath.Join(dir, strings.TrimPrefix(f.Path, "systemd/system/"))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		dropins = append(dropins, p)
	}
	units := map[string]string{
		`\x2ecdsl.local.mount`: "[Mount]\nWhat=tmpfs\nWhere=/.cdsl.local\nType=tmpfs\n",
		"networking.service":   "[Service]\nType=oneshot\nEnvironmentFile=-/etc/default/networking\nExecStart=/bin/true\n",
	}
	var args []string
	for name, body := range units {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	cmd := exec.Command(analyze, append([]string{"verify", "--man=no", "--recursive-errors=no"}, args...)...)
	// Only the stand-ins: the host's own networking.service must not win.
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=debug", "SYSTEMD_UNIT_PATH="+dir)
	// The unit dump goes to stdout, the log to stderr; read apart, so their
	// lines cannot interleave.
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s%s", err, stdout.Bytes(), stderr.Bytes())
	}
	text := stdout.String() + "\n" + stderr.String()
	for _, p := range dropins {
		if !strings.Contains(text, "DropIn Path: "+p) {
			t.Errorf("systemd did not load %s:\n%s", p, text)
		}
	}
	if !strings.Contains(text, "DefaultDependencies: no") {
		t.Errorf("the mount unit keeps its default dependencies:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if !strings.Contains(line, dir) {
			continue // systemd's notes on other units
		}
		for _, bad := range []string{"Unknown key", "Unknown section", "Failed to parse", "Invalid"} {
			if strings.Contains(line, bad) {
				t.Errorf("systemd complains: %s", line)
			}
		}
	}
}
