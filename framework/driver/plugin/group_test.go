// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
	"github.com/open-sharedroot/osr/internal/testproc"
)

// blockingDriver is stuck in Describe and Mount: it never answers.
type blockingDriver struct{ fakeDriver }

func (blockingDriver) Describe(context.Context) (*driver.Info, error) { select {} }

func (blockingDriver) Mount(context.Context, driver.MountRequest) (*driver.MountResult, error) {
	select {}
}

// bounded runs f and fails the test when it takes longer than limit.
func bounded(t *testing.T, what string, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		f()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("%s hangs: no return after %v", what, limit)
	}
	t.Logf("%s took %v", what, time.Since(start).Round(time.Millisecond))
}

// A driver behind a shell wrapper that leaves a daemon holding osr's pipes
// neither hangs osr nor outlives Kill: the whole process group goes.
func TestWrappedDriverLeavesNothing(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, body string }{
		{"exec", "OSR_TEST_DRIVER=serve exec " + exe},
		{"child", "OSR_TEST_DRIVER=serve " + exe},
		{"crash", "OSR_TEST_DRIVER=serve exec " + exe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, pidFile := testproc.WrapperDriver(t, "osr-driver-wrapped", "sleep", tt.body)
			sockets := t.TempDir()
			var p *plugin.Process
			bounded(t, "Launch", 15*time.Second, func() {
				p, err = plugin.Launch(context.Background(), path, plugin.LaunchOptions{SocketDir: sockets, StartTimeout: 5 * time.Second})
			})
			if err != nil {
				t.Fatalf("Launch() error = %v", err)
			}
			daemon := testproc.ReadPID(t, pidFile)
			pid := p.PID()
			info, err := p.Describe(context.Background())
			if err != nil {
				t.Fatalf("Describe() error = %v", err)
			}
			if tt.name == "crash" {
				cfg, _ := driver.ConfigFrom(info.Schema, map[string]cty.Value{"mode": cty.StringVal("crash")})
				bounded(t, "Plan on a crashing driver", 10*time.Second, func() {
					_, _, err = p.Plan(context.Background(), driver.PlanRequest{Config: cfg, FSType: "fakefs"})
				})
				if !errors.Is(err, plugin.ErrDriverExited) {
					t.Errorf("Plan() on a crashing driver error = %v; want ErrDriverExited", err)
				}
			}
			bounded(t, "Kill", 10*time.Second, p.Kill)
			if !testproc.WaitGone(pid, 5*time.Second) {
				t.Errorf("driver process %d still runs after Kill", pid)
			}
			if !testproc.WaitGone(daemon, 5*time.Second) {
				t.Errorf("the wrapper's daemon %d still runs after Kill", daemon)
			}
			if left, _ := filepath.Glob(filepath.Join(sockets, "*")); len(left) != 0 {
				t.Errorf("left in the socket dir after Kill: %v", left)
			}
		})
	}
}

// A daemon that leaves the driver's process group (setsid) and keeps the pipes
// cannot make Kill hang either: osr cuts the pipes off.
func TestEscapedDaemonDoesNotHang(t *testing.T) {
	exe, _ := os.Executable()
	path, pidFile := testproc.WrapperDriver(t, "osr-driver-wrapped", "setsid sleep", "OSR_TEST_DRIVER=serve exec "+exe)
	p, err := plugin.Launch(context.Background(), path, plugin.LaunchOptions{SocketDir: t.TempDir(), StartTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Launch() error = %v", err)
	}
	testproc.ReadPID(t, pidFile) // killed at the end: it left the group on purpose
	bounded(t, "Kill", 10*time.Second, p.Kill)
	if !testproc.WaitGone(p.PID(), 5*time.Second) {
		t.Errorf("driver process %d still runs after Kill", p.PID())
	}
}

// A driver stuck in a call is given up on at the call's deadline; the error
// names the driver, the call and the deadline, and Kill still ends it.
func TestBlockingCallsHaveDeadlines(t *testing.T) {
	p, err := launchSelf(t, "block", plugin.LaunchOptions{Timeouts: driver.Timeouts{Call: 700 * time.Millisecond, Mount: 900 * time.Millisecond}})
	if err != nil {
		t.Fatalf("Launch() error = %v", err)
	}
	pid := p.PID()
	p.SetName("stuck")
	bounded(t, "Describe", 10*time.Second, func() { _, err = p.Describe(context.Background()) })
	if !errors.Is(err, driver.ErrTimeout) {
		t.Fatalf("Describe() on a stuck driver error = %v; want ErrTimeout", err)
	}
	for _, want := range []string{`"stuck"`, "Describe", "700ms"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Describe() error %q does not name %s", err, want)
		}
	}
	bounded(t, "Mount", 10*time.Second, func() {
		_, err = p.Mount(context.Background(), driver.MountRequest{Config: driver.Config{}, FSType: "fakefs"})
	})
	if !errors.Is(err, driver.ErrTimeout) || !strings.Contains(err.Error(), "Mount") || !strings.Contains(err.Error(), "900ms") {
		t.Fatalf("Mount() on a stuck driver error = %v; want ErrTimeout naming Mount and 900ms", err)
	}
	bounded(t, "Kill", 10*time.Second, p.Kill)
	if !testproc.WaitGone(pid, 5*time.Second) {
		t.Errorf("stuck driver %d still runs after Kill", pid)
	}
}

