// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
)

// TestMain lets the test binary act as a driver process: with OSR_TEST_DRIVER set it
// serves fakeDriver (in the way the variable says) instead of running tests.
func TestMain(m *testing.M) {
	switch os.Getenv("OSR_TEST_DRIVER") {
	case "":
		os.Exit(m.Run())
	case "serve":
		plugin.Serve(func(log hclog.Logger) driver.Driver { return mountDriver{log: log} })
	case "protocol2":
		hs := plugin.Handshake
		hs.ProtocolVersion = driver.ProtocolVersion + 1
		goplugin.Serve(&goplugin.ServeConfig{
			HandshakeConfig: hs,
			Plugins:         goplugin.PluginSet{plugin.PluginName: &plugin.Plugin{Impl: fakeDriver{}}},
			GRPCServer:      goplugin.DefaultGRPCServer,
		})
	case "block":
		// Describe and Mount never answer, whatever the context says.
		plugin.Serve(func(log hclog.Logger) driver.Driver { return blockingDriver{} })
	case "exit":
		os.Stderr.WriteString("fake driver: refusing to start\n")
		os.Exit(1)
	case "chatty":
		os.Stdout.WriteString("hello, I print to stdout\n")
		time.Sleep(time.Minute)
	}
	os.Exit(0)
}

func launchSelf(t *testing.T, mode string, opts plugin.LaunchOptions) (*plugin.Process, error) {
	t.Helper()
	opts.Env = append(opts.Env, "OSR_TEST_DRIVER="+mode)
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 5 * time.Second
	}
	if opts.SocketDir == "" {
		// A driver that crashes or is killed leaves its socket behind.
		opts.SocketDir = t.TempDir()
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return plugin.Launch(context.Background(), exe, opts)
}

// gone reports whether pid no longer exists, not even as a zombie: Kill must reap
// the driver it killed.
func gone(pid int) bool {
	for i := 0; i < 100; i++ {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// The driver's socket lies in LaunchOptions.SocketDir (at boot a directory
// that exists in the initrd).
func TestLaunchSocketDir(t *testing.T) {
	dir := t.TempDir()
	p, err := launchSelf(t, "serve", plugin.LaunchOptions{SocketDir: dir})
	if err != nil {
		t.Fatalf("Launch() error = %v", err)
	}
	defer p.Kill()
	socks, _ := filepath.Glob(filepath.Join(dir, "plugin*"))
	if len(socks) != 1 {
		t.Errorf("sockets in the socket dir %s: %v, want one", dir, socks)
	}
}

func TestLaunchRealProcess(t *testing.T) {
	p, err := launchSelf(t, "serve", plugin.LaunchOptions{})
	if err != nil {
		t.Fatalf("Launch() error = %v", err)
	}
	pid := p.PID()
	if pid == 0 {
		t.Fatal("PID() = 0 for a running driver")
	}
	info, err := p.Describe(context.Background())
	if err != nil || info.Name != "fake" {
		t.Fatalf("Describe() = %v, %v", info, err)
	}
	cfg, _ := driver.DefaultConfig(info.Schema)
	plan, _, err := p.Plan(context.Background(), driver.PlanRequest{Config: cfg, FSType: "fakefs"})
	if err != nil || len(plan.Modules) != 2 {
		t.Fatalf("Plan() = %v, %v", plan, err)
	}
	p.Kill()
	p.Kill() // a second Kill is harmless
	if !gone(pid) {
		t.Errorf("driver process %d still exists after Kill", pid)
	}
}

// syncBuffer is a bytes.Buffer safe for the plugin client's stderr goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDriverLogReachesHostOnce checks the one path of a driver's log: a line the
// driver logs during Mount arrives in osr's logger, once, with its fields.
func TestDriverLogReachesHostOnce(t *testing.T) {
	var out syncBuffer
	host := hclog.New(&hclog.LoggerOptions{Name: "driver", Output: &out, Level: hclog.Info, DisableTime: true})
	p, err := launchSelf(t, "serve", plugin.LaunchOptions{Logger: host})
	if err != nil {
		t.Fatalf("Launch() error = %v", err)
	}
	defer p.Kill()
	info, err := p.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := driver.DefaultConfig(info.Schema)
	if _, err := p.Mount(context.Background(), driver.MountRequest{Config: cfg, FSType: "fakefs", Source: "10.0.0.1:/root", Target: "/sysroot"}); err != nil {
		t.Fatalf("Mount() error = %v", err)
	}
	p.Kill() // the stderr reader has copied every line once the process is gone
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "mounting:") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "source=10.0.0.1:/root") || !strings.Contains(lines[0], "target=/sysroot") {
		t.Errorf("host log holds the driver's line %d times; want once, with its fields:\n%s", len(lines), out.String())
	}
}

