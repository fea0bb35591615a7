// SPDX-License-Identifier: Apache-2.0

// Package labtest gives the boot test packages their one osrlab.Kit per test
// binary: the checks every boot test makes first (not -short, root, the
// lab's tools) and the build of osr and its drivers, done once.
//
// Usage:
//
//	func TestMain(m *testing.M) { code := m.Run(); labtest.Close(); os.Exit(code) }
//	k := labtest.Kit(t, "boots guests under qemu", "mkfs.gfs2")
package labtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/internal/testkernel"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
)

// baseTools are what every boot needs: qemu, ip for the taps and namespaces,
// and the NFS server.
var baseTools = []string{"qemu-system-x86_64", "ip", "ganesha.nfsd", "rpcbind"}

var (
	mu  sync.Mutex
	kit *osrlab.Kit
	err error
	did bool
)

// Kit skips the test under -short (what says why: "boots guests under
// qemu"), fails it without root or without one of the lab's tools (the base
// ones and tools), and returns the test binary's kit, built on first use.
func Kit(t testing.TB, what string, tools ...string) *osrlab.Kit {
	t.Helper()
	if testing.Short() {
		t.Skip(what + "; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the boot tests need root (network namespaces, taps, nfs-ganesha); run as root or with -short")
	}
	for _, tool := range append(append([]string{}, baseTools...), tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run scripts/install-deps.sh (make deps)", tool)
		}
	}
	k := testkernel.Get(t)
	mu.Lock()
	defer mu.Unlock()
	if !did {
		did = true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		kit, err = osrlab.NewKit(ctx, repoRoot(), k)
	}
	if err != nil {
		t.Fatalf("boot kit: %v", err)
	}
	return kit
}

// Close removes the kit's binaries, if a test made the kit.
func Close() {
	mu.Lock()
	defer mu.Unlock()
	if kit != nil {
		kit.Close()
		kit = nil
	}
}

// repoRoot is the source tree this file belongs to.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", "..", ".."))
}
