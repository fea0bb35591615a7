// SPDX-License-Identifier: Apache-2.0

// Package realos is the acceptance test of osr: a real Debian 12 with systemd,
// booted by several nodes at once from one shared root over NFSv4 with osr's
// initrd, used through ssh as one system, rebooted and powered off.
package realos

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/internal/testos"
	"github.com/open-sharedroot/osr/test/e2e/oslab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab/labtest"
)

// getKit skips under -short, fails without root or the lab's tools, and builds
// osr and its drivers once per test binary.
func getKit(t testing.TB) *osrlab.Kit {
	t.Helper()
	return labtest.Kit(t, "boots a real OS under qemu", "ssh", "ssh-keygen", "tar")
}

func TestMain(m *testing.M) {
	code := m.Run()
	labtest.Close()
	os.Exit(code)
}

// newLab makes the shared Debian root for n nodes on fs (its NFS server, or
// the GFS2 or OCFS2 disk made from it) and osr's initrd; the console logs go
// to $OSR_E2E_LOGDIR/<test> when set.
func newLab(t *testing.T, name string, n int, fs string) *oslab.Lab {
	t.Helper()
	kit := getKit(t)
	root := getRoot(t)
	logDir := ""
	if d := os.Getenv("OSR_E2E_LOGDIR"); d != "" {
		logDir = filepath.Join(d, t.Name())
	}
	start := time.Now()
	l, err := oslab.New(context.Background(), kit, root, oslab.Options{Nodes: n, Name: name, Dir: t.TempDir(), LogDir: logDir, FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("shared root for %d nodes on %s ready in %.1fs; %s", n, fs, time.Since(start).Seconds(), l.BuildSummary)
	if l.Image != "" {
		t.Logf("the root copied onto the %s disk by a populate boot in %.1fs", fs, l.PopulateTime.Seconds())
	}
	return l
}

// getRoot returns the cached Debian root, building it on first use.
func getRoot(t testing.TB) testos.Root {
	t.Helper()
	return testos.Get(t)
}
