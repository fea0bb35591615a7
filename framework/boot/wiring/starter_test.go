// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/manifest"
)

func recFactory(d driver.Driver) map[string]driver.Factory {
	return map[string]driver.Factory{"rec": func(hclog.Logger) driver.Driver { return d }}
}

// Which way the manifest's driver is reached, and what an init that cannot
// reach it says.
func TestStarter(t *testing.T) {
	programCalled := errors.New("program started")
	program := func(context.Context, manifest.Driver, *reaper.Reaper, *bootlog.Log) (driver.Mounter, func(), error) {
		return nil, nil, programCalled
	}
	builtIn := manifest.Driver{Name: "rec", Version: "1.0.0", BuiltIn: true}
	own := manifest.Driver{Name: "rec", Version: "1.0.0", Path: "/usr/libexec/osr/drivers/osr-driver-rec", SHA256: strings.Repeat("ab", 32)}
	tests := []struct {
		name    string
		d       manifest.Driver
		ds      Drivers
		want    string // "" means a driver that mounts
		program bool
	}{
		{"built in, called in process", builtIn, Drivers{BuiltIn: recFactory(&recordingDriver{})}, "", false},
		{"built in, also with programs", builtIn, Drivers{BuiltIn: recFactory(&recordingDriver{}), Program: program}, "", false},
		{"built in elsewhere", builtIn, Drivers{BuiltIn: map[string]driver.Factory{"nfs": nil, "gfs2": nil}},
			"manifest: driver rec is built into the image's init, but this init has no driver rec (built in: gfs2, nfs); rebuild the image with osr build", false},
		{"another version built in", manifest.Driver{Name: "rec", Version: "0.9.0", BuiltIn: true}, Drivers{BuiltIn: recFactory(&recordingDriver{})},
			"manifest: driver rec 0.9.0, but this init's built-in driver is rec 1.0.0; rebuild the image with osr build", false},
		{"a program of its own", own, Drivers{BuiltIn: recFactory(&recordingDriver{}), Program: program}, programCalled.Error(), true},
		{"a program, and an init without programs", own, Drivers{BuiltIn: recFactory(&recordingDriver{})},
			"manifest: driver rec is a program of its own (/usr/libexec/osr/drivers/osr-driver-rec), and this init starts no driver programs (it calls only its built-in drivers: rec)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, stop, err := starter(tt.d, tt.ds, reaper.New(nil), bootlog.New(nil))(context.Background())
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("start error = %v; want %q", err, tt.want)
				}
				if tt.program != errors.Is(err, programCalled) {
					t.Errorf("program started = %v; want %v", errors.Is(err, programCalled), tt.program)
				}
				return
			}
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			defer stop()
			if _, err := m.Mount(context.Background(), driver.MountRequest{Source: "/dev/x", Target: "/sysroot"}); err != nil {
				t.Fatalf("Mount: %v", err)
			}
		})
	}
}

// A built-in driver mounts through MountRoot in this process: it gets the
// request, and its warnings and log lines reach the boot log.
func TestBuiltInDriverMountsTheRoot(t *testing.T) {
	d := &recordingDriver{}
	m := testManifest(t)
	m.Driver.BuiltIn = true
	log := bootlog.New(nil)
	rm := newRootMounter(m, parseCluster(t, threeNodes), Drivers{BuiltIn: recFactory(d)}, reaper.New(nil), log)
	spec := boot.MountSpec{Source: "/dev/vg/sr", Target: "/sysroot", Node: boot.Node{ID: 2, Name: "node2"}}
	if err := rm.MountRoot(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if d.got == nil || d.got.Source != "/dev/vg/sr" || d.got.Config.String("lock_proto") != "lock_nolock" || len(d.got.Nodes) != 3 {
		t.Errorf("the driver got %+v; want the spec, the manifest's config and the cluster's three nodes", d.got)
	}
	var text strings.Builder
	log.WriteTo(&text)
	if !strings.Contains(text.String(), "driver rec: warning: journal replayed") {
		t.Errorf("boot log lacks the driver's warning:\n%s", text.String())
	}
}

// waitingDriver starts a program and waits for it, as ext3's fsck does; the
// reaper runs a pass once the program is a zombie, before the driver waits.
type waitingDriver struct {
	recordingDriver
	r *reaper.Reaper
}

func (d *waitingDriver) Mount(ctx context.Context, _ driver.MountRequest) (*driver.MountResult, error) {
	cmd := exec.CommandContext(ctx, "true")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stat := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat"
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(stat)
		if err == nil && strings.Contains(string(b), ") Z ") {
			break
		}
	}
	d.r.ReapOnce()
	if err := cmd.Wait(); err != nil {
		return nil, err
	}
	return &driver.MountResult{}, nil
}

// While a built-in driver mounts, the reaper leaves the programs it waits for
// alone: their exit status is the driver's.
func TestBuiltInDriverKeepsItsChildren(t *testing.T) {
	r := reaper.New(nil)
	d := &waitingDriver{r: r}
	m := testManifest(t)
	m.Driver.BuiltIn = true
	rm := newRootMounter(m, nil, Drivers{BuiltIn: recFactory(d)}, r, bootlog.New(nil))
	if err := rm.MountRoot(context.Background(), boot.MountSpec{Source: "/dev/x", Target: "/sysroot"}); err != nil {
		t.Fatalf("MountRoot: %v (the reaper took the driver's child)", err)
	}
}
