// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/framework/cdsl"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
)

// waitStopped waits until the process pid is stopped (state T in /proc).
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err == nil {
			if i := bytes.LastIndexByte(data, ')'); i > 0 && len(data) > i+2 && data[i+2] == 'T' {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d did not stop", pid)
}

// TestCDSLStoppedHolderIsFenced stops 'osr cdsl add -a /var' with SIGSTOP before a
// chosen journal step, long enough for the next command to take the lock over and
// finish (or undo) the operation; files are written into the result; then the
// first process resumes. It must fail with a clear error and change nothing:
// every node copy, the files written after the takeover, the inventory and the
// lock of later commands stay as they are.
func TestCDSLStoppedHolderIsFenced(t *testing.T) {
	// add -a /var with nodes 1..3: steps 0-2 copy to the nodes (in parallel), 3
	// moves the original into default, 4 makes the symlink, 5 commits the inventory.
	for _, step := range []int{0, 1, 4, 5} {
		t.Run(fmt.Sprintf("step%d", step), func(t *testing.T) {
			root := cdslCrashRoot(t, 60)
			first := exec.Command("osr", "cdsl", "add", "-r", root, "-a", "/var")
			first.Env = append(os.Environ(), cdslStale, cdslStopStepEnv+"="+strconv.Itoa(step))
			var out bytes.Buffer
			first.Stdout, first.Stderr = &out, &out
			want := cdslManifest(t, filepath.Join(root, "var"))
			if err := first.Start(); err != nil {
				t.Fatal(err)
			}
			defer first.Process.Kill()
			waitStopped(t, first.Process.Pid)
			cdslTakeOverAndResume(t, root, first, &out, want)
		})
	}
}

// TestCDSLStoppedMidCopy stops 'osr cdsl add -a /var' of a larger tree from
// outside, in the middle of its copies, and proves the same.
func TestCDSLStoppedMidCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	for attempt := 0; ; attempt++ {
		root := cdslCrashRoot(t, 1500)
		want := cdslManifest(t, filepath.Join(root, "var"))
		first := exec.Command("osr", "cdsl", "add", "-r", root, "-a", "/var")
		first.Env = append(os.Environ(), cdslStale)
		var out bytes.Buffer
		first.Stdout, first.Stderr = &out, &out
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		staging := filepath.Join(root, ".cluster/cdsl/2/.var.osr-tmp/d05")
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(staging); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		first.Process.Signal(syscall.SIGSTOP)
		waitStopped(t, first.Process.Pid)
		if _, err := os.Stat(filepath.Join(root, ".osr-cdsl.journal")); err != nil || readlinkOr(filepath.Join(root, "var")) != "" {
			// It was not in its copies when it stopped: try again.
			first.Process.Signal(syscall.SIGCONT)
			first.Wait()
			if attempt < 3 {
				continue
			}
			t.Fatalf("could not stop the add in its copies")
		}
		defer first.Process.Kill()
		cdslTakeOverAndResume(t, root, first, &out, want)
		return
	}
}

func readlinkOr(name string) string { s, _ := os.Readlink(name); return s }

// cdslStale makes the helper processes take a silent holder's lock over after 1s.
var cdslStale = cdsl.LockStaleEnv + "=1s"

// cdslTakeOverAndResume lets the next commands take the lock of the stopped
// process first over, finish its operation and work on; then it resumes first
// and checks that first fails with a clear error and changes nothing. want is
// the content /var had before.
func cdslTakeOverAndResume(t *testing.T, root string, first *exec.Cmd, firstOut *bytes.Buffer, want map[string]string) {
	t.Helper()
	// The next command waits for the silent holder, takes the lock over and
	// finishes or undoes the journaled operation.
	start := time.Now()
	_, list := cdslProc(t, []string{cdslStale}, "cdsl", "list", "-r", root)
	t.Logf("took over after %v", time.Since(start))
	if _, notes := cdslProc(t, []string{cdslStale}, "cdsl", "check", "-r", root, "--scan"); !strings.Contains(notes, "inventory and filesystem agree") {
		t.Fatalf("check after the takeover: %s", notes)
	}
	// Work goes on after the takeover: new files in every copy, a new CDSL.
	var dirs []string
	if cdslHasVar.MatchString(list) {
		for _, d := range []string{"1", "2", "3", "default"} {
			dirs = append(dirs, filepath.Join(root, ".cluster/cdsl", d, "var"))
		}
	} else {
		dirs = []string{filepath.Join(root, "var")}
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, "log", "after-takeover"), []byte("new\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "srv/data"), 0o755)
	os.WriteFile(filepath.Join(root, "srv/data/f"), []byte("srv\n"), 0o644)
	cdslProc(t, []string{cdslStale}, "cdsl", "add", "-r", root, "-a", "/srv")
	before := cdslManifest(t, root)

	// The stopped process resumes.
	first.Process.Signal(syscall.SIGCONT)
	err := first.Wait()
	out := firstOut.String()
	t.Logf("the old holder: %v\n%s", err, out)
	if err == nil {
		t.Fatalf("the process that lost the lock succeeded")
	}
	if ws, ok := first.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("the process that lost the lock died of %v", ws.Signal())
	}
	if !strings.Contains(out, "no longer holds the CDSL lock") || !strings.Contains(out, "generation") {
		t.Errorf("the error does not say the lock was lost")
	}
	cdslSameManifest(t, "the root after the old holder resumed", cdslManifest(t, root), before)
	for _, d := range dirs {
		rel, _ := filepath.Rel(root, d)
		got := cdslManifest(t, d)
		if got[filepath.Join("log", "after-takeover")] == "" {
			t.Errorf("%s lost the file written after the takeover", rel)
		}
		delete(got, filepath.Join("log", "after-takeover"))
		cdslSameManifest(t, rel, got, want)
	}
	for _, gone := range []string{journal.FileName, cdsl.LockFile} {
		if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
			t.Errorf("%s exists after every command ended", gone)
		}
	}
	if _, out := cdslProc(t, nil, "cdsl", "check", "-r", root, "--scan"); !strings.Contains(out, "inventory and filesystem agree") {
		t.Errorf("check at the end: %s", out)
	}
}