// Cancelling the context ends a call at once, not at its deadline.
func TestCallHonoursCancel(t *testing.T) {
	p, err := launchSelf(t, "block", plugin.LaunchOptions{})
	if err != nil {
		t.Fatalf("Launch() error = %v", err)
	}
	defer p.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	bounded(t, "Describe", 5*time.Second, func() { _, err = p.Describe(ctx) })
	if err == nil {
		t.Fatal("Describe() on a stuck driver with an ending context succeeded")
	}
}

func TestMountDeadline(t *testing.T) {
	tests := []struct {
		attempts int
		wait     time.Duration
		want     time.Duration
	}{
		{0, 0, driver.MountSetup + 30*(10*time.Second+driver.MountTry)},
		{1, 0, driver.MountSetup + 10*time.Second + driver.MountTry},
		{3, time.Minute, driver.MountSetup + 3*2*time.Minute},
		{1 << 30, time.Hour, 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := driver.MountDeadline(driver.MountRequest{Attempts: tt.attempts, Wait: tt.wait}); got != tt.want {
			t.Errorf("MountDeadline(attempts %d, wait %v) = %v, want %v", tt.attempts, tt.wait, got, tt.want)
		}
	}
}

// script writes a driver that is a shell script printing line as its
// handshake and then sleeping.
func script(t *testing.T, line string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "osr-driver-script")
	body := "#!/bin/sh\necho '" + line + "'\nexec sleep 300\n"
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// A handshake osr cannot use is reported as what it is: an address nobody
// answers at is not an old protocol.
func TestHandshakeFailuresSayWhat(t *testing.T) {
	v := strconv.Itoa(driver.ProtocolVersion)
	tests := []struct {
		name, line string
		is         error
		want       string
	}{
		{"unix address nobody answers", "1|" + v + "|unix|/nonexistent/osr.sock|grpc", plugin.ErrUnreachable, "nothing answers"},
		{"tcp address nobody answers", "1|" + v + "|tcp|127.0.0.1:1|grpc", plugin.ErrUnreachable, "127.0.0.1:1"},
		{"garbage", "hello|world", nil, "instead of the plugin handshake"},
		{"bad network", "1|" + v + "|carrier-pigeon|x|grpc", nil, "neither unix nor tcp"},
		{"other driver protocol", "1|99|unix|/x|grpc", plugin.ErrProtocolMismatch, "protocol 99"},
		{"net/rpc", "1|" + v + "|unix|/x|netrpc", plugin.ErrProtocolMismatch, "netrpc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := script(t, tt.line)
			var err error
			bounded(t, "Launch", 15*time.Second, func() {
				_, err = plugin.Launch(context.Background(), path, plugin.LaunchOptions{
					StartTimeout: 3 * time.Second, SocketDir: t.TempDir(), Logger: hclog.NewNullLogger(),
				})
			})
			if err == nil {
				t.Fatal("Launch() succeeded")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Launch() error = %v; want %v", err, tt.is)
			}
			if tt.is != plugin.ErrProtocolMismatch && errors.Is(err, plugin.ErrProtocolMismatch) {
				t.Errorf("Launch() error = %v; reported as a protocol mismatch", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("Launch() error = %v; want it to name %s and say %q", err, path, tt.want)
			}
		})
	}
}
