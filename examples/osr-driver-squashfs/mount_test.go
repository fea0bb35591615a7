// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

// TestMountCalls checks the mount(2) calls through the seam; it needs no root.
func TestMountCalls(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "vdb")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	run := t.TempDir()
	call := func(src, target, fstype string, flags uintptr, data string) driver.MountCall {
		return driver.MountCall{Source: src, Target: target, FSType: fstype, Flags: flags, Data: data}
	}
	tests := []struct {
		name    string
		values  map[string]cty.Value
		options []string
		want    []driver.MountCall
	}{
		{"tmpfs overlay", nil, []string{"noatime"}, []driver.MountCall{
			call(dev, run+"/image", "squashfs", unix.MS_RDONLY, ""),
			call("osr-overlay", run+"/overlay", "tmpfs", unix.MS_NODEV|unix.MS_NOSUID, "mode=0755,size=50%"),
			call("overlay", "/sysroot", "overlay", unix.MS_NOATIME, "lowerdir="+run+"/image,upperdir="+run+"/overlay/upper,workdir="+run+"/overlay/work"),
		}},
		{"read-only", map[string]cty.Value{"overlay": cty.StringVal("none")}, nil, []driver.MountCall{
			call(dev, "/sysroot", "squashfs", unix.MS_RDONLY, ""),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []driver.MountCall
			d := newDriver(dt.NewLog(t))
			d.runDir = run
			d.mounter.Syscall = func(c driver.MountCall) error {
				calls = append(calls, c)
				return nil
			}
			if _, err := dt.Mount(t, d, driver.MountRequest{FSType: "squashfs", Source: dev, Target: "/sysroot", Options: tt.options}, tt.values); err != nil {
				t.Fatalf("Mount() error = %v", err)
			}
			if !slices.Equal(calls, tt.want) {
				t.Errorf("mount calls:\n%v\nwant:\n%v", calls, tt.want)
			}
		})
	}
}

// TestMountAttempts: mounttimes=3 against a device that never mounts makes exactly
// three attempts, and the error names the call.
func TestMountAttempts(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "vdb")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	calls := 0
	d := newDriver(dt.NewLog(t))
	d.runDir = t.TempDir()
	d.mounter.Syscall = func(driver.MountCall) error {
		calls++
		return unix.EIO
	}
	_, err := dt.Mount(t, d, driver.MountRequest{FSType: "squashfs", Source: dev, Target: "/sysroot", Attempts: 3, Wait: time.Millisecond},
		map[string]cty.Value{"overlay": cty.StringVal("none")})
	want := fmt.Sprintf(`mount(%q, "/sysroot", "squashfs", MS_RDONLY, ""): input/output error (tried 3 times, 1ms apart)`, dev)
	if err == nil || !strings.Contains(err.Error(), want) || calls != 3 {
		t.Errorf("Mount(mounttimes=3) = %v after %d calls; want %s after 3", err, calls, want)
	}
}

// TestMountRealImage mounts a squashfs image made by mksquashfs from a loop device,
// with the kernel: read-only, under a tmpfs overlay, and as a file on an ext4 root
// device. It needs root and loop devices.
func TestMountRealImage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root: run the test as root to mount a real squashfs image")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skipf("no loop devices on this machine (%v): the test mounts the image from one", err)
	}
	for _, tool := range []string{"mksquashfs", "mkfs.ext4", "losetup"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install squashfs-tools, e2fsprogs and mount (scripts/install-deps.sh)", tool)
		}
	}
	tmp := t.TempDir()
	tree := filepath.Join(tmp, "tree")
	if err := os.MkdirAll(filepath.Join(tree, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "etc", "hostname"), []byte("squashed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(tmp, "root.sqfs")
	run(t, "mksquashfs", tree, img, "-noappend", "-quiet")
	// The ext4 device holds the image as /images/root.sqfs.
	devTree := filepath.Join(tmp, "devtree")
	if err := os.MkdirAll(filepath.Join(devTree, "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(devTree, "images", "root.sqfs"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	ext4 := filepath.Join(tmp, "dev.ext4")
	run(t, "mkfs.ext4", "-q", "-F", "-d", devTree, ext4, "4M")

	tests := []struct {
		name      string
		file      string // attached to the loop device the driver is given
		values    map[string]cty.Value
		writable  bool
		rootFSTyp string
	}{
		{"read-only", img, map[string]cty.Value{"overlay": cty.StringVal("none")}, false, "squashfs"},
		{"tmpfs overlay", img, nil, true, "overlay"},
		{"image on an ext4 device", ext4, map[string]cty.Value{"image": cty.StringVal("/images/root.sqfs")}, true, "overlay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "sysroot")
			if err := os.Mkdir(target, 0o755); err != nil {
				t.Fatal(err)
			}
			dev := losetup(t, tt.file)
			d := newDriver(dt.NewLog(t))
			d.runDir = filepath.Join(dir, "run")
			t.Cleanup(func() { unmountUnder(t, dir) })
			if _, err := dt.Mount(t, d, driver.MountRequest{FSType: "squashfs", Source: dev, Target: target}, tt.values); err != nil {
				t.Fatalf("Mount(%s) error = %v", dev, err)
			}
			got, err := os.ReadFile(filepath.Join(target, "etc", "hostname"))
			if err != nil || string(got) != "squashed\n" {
				t.Fatalf("the mounted root's /etc/hostname = %q, %v; want the image's", got, err)
			}
			if fstype := mountedType(t, target); fstype != tt.rootFSTyp {
				t.Errorf("%s is mounted as %q; want %s", target, fstype, tt.rootFSTyp)
			}
			err = os.WriteFile(filepath.Join(target, "etc", "node"), []byte("1\n"), 0o644)
			switch {
			case tt.writable && err != nil:
				t.Errorf("write to the overlay root: %v", err)
			case tt.writable:
				// The write lands in the tmpfs, not in the image.
				if _, err := os.Stat(filepath.Join(d.runDir, "overlay", "upper", "etc", "node")); err != nil {
					t.Errorf("the write is not in the overlay's upper layer: %v", err)
				}
			case !errors.Is(err, unix.EROFS):
				t.Errorf("write to the read-only root: %v; want EROFS", err)
			}
		})
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// losetup attaches file to a free loop device, read-only, for the test's duration.
func losetup(t *testing.T, file string) string {
	t.Helper()
	out, err := exec.Command("losetup", "--find", "--show", "--read-only", file).CombinedOutput()
	if err != nil {
		t.Skipf("no usable loop device on this machine: losetup: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "--detach", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup --detach %s: %v: %s", dev, err, out)
		}
	})
	return dev
}

// mounts returns the mount points of this mount namespace, in mount order, with
// their filesystem types.
func mounts(t *testing.T) (points, types []string) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 3 {
			points, types = append(points, f[1]), append(types, f[2])
		}
	}
	return points, types
}

func mountedType(t *testing.T, path string) string {
	points, types := mounts(t)
	for i := len(points) - 1; i >= 0; i-- {
		if points[i] == path {
			return types[i]
		}
	}
	return ""
}

// unmountUnder unmounts everything mounted below dir, the last mounted first.
func unmountUnder(t *testing.T, dir string) {
	points, _ := mounts(t)
	for i := len(points) - 1; i >= 0; i-- {
		if strings.HasPrefix(points[i], dir+"/") {
			if err := unix.Unmount(points[i], 0); err != nil {
				t.Errorf("unmount %s: %v", points[i], err)
			}
		}
	}
}
