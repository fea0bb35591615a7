// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/cmdline"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/drivertest"
	"github.com/open-sharedroot/osr/framework/manifest"
)

var testSchema = driver.Schema{Attributes: []driver.Attribute{
	{Name: "lock_proto", Type: cty.String, Default: cty.StringVal("lock_dlm")},
}}

// recordingDriver is a driver that remembers the mount request it got.
type recordingDriver struct {
	mu   sync.Mutex
	got  *driver.MountRequest
	fail error
}

func (d *recordingDriver) Describe(context.Context) (*driver.Info, error) {
	return &driver.Info{Name: "rec", Version: "1.0.0", FSTypes: []string{"gfs2"}, Schema: testSchema}, nil
}

func (d *recordingDriver) ValidateConfig(context.Context, driver.ValidateRequest) (driver.Diagnostics, error) {
	return nil, nil
}

func (d *recordingDriver) Plan(context.Context, driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	return &driver.Plan{}, nil, nil
}

func (d *recordingDriver) Mount(_ context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.got = &req
	if d.fail != nil {
		return nil, d.fail
	}
	return &driver.MountResult{Diagnostics: driver.Diagnostics{driver.Warnf(nil, "journal replayed")}}, nil
}

// testManifest is an image's manifest for the recording driver.
func testManifest(t *testing.T) *manifest.Manifest {
	t.Helper()
	cfg, err := driver.ConfigFrom(testSchema, map[string]cty.Value{"lock_proto": cty.StringVal("lock_nolock")})
	if err != nil {
		t.Fatal(err)
	}
	m := &manifest.Manifest{Version: manifest.FormatVersion, Kernel: "6.1.0-test", FSType: "gfs2",
		Driver: manifest.Driver{Name: "rec", Version: "1.0.0", Path: "/usr/libexec/osr/drivers/osr-driver-rec"}}
	if err := m.Driver.EncodeConfig(cfg); err != nil {
		t.Fatal(err)
	}
	return m
}

// harnessMounter is a rootMounter whose driver runs in the SDK's harness: the
// request makes the real gRPC round trip.
func harnessMounter(t *testing.T, d *recordingDriver) (*rootMounter, *bootlog.Log, *int) {
	log := bootlog.New(nil)
	stops := 0
	rm := newRootMounter(testManifest(t), parseCluster(t, threeNodes), Drivers{}, reaper.New(nil), log)
	rm.start = func(context.Context) (driver.Mounter, func(), error) {
		m, ok := drivertest.New(t, d).(driver.Mounter)
		if !ok {
			t.Fatal("the harness's driver cannot mount")
		}
		return m, func() { stops++ }, nil
	}
	return rm, log, &stops
}

func TestMountRequestReachesTheDriver(t *testing.T) {
	d := &recordingDriver{}
	rm, log, stops := harnessMounter(t, d)
	p := cmdline.Parse("root=/dev/vg/sr nodeid=3 quorumack lockproto=lock_dlm")
	spec := boot.MountSpec{Target: "/sysroot", Source: "/dev/vg/sr", Options: "noatime, localflocks,,ro", ReadOnly: true,
		Tries: 3, Wait: 2 * time.Second, Node: boot.Node{ID: 3, Name: "n3"}, Params: p}
	if err := rm.MountRoot(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	want := driver.MountRequest{
		FSType: "gfs2", // from the manifest: neither the command line nor the node said
		Source: "/dev/vg/sr", Target: "/sysroot", ReadOnly: true, Options: []string{"noatime", "localflocks", "ro"},
		Node: driver.ClusterNode{ID: 3, Name: "n3", Addresses: []string{"10.0.0.3"}},
		Nodes: []driver.ClusterNode{
			{ID: 1, Name: "n1", Addresses: []string{"10.0.0.1"}},
			{ID: 2, Name: "n2"},
			{ID: 3, Name: "n3", Addresses: []string{"10.0.0.3"}},
		},
		ClusterName: "sr",
		Parameters:  map[string]string{"root": "/dev/vg/sr", "nodeid": "3", "quorumack": "", "lockproto": "lock_dlm"},
		Attempts:    3, Wait: 2 * time.Second, // mounttimes= and mountwait=
	}
	if diff := cmp.Diff(want, *d.got, cmpopts.IgnoreFields(driver.MountRequest{}, "Config")); diff != "" {
		t.Errorf("mount request (-want +got):\n%s", diff)
	}
	if got := d.got.Config.String("lock_proto"); got != "lock_nolock" {
		t.Errorf("config lock_proto = %q; want the manifest's lock_nolock", got)
	}
	if *stops != 1 {
		t.Errorf("driver stopped %d times; want 1", *stops)
	}
	var lines []string
	for _, e := range log.Entries() {
		lines = append(lines, e.Msg)
	}
	if diff := cmp.Diff([]string{"driver rec: warning: journal replayed"}, lines); diff != "" {
		t.Errorf("boot log (-want +got):\n%s", diff)
	}
}

func TestMountRequestFSTypeAndNodeOutsideTheCluster(t *testing.T) {
	d := &recordingDriver{}
	rm, _, _ := harnessMounter(t, d)
	rm.cluster = nil // an image without a cluster configuration
	spec := boot.MountSpec{Target: "/sysroot", Source: "srv:/export", FSType: "nfs4", Node: boot.Node{ID: 4, Name: "n4"}}
	if err := rm.MountRoot(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if d.got.FSType != "nfs4" || d.got.Node.ID != 4 || d.got.Node.Name != "n4" || len(d.got.Nodes) != 0 || d.got.ClusterName != "" {
		t.Errorf("request %+v", *d.got)
	}
}

func TestMountRootErrors(t *testing.T) {
	d := &recordingDriver{fail: errors.New("mount(/dev/vg/sr, /sysroot, gfs2): no such device")}
	rm, _, stops := harnessMounter(t, d)
	err := rm.MountRoot(context.Background(), boot.MountSpec{Target: "/sysroot", Source: "/dev/vg/sr", Node: boot.Node{ID: 1}})
	if err == nil || !strings.Contains(err.Error(), "driver rec could not mount /dev/vg/sr on /sysroot") || !strings.Contains(err.Error(), "no such device") {
		t.Errorf("error = %v", err)
	}
	if *stops != 1 {
		t.Errorf("driver stopped %d times after a failed mount; want 1", *stops)
	}

	rm.start = func(context.Context) (driver.Mounter, func(), error) {
		return nil, nil, errors.New("start driver rec 1.0.0: exited")
	}
	if err := rm.MountRoot(context.Background(), boot.MountSpec{}); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("start failure: error = %v", err)
	}

	broken := &rootMounter{err: errors.New("read /etc/osr/manifest.json: no such file")}
	if err := broken.MountRoot(context.Background(), boot.MountSpec{}); err == nil || !strings.Contains(err.Error(), "manifest.json") {
		t.Errorf("no manifest: error = %v", err)
	}
}
