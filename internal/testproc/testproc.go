// SPDX-License-Identifier: Apache-2.0

// Package testproc helps tests that start processes (drivers behind shell
// wrappers, the daemons those leave behind) check that every one of them is
// gone afterwards. It only ever signals PIDs the test itself started.
package testproc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Alive reports whether pid runs; a zombie has ended and counts as gone.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// WaitGone waits up to limit for pid to end and reports whether it did.
func WaitGone(pid int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for Alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// WrapperDriver writes an executable shell script named name into a
// temporary directory. Before it runs body, the script starts a daemon
// (daemon followed by " 300", e.g. "sleep" or "setsid sleep") in the
// background, which inherits the script's stdout and stderr, and writes the
// daemon's PID to pidFile. It stands for a driver packaged behind a wrapper
// that leaves a process holding its caller's pipes.
func WrapperDriver(t testing.TB, name, daemon, body string) (path, pidFile string) {
	t.Helper()
	dir := t.TempDir()
	pidFile = filepath.Join(dir, "daemon.pid")
	path = filepath.Join(dir, name)
	script := "#!/bin/sh\n" + daemon + " 300 &\necho $! >" + pidFile + "\n" + body + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, pidFile
}

// ReadPID waits up to 5 seconds for file to hold a PID and returns it. The
// process is killed when the test ends if it still runs then, so a failing
// test leaves nothing behind.
func ReadPID(t testing.TB, file string) int {
	t.Helper()
	for range 250 {
		data, err := os.ReadFile(file)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && perr == nil && pid > 0 {
			t.Cleanup(func() {
				if Alive(pid) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			return pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no PID in %s after 5s", file)
	return 0
}
