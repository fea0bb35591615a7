// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/manifest"
)

// The real launcher at boot: a driver binary (a shell wrapper that leaves a
// daemon holding the pipes) started in its own process group while the
// reaper runs, mounts, and is gone with its daemon and socket after stop.
func TestLauncherRealDriverLeavesNothing(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "osr-driver-rec")
	pidFile := filepath.Join(dir, "daemon.pid")
	script := "#!/bin/sh\nsleep 300 &\necho $! >" + pidFile + "\n" + wiringDriverEnv + "=1 exec " + exe + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(script))
	r := reaper.New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Loop(ctx, 50*time.Millisecond)
	sockets := t.TempDir()
	start := launcher(manifest.Driver{Name: "rec", Version: "1.0.0", Path: bin, SHA256: hex.EncodeToString(sum[:])}, r, bootlog.New(nil), sockets)
	m, stop, err := start(context.Background())
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	daemon := 0
	for i := 0; i < 250 && daemon == 0; i++ {
		data, _ := os.ReadFile(pidFile)
		daemon, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		time.Sleep(20 * time.Millisecond)
	}
	defer func() {
		if running(daemon) {
			_ = syscall.Kill(daemon, syscall.SIGKILL)
		}
	}()
	p := m.(*driver.Process)
	pid := p.PID()
	info, err := p.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := driver.DefaultConfig(info.Schema)
	if _, err := m.Mount(context.Background(), driver.MountRequest{Config: cfg, FSType: "gfs2", Source: "/dev/x", Target: "/sysroot"}); err != nil {
		t.Fatalf("Mount: %v", err)
	}
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stop hangs")
	}
	for _, p := range []int{pid, daemon} {
		for i := 0; i < 100 && running(p); i++ {
			time.Sleep(20 * time.Millisecond)
		}
		if running(p) {
			t.Errorf("process %d still runs after stop", p)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(sockets, "*")); len(left) != 0 {
		t.Errorf("left in the socket dir: %v", left)
	}
}

// wiringDriverEnv makes the test binary serve recDriver.
const wiringDriverEnv = "OSR_WIRING_TEST_DRIVER"

func TestMain(m *testing.M) {
	if os.Getenv(wiringDriverEnv) != "" {
		driver.Serve(func(hclog.Logger) driver.Driver { return &recordingDriver{} })
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// running reports whether pid runs (a zombie has ended).
func running(pid int) bool {
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
