// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/framework/cdsl/journal"
)

// cdslHasVar matches the line of 'osr cdsl list' for the CDSL /var.
var cdslHasVar = regexp.MustCompile(`(?m)^hostdependent +var\t`)

// cdslCrashStepEnv makes an osr helper process kill itself with SIGKILL just before
// the journal step with that index runs.
const cdslCrashStepEnv = "OSR_TEST_CDSL_CRASH_STEP"

// cdslStopStepEnv makes an osr helper process stop itself with SIGSTOP just before
// the journal step with that index runs (the first time it gets there).
const cdslStopStepEnv = "OSR_TEST_CDSL_STOP_STEP"

func init() {
	for _, hook := range []struct {
		env string
		sig syscall.Signal
	}{{cdslCrashStepEnv, syscall.SIGKILL}, {cdslStopStepEnv, syscall.SIGSTOP}} {
		v := os.Getenv(hook.env)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			panic(hook.env + ": " + err.Error())
		}
		var once sync.Once
		cdslHook = func(i int, _ journal.Step, undo bool) {
			if i == n && !undo {
				// To this very thread: a signal to the process may be taken by
				// another thread, and this one would run on for a moment.
				once.Do(func() { syscall.Tgkill(os.Getpid(), syscall.Gettid(), hook.sig) })
			}
		}
	}
}

// cdslProc runs the osr helper process (the test binary, installed on PATH by
// testscript.Main) and reports whether SIGKILL ended it.
func cdslProc(t *testing.T, env []string, args ...string) (killed bool, out string) {
	t.Helper()
	cmd := exec.Command("osr", args...)
	cmd.Env = append(os.Environ(), env...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, b.String()
		}
	}
	if err != nil {
		t.Fatalf("osr %s: %v\n%s", strings.Join(args, " "), err, b.String())
	}
	return false, b.String()
}

// cdslManifest describes a tree: every name with its type, mode, and content hash or
// symlink target.
func cdslManifest(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		desc := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(data))
		}
		m[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func cdslSameManifest(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s is %q, want %q", what, k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s", what, k)
		}
	}
}

// cdslCrashRoot makes a root with a /var of n files (with a hardlink, a symlink and
// a fifo) and the infrastructure for nodes 1..3.
func cdslCrashRoot(t *testing.T, n int) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	for i := 0; i < n; i++ {
		p := filepath.Join(root, "var", fmt.Sprintf("d%02d", i%20), fmt.Sprintf("f%04d", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, bytes.Repeat([]byte{byte(i)}, 64+i%4096), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "var/log"), 0o755)
	os.WriteFile(filepath.Join(root, "var/log/messages"), []byte("boot\n"), 0o600)
	os.Link(filepath.Join(root, "var/log/messages"), filepath.Join(root, "var/log/messages.hard"))
	os.Symlink("messages", filepath.Join(root, "var/log/current"))
	syscall.Mkfifo(filepath.Join(root, "var/log/fifo"), 0o620)
	if killed, out := cdslProc(t, nil, "cdsl", "init", "-r", root, "--nodes", "3"); killed {
		t.Fatalf("init killed: %s", out)
	}
	return root
}

