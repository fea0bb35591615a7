// SPDX-License-Identifier: Apache-2.0

// Package osrboot boots nodes under qemu with osr's own initrd: osr as /init, its
// drivers mounting the shared root, osr cdsl making each node's files
// hostdependent. Each test builds a small shared root, makes the initrd with
// `osr build` and boots nodes that differ only in their MAC.
package osrboot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab/labtest"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// getKit skips under -short, fails without root or the lab's tools, and builds
// osr and its drivers once per test binary.
func getKit(t testing.TB) *osrlab.Kit {
	t.Helper()
	return labtest.Kit(t, "boots guests under qemu", "mkfs.ext3", "mkfs.gfs2", "mkfs.ocfs2")
}

func TestMain(m *testing.M) {
	code := m.Run()
	benchEnv.close()
	labtest.Close()
	os.Exit(code)
}

// sharedRoot makes a shared root for n nodes in a temporary directory.
func sharedRoot(t testing.TB, k *osrlab.Kit, n int) *sharedroot.Tree {
	t.Helper()
	tree, err := k.SharedRoot(context.Background(), filepath.Join(t.TempDir(), "root"), n)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// clusterConf writes a cluster.conf for the nodes.
func clusterConf(t testing.TB, name string, nodes []osrlab.Node) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cluster.conf")
	if err := osrlab.WriteClusterConf(p, name, nodes); err != nil {
		t.Fatal(err)
	}
	return p
}

// build runs osr build and logs its summary.
func build(t testing.TB, k *osrlab.Kit, driverName, clusterFile, osrHCL string) string {
	t.Helper()
	img, summary, err := k.Build(context.Background(), t.TempDir(), driverName, clusterFile, osrHCL)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", summary)
	return img
}

// buildProgram builds an image whose driver is driverName built as a program of
// its own: its /init is osr-init-plugin, which starts the program at boot. It
// checks that the image carries the program, and that an image of the built-in
// driver does not.
func buildProgram(t testing.TB, k *osrlab.Kit, driverName, clusterFile, osrHCL string) string {
	t.Helper()
	ctx := context.Background()
	dir, err := k.DriverProgram(ctx, driverName)
	if err != nil {
		t.Fatal(err)
	}
	img, summary, err := k.BuildWith(ctx, t.TempDir(), driverName, clusterFile, osrHCL, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", summary)
	m, err := k.OSR(ctx, "inspect", img, "--cat", "etc/osr/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m, `"built_in"`) || !strings.Contains(m, `"path": "/usr/libexec/osr/drivers/osr-driver-`+driverName+`"`) {
		t.Fatalf("the manifest of an image with the driver program:\n%s", m)
	}
	return img
}

// machine is a guest booting initrd, its console log kept in $OSR_E2E_LOGDIR
// when set.
func machine(t testing.TB, k *osrlab.Kit, name, initrd string, params ...string) qemu.Machine {
	t.Helper()
	dir := t.TempDir()
	if d := os.Getenv("OSR_E2E_LOGDIR"); d != "" {
		dir = filepath.Join(d, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return k.Machine(name, initrd, dir, params...)
}

// A CPU model the boot matrix runs on.
type cpuModel struct {
	// name is the subtest's name; model is qemu's -cpu ("" for its default).
	name, model string
}

// The boot matrix's CPU models: qemu's default (qemu64: no SSE4.2, AES-NI or
// AVX, so accelerated crypto modules refuse to load) and every feature TCG
// emulates. Every test boots on at least one of them; ext3 and NFS on both,
// each with osr-init on one model and osr-init-plugin on the other.
var (
	cpuDefault = cpuModel{"cpu=default", ""}
	cpuMax     = cpuModel{"cpu=max", qemu.CPUMax}
)

func logTimes(t testing.TB, results []*qemu.Result) {
	t.Helper()
	for _, r := range results {
		if r != nil {
			t.Logf("%s: %.1fs wall, console log %s", r.Name, r.Wall.Seconds(), r.LogPath)
		}
	}
}

// nfsLab starts the test's private network with taps taps and nfs-ganesha
// in it exporting dir; both are stopped when the test ends.
func nfsLab(t *testing.T, ctx context.Context, taps int, dir string) (*netlab.Lab, *ganesha.Server) {
	t.Helper()
	lab, err := netlab.New(ctx, netlab.Options{Taps: taps})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	srv, err := ganesha.Start(ctx, ganesha.Config{NetNS: lab.NS, Addr: lab.Addr.Addr(), Export: dir, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	return lab, srv
}