func TestLaunchChecksum(t *testing.T) {
	exe, _ := os.Executable()
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	p, err := launchSelf(t, "serve", plugin.LaunchOptions{SHA256: sum[:]})
	if err != nil {
		t.Fatalf("Launch(right sha256) error = %v", err)
	}
	p.Kill()
	sum[0] ^= 0xff
	if _, err := launchSelf(t, "serve", plugin.LaunchOptions{SHA256: sum[:]}); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("Launch(wrong sha256) error = %v; want a sha256 error", err)
	}
}

func TestDriverCrashIsReported(t *testing.T) {
	p, err := launchSelf(t, "serve", plugin.LaunchOptions{})
	if err != nil {
		t.Fatalf("Launch() error = %v", err)
	}
	defer p.Kill()
	pid := p.PID()
	info, _ := p.Describe(context.Background())
	cfg, _ := driver.ConfigFrom(info.Schema, map[string]cty.Value{"mode": cty.StringVal("crash")})
	_, _, err = p.Plan(context.Background(), driver.PlanRequest{Config: cfg, FSType: "fakefs"})
	if err == nil || !errors.Is(err, plugin.ErrDriverExited) {
		t.Fatalf("Plan() on a crashing driver error = %v; want ErrDriverExited", err)
	}
	if !strings.Contains(err.Error(), "Plan") {
		t.Errorf("error %q does not name the call", err)
	}
	p.Kill()
	if !gone(pid) {
		t.Errorf("crashed driver process %d left behind", pid)
	}
}

func TestProtocolMismatch(t *testing.T) {
	_, err := launchSelf(t, "protocol2", plugin.LaunchOptions{})
	if err == nil || !errors.Is(err, plugin.ErrProtocolMismatch) {
		t.Fatalf("Launch(protocol 2 driver) error = %v; want ErrProtocolMismatch", err)
	}
	if !strings.Contains(err.Error(), "protocol") {
		t.Errorf("error %q does not explain the protocol mismatch", err)
	}
}

func TestStartFailures(t *testing.T) {
	var logged strings.Builder
	logger := hclog.New(&hclog.LoggerOptions{Output: &logged, Level: hclog.Debug})
	tests := []struct {
		mode string
		want string
	}{
		{"exit", "exited during start-up"},
		{"chatty", "osr driver"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			start := time.Now()
			_, err := launchSelf(t, tt.mode, plugin.LaunchOptions{Logger: logger, StartTimeout: 3 * time.Second})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Launch(%s) error = %v; want it to contain %q", tt.mode, err, tt.want)
			}
			if time.Since(start) > 10*time.Second {
				t.Errorf("Launch(%s) took %v", tt.mode, time.Since(start))
			}
		})
	}
	if !strings.Contains(logged.String(), "refusing to start") {
		t.Errorf("driver stderr was not logged; log:\n%s", logged.String())
	}
}

func TestLaunchHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	exe, _ := os.Executable()
	_, err := plugin.Launch(ctx, exe, plugin.LaunchOptions{Env: []string{"OSR_TEST_DRIVER=chatty"}, Logger: hclog.New(&hclog.LoggerOptions{Output: io.Discard})})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Launch(cancelled ctx) error = %v; want context.Canceled", err)
	}
}
