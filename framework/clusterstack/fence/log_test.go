// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The agent's log goes to the kernel log, alerts at critical priority so a quiet
// console shows them, and to a 0600 file; secrets are masked in both.
func TestSystemLog(t *testing.T) {
	dir := t.TempDir()
	kmsg := filepath.Join(dir, "kmsg")
	if err := os.WriteFile(kmsg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "var/log/osr/fence.log")
	w := systemLog(kmsg, file)
	l := NewLog(w)
	l.Secret("hunter2")
	l.Printf("device %q: trying with %s", "bmc", "hunter2")
	l.Alertf("MANUAL FENCING of node %s\nsecond line", "node2")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	k, _ := os.ReadFile(kmsg)
	wantK := "<5>fence_osr: device \"bmc\": trying with ***\n<2>fence_osr: MANUAL FENCING of node node2 | second line\n"
	if string(k) != wantK {
		t.Errorf("kernel log:\n%q\nwant\n%q", k, wantK)
	}
	f, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z fence_osr: device "bmc": trying with \*\*\*\n` +
		`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z fence_osr\[alert\]: MANUAL FENCING of node node2 \| second line\n$`)
	if !re.Match(f) {
		t.Errorf("log file:\n%s", f)
	}
	if strings.Contains(string(f)+string(k), "hunter2") {
		t.Error("a secret reached the log")
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v, want 0600", st.Mode().Perm())
	}
	// Nothing that can be opened: the agent still runs, logging nowhere.
	w = systemLog(filepath.Join(dir, "none/kmsg"), "")
	NewLog(w).Printf("lost")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
