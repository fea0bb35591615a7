// SPDX-License-Identifier: Apache-2.0

package busybox

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestIsStatic(t *testing.T) {
	// The Go toolchain's own binary is static; /bin/sh (dash) is not.
	goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "gofmt")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "/usr/local/go/bin/gofmt"
	}
	if ok, err := IsStatic(goBin); err != nil || !ok {
		t.Errorf("IsStatic(%s) = %v, %v", goBin, ok, err)
	}
	if ok, err := IsStatic("/bin/sh"); err != nil || ok {
		t.Errorf("IsStatic(/bin/sh) = %v, %v", ok, err)
	}
	if _, err := IsStatic(filepath.Join(t.TempDir(), "nothing")); err == nil {
		t.Error("no error for a missing file")
	}
}

func TestFindAndApplets(t *testing.T) {
	ctx := context.Background()
	bb, err := Find(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := IsStatic(bb); err != nil || !ok {
		t.Fatalf("Find returned %s, static %v, %v", bb, ok, err)
	}
	applets, err := Applets(ctx, bb)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sh", "mount", "switch_root", "tar", "insmod", "ip", "poweroff"} {
		if !slices.Contains(applets, want) {
			t.Errorf("busybox %s lacks applet %s", bb, want)
		}
	}
}

// The fallback for hosts whose /bin/busybox is dynamic: busybox-static
// from the Debian archive, unpacked into the cache.
func TestFetch(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads busybox-static; skipped with -short")
	}
	dir := filepath.Join(t.TempDir(), Package)
	if err := fetch(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if ok, err := IsStatic(filepath.Join(dir, "bin", "busybox")); err != nil || !ok {
		t.Errorf("fetched busybox static %v, %v", ok, err)
	}
}
