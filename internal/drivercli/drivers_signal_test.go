// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
)

// mainChildEnv makes the test binary run osr's main, as the installed binary does.
const mainChildEnv = "OSR_TEST_MAIN"

// stuckDriverEnv makes the test binary a driver stuck in Describe; the variable
// names the file it touches when the call arrives.
const stuckDriverEnv = "OSR_TEST_STUCK_DRIVER"

type stuckDriver struct{}

func (stuckDriver) Describe(context.Context) (*driver.Info, error) {
	_ = os.WriteFile(os.Getenv(stuckDriverEnv), nil, 0o600)
	select {}
}

func (stuckDriver) ValidateConfig(context.Context, driver.ValidateRequest) (driver.Diagnostics, error) {
	return nil, nil
}

func (stuckDriver) Plan(context.Context, driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	return &driver.Plan{}, nil, nil
}

func serveStuckDriver() {
	plugin.Serve(func(hclog.Logger) driver.Driver { return stuckDriver{} })
	os.Exit(0)
}

// running reports whether pid runs (a zombie has ended).
func running(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func waitFile(t *testing.T, path string) string {
	t.Helper()
	for range 500 {
		if data, err := os.ReadFile(path); err == nil && len(data) > 0 {
			return strings.TrimSpace(string(data))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
	return ""
}

// SIGTERM or SIGINT to `osr drivers` while a driver (behind a shell wrapper
// that left a daemon holding osr's pipes) is stuck in Describe: osr exits at
// once and leaves no driver process, no daemon and no socket.
func TestDriversSignalLeavesNothing(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			drivers := filepath.Join(dir, "drivers")
			tmp := filepath.Join(dir, "tmp")
			for _, d := range []string{drivers, tmp} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			script := "#!/bin/sh\nsleep 300 &\necho $! >" + dir + "/daemon.pid\necho $$ >" + dir + "/driver.pid\n" +
				stuckDriverEnv + "=" + dir + "/describing exec " + exe + "\n"
			if err := os.WriteFile(filepath.Join(drivers, "osr-driver-stuck"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(exe, "drivers", "--driver-dir", drivers)
			cmd.Env = append(os.Environ(), mainChildEnv+"=1", "TMPDIR="+tmp, "OSR_DRIVER_PATH=")
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if cmd.ProcessState == nil {
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
				}
			}()
			if _, err := os.Stat(filepath.Join(dir, "describing")); err != nil {
				for i := 0; i < 500 && err != nil; i++ {
					time.Sleep(20 * time.Millisecond)
					_, err = os.Stat(filepath.Join(dir, "describing"))
				}
				if err != nil {
					t.Fatalf("the driver never got the Describe call; osr said:\n%s", out.String())
				}
			}
			driverPID, _ := strconv.Atoi(waitFile(t, filepath.Join(dir, "driver.pid")))
			daemonPID, _ := strconv.Atoi(waitFile(t, filepath.Join(dir, "daemon.pid")))
			defer func() {
				for _, pid := range []int{driverPID, daemonPID} {
					if running(pid) {
						_ = syscall.Kill(pid, syscall.SIGKILL)
					}
				}
			}()
			start := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				t.Fatalf("osr drivers still runs 15s after %v; output:\n%s", sig, out.String())
			}
			t.Logf("osr drivers exited %v after %v: %v", time.Since(start).Round(time.Millisecond), sig, err)
			for _, pid := range []int{driverPID, daemonPID} {
				for i := 0; i < 100 && running(pid); i++ {
					time.Sleep(20 * time.Millisecond)
				}
				if running(pid) {
					t.Errorf("process %d (driver or its daemon) still runs after osr exited", pid)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
		})
	}
}
