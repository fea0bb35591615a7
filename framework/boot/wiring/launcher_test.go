// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
	"github.com/open-sharedroot/osr/framework/manifest"
	"github.com/open-sharedroot/osr/internal/testproc"
)

// The real launcher at boot: a driver binary (a shell wrapper that leaves a
// daemon holding the pipes) started in its own process group while the
// reaper runs, mounts, and is gone with its daemon and socket after stop.
func TestLauncherRealDriverLeavesNothing(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, pidFile := testproc.WrapperDriver(t, "osr-driver-rec", "sleep", wiringDriverEnv+"=1 exec "+exe)
	script, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(script)
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
	daemon := testproc.ReadPID(t, pidFile)
	p := m.(*plugin.Process)
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
		if !testproc.WaitGone(p, 2*time.Second) {
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
		plugin.Serve(func(hclog.Logger) driver.Driver { return &recordingDriver{} })
		os.Exit(0)
	}
	os.Exit(m.Run())
}
