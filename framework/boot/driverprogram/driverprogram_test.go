// SPDX-License-Identifier: Apache-2.0

package driverprogram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
	"github.com/open-sharedroot/osr/framework/manifest"
	"github.com/open-sharedroot/osr/internal/testproc"
)

// StartIn at boot: a driver binary (a shell wrapper that leaves a
// daemon holding the pipes) started in its own process group while the
// reaper runs, mounts, and is gone with its daemon and socket after stop.
func TestStartRealDriverLeavesNothing(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, pidFile := testproc.WrapperDriver(t, "osr-driver-rec", "sleep", programDriverEnv+"=1 exec "+exe)
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
	m, stop, err := StartIn(context.Background(), manifest.Driver{Name: "rec", Version: "1.0.0", Path: bin, SHA256: hex.EncodeToString(sum[:])}, r, bootlog.New(nil), sockets)
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

// programDriverEnv makes the test binary serve recordingDriver.
const programDriverEnv = "OSR_DRIVERPROGRAM_TEST_DRIVER"

func TestMain(m *testing.M) {
	if os.Getenv(programDriverEnv) != "" {
		plugin.Serve(func(hclog.Logger) driver.Driver { return &recordingDriver{} })
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// recordingDriver is the driver the test binary serves: it mounts nothing.
type recordingDriver struct{}

var testSchema = driver.Schema{Attributes: []driver.Attribute{
	{Name: "lock_proto", Type: cty.String, Default: cty.StringVal("lock_dlm")},
}}

func (recordingDriver) Describe(context.Context) (*driver.Info, error) {
	return &driver.Info{Name: "rec", Version: "1.0.0", FSTypes: []string{"gfs2"}, Schema: testSchema}, nil
}

func (recordingDriver) ValidateConfig(context.Context, driver.ValidateRequest) (driver.Diagnostics, error) {
	return nil, nil
}

func (recordingDriver) Plan(context.Context, driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	return &driver.Plan{}, nil, nil
}

func (recordingDriver) Mount(context.Context, driver.MountRequest) (*driver.MountResult, error) {
	return &driver.MountResult{}, nil
}

// StartIn refuses a binary whose sha256 is not the manifest's, before it runs it.
func TestStartChecksTheDigest(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "osr-driver-rec")
	ran := bin + ".ran"
	if err := os.WriteFile(bin, []byte("#!/bin/sh\ntouch "+ran+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, sum, want string
	}{
		{"not hex", "xyz", `sha256 "xyz" is not a hex digest`},
		{"empty", "", `sha256 "" is not a hex digest`},
		{"another file's digest", strings.Repeat("ab", 32), "does not have the expected sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := StartIn(context.Background(), manifest.Driver{Name: "rec", Version: "1.0.0", Path: bin, SHA256: tt.sum}, reaper.New(nil), bootlog.New(nil), t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want %q", err, tt.want)
			}
			if _, err := os.Stat(ran); err == nil {
				t.Error("the binary ran despite the wrong digest")
			}
		})
	}
}
