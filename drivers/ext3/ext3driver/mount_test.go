// SPDX-License-Identifier: Apache-2.0

package ext3driver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

// fakeSystem makes a fake /sys/class/block and /dev holding one ext4 image made by
// mkfs.ext4, and returns the driver seeing them, recording mount(2) and fsck calls.
func fakeSystem(t *testing.T, fsckCode int) (d *extDriver, dev string, mounts *[]driver.MountCall, fscks *[][]string) {
	t.Helper()
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("mkfs.ext4 not installed (e2fsprogs)")
	}
	root := t.TempDir()
	sys, devs := filepath.Join(root, "sys"), filepath.Join(root, "dev")
	for _, d := range []string{filepath.Join(sys, "vda"), filepath.Join(sys, "vdb"), devs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dev = filepath.Join(devs, "vdb")
	if err := os.WriteFile(filepath.Join(devs, "vda"), make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-L", "osrroot", "-U", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", dev, "4M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	d = newDriver(dt.NewLog(t))
	d.sysBlock, d.devDir, d.mounter.DeviceWait = sys, devs, 300*time.Millisecond
	var m []driver.MountCall
	var f [][]string
	d.mounter.Syscall = func(c driver.MountCall) error {
		m = append(m, c)
		if c.FSType == "ext3" {
			return unix.ENODEV
		}
		return nil
	}
	d.runFsck = func(_ context.Context, args []string) (int, string, error) {
		f = append(f, args)
		return fsckCode, "fsck output", nil
	}
	return d, dev, &m, &f
}

func TestMountReadOnlyShared(t *testing.T) {
	d, dev, mounts, fscks := fakeSystem(t, 0)
	for _, spec := range []string{dev, "LABEL=osrroot", "UUID=0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"} {
		*mounts = nil
		_, err := dt.Mount(t, d, driver.MountRequest{FSType: "ext4", Source: spec, Target: "/sysroot", Options: []string{"noatime"}}, nil)
		if err != nil {
			t.Fatalf("Mount(%s) error = %v", spec, err)
		}
		want := driver.MountCall{Source: dev, Target: "/sysroot", FSType: "ext4", Flags: unix.MS_RDONLY | unix.MS_NOATIME, Data: "noload"}
		if len(*mounts) != 1 || (*mounts)[0] != want {
			t.Errorf("Mount(%s) calls = %+v; want %+v", spec, *mounts, want)
		}
	}
	if len(*fscks) != 0 {
		t.Errorf("fsck ran on a read-only shared root: %v", *fscks)
	}
}

func TestMountReadWriteRunsFsck(t *testing.T) {
	d, dev, mounts, fscks := fakeSystem(t, 1)
	_, err := dt.Mount(t, d, driver.MountRequest{FSType: "ext3", Source: dev, Target: "/sysroot"},
		map[string]cty.Value{"read_only": cty.False, "fsck_options": dt.Strings("-v")})
	if err != nil {
		t.Fatalf("Mount() error = %v", err)
	}
	if len(*fscks) != 1 || strings.Join((*fscks)[0], " ") != "e2fsck -p -v "+dev {
		t.Errorf("fsck calls = %v", *fscks)
	}
	// ext3 unknown to the kernel: mounted as ext4.
	if len(*mounts) != 2 || (*mounts)[1].FSType != "ext4" || (*mounts)[1].Flags != 0 || (*mounts)[1].Data != "" {
		t.Errorf("mount calls = %+v", *mounts)
	}
}

func TestMountFsckFailureStops(t *testing.T) {
	d, dev, mounts, _ := fakeSystem(t, 4)
	_, err := dt.Mount(t, d, driver.MountRequest{FSType: "ext4", Source: dev, Target: "/sysroot"},
		map[string]cty.Value{"read_only": cty.False})
	if err == nil || !strings.Contains(err.Error(), "cannot repair") || !strings.Contains(err.Error(), "e2fsck -f "+dev) {
		t.Fatalf("Mount() error = %v; want the fsck failure with a hint", err)
	}
	if len(*mounts) != 0 {
		t.Errorf("mounted after a failed fsck: %v", *mounts)
	}
}

func TestMountMissingDevice(t *testing.T) {
	d, _, _, _ := fakeSystem(t, 0)
	_, err := dt.Mount(t, d, driver.MountRequest{FSType: "ext4", Source: "LABEL=nope", Target: "/sysroot"}, nil)
	if err == nil || !strings.Contains(err.Error(), "found vdb (UUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 LABEL=osrroot)") {
		t.Errorf("Mount(LABEL=nope) error = %v; want the filesystems that were seen", err)
	}
}

func TestMountAttempts(t *testing.T) {
	d, dev, mounts, _ := fakeSystem(t, 0)
	d.mounter.Syscall = func(c driver.MountCall) error {
		*mounts = append(*mounts, c)
		return unix.EIO
	}
	_, err := dt.Mount(t, d, driver.MountRequest{FSType: "ext3", Source: dev, Target: "/sysroot", Attempts: 3, Wait: time.Millisecond}, nil)
	want := fmt.Sprintf(`mount(%q, "/sysroot", "ext3", MS_RDONLY, "noload"): input/output error (tried 3 times, 1ms apart)`, dev)
	if err == nil || !strings.Contains(err.Error(), want) || len(*mounts) != 3 {
		t.Errorf("Mount(mounttimes=3, failing) = %v after %d calls; want %s after 3", err, len(*mounts), want)
	}
}