// cdslAfterCrash runs the next command, then checks the journal is gone, no staging
// or trash name is left, and the inventory matches the disk.
func cdslAfterCrash(t *testing.T, root string) string {
	t.Helper()
	_, list := cdslProc(t, nil, "cdsl", "list", "-r", root)
	if _, err := os.Lstat(filepath.Join(root, journal.FileName)); err == nil {
		t.Fatalf("the journal is still there after the next command")
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.Contains(d.Name(), ".osr-tmp") || strings.Contains(d.Name(), ".osr-trash-")) {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
	if _, out := cdslProc(t, nil, "cdsl", "check", "-r", root, "--scan"); !strings.Contains(out, "inventory and filesystem agree") {
		t.Errorf("check after the crash: %s", out)
	}
	return list
}

// TestCDSLCrashAdd kills 'osr cdsl add -a /var' before each of its journal steps and
// proves the next command leaves either the old state or the new one, complete.
func TestCDSLCrashAdd(t *testing.T) {
	for step := 0; ; step++ {
		root := cdslCrashRoot(t, 60)
		want := cdslManifest(t, filepath.Join(root, "var"))
		killed, out := cdslProc(t, []string{cdslCrashStepEnv + "=" + strconv.Itoa(step)}, "cdsl", "add", "-r", root, "-a", "/var")
		if !killed {
			if step < 5 {
				t.Fatalf("add ran to the end at step %d; it has more steps than that: %s", step, out)
			}
			break
		}
		list := cdslAfterCrash(t, root)
		if cdslHasVar.MatchString(list) {
			for _, d := range []string{"1", "2", "3", "default"} {
				cdslSameManifest(t, fmt.Sprintf("step %d, node %s", step, d), cdslManifest(t, filepath.Join(root, ".cluster/cdsl", d, "var")), want)
			}
			if target, _ := os.Readlink(filepath.Join(root, "var")); target != ".cdsl.local/var" {
				t.Errorf("step %d: var -> %q", step, target)
			}
		} else {
			cdslSameManifest(t, fmt.Sprintf("step %d, /var", step), cdslManifest(t, filepath.Join(root, "var")), want)
		}
	}
}

// TestCDSLCrashRemove kills 'osr cdsl rm /var' before each of its journal steps.
// Node 1's copy differs, so it must survive as var.1.
func TestCDSLCrashRemove(t *testing.T) {
	for step := 0; ; step++ {
		root := cdslCrashRoot(t, 60)
		want := cdslManifest(t, filepath.Join(root, "var"))
		cdslProc(t, nil, "cdsl", "add", "-r", root, "-a", "/var")
		os.WriteFile(filepath.Join(root, ".cluster/cdsl/1/var/log/messages"), []byte("node 1\n"), 0o600)
		want1 := cdslManifest(t, filepath.Join(root, ".cluster/cdsl/1/var"))
		killed, out := cdslProc(t, []string{cdslCrashStepEnv + "=" + strconv.Itoa(step)}, "cdsl", "rm", "-r", root, "/var")
		if !killed {
			if step < 5 {
				t.Fatalf("rm ran to the end at step %d; it has more steps than that: %s", step, out)
			}
			break
		}
		list := cdslAfterCrash(t, root)
		if cdslHasVar.MatchString(list) {
			cdslSameManifest(t, fmt.Sprintf("step %d, node 1", step), cdslManifest(t, filepath.Join(root, ".cluster/cdsl/1/var")), want1)
			for _, d := range []string{"2", "3", "default"} {
				cdslSameManifest(t, fmt.Sprintf("step %d, node %s", step, d), cdslManifest(t, filepath.Join(root, ".cluster/cdsl", d, "var")), want)
			}
			continue
		}
		cdslSameManifest(t, fmt.Sprintf("step %d, /var", step), cdslManifest(t, filepath.Join(root, "var")), want)
		cdslSameManifest(t, fmt.Sprintf("step %d, /var.1", step), cdslManifest(t, filepath.Join(root, "var.1")), want1)
		for _, gone := range []string{"var.2", "var.3", "var.default", ".cluster/cdsl/2/var"} {
			if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
				t.Errorf("step %d: %s exists", step, gone)
			}
		}
	}
}

// TestCDSLCrashRandom kills 'osr cdsl add -a /var' of a larger tree at random moments
// (most of them inside one of the copies).
func TestCDSLCrashRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const files = 1500
	root := cdslCrashRoot(t, files)
	start := time.Now()
	cdslProc(t, nil, "cdsl", "add", "-r", root, "-a", "/var")
	full := time.Since(start)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for round := 0; round < 6; round++ {
		root := cdslCrashRoot(t, files)
		want := cdslManifest(t, filepath.Join(root, "var"))
		delay := time.Duration(rng.Int64N(int64(full)))
		cmd := exec.Command("osr", "cdsl", "add", "-r", root, "-a", "/var")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		t.Logf("round %d: killed after %v of %v", round, delay, full)
		list := cdslAfterCrash(t, root)
		if cdslHasVar.MatchString(list) {
			for _, d := range []string{"1", "2", "3", "default"} {
				cdslSameManifest(t, fmt.Sprintf("round %d, node %s", round, d), cdslManifest(t, filepath.Join(root, ".cluster/cdsl", d, "var")), want)
			}
		} else {
			cdslSameManifest(t, fmt.Sprintf("round %d, /var", round), cdslManifest(t, filepath.Join(root, "var")), want)
		}
	}
}
