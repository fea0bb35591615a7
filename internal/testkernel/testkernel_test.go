// SPDX-License-Identifier: Apache-2.0

package testkernel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestParseDepends(t *testing.T) {
	tests := []struct {
		name, out, want string
		wantErr         bool
	}{
		{name: "debian", out: "linux-image-amd64\n  Depends: linux-image-6.1.0-48-amd64\n", want: "linux-image-6.1.0-48-amd64"},
		{name: "first wins", out: "x\n  Depends: linux-image-6.1.0-1-amd64\n  Depends: linux-image-6.1.0-2-amd64\n", want: "linux-image-6.1.0-1-amd64"},
		{name: "other deps skipped", out: "x\n  Depends: initramfs-tools\n  Depends: linux-image-6.12.0-1-amd64\n", want: "linux-image-6.12.0-1-amd64"},
		{name: "none", out: "linux-image-amd64\n  Recommends: firmware\n", wantErr: true},
		{name: "empty", out: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDepends([]byte(tt.out))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseDepends error = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseDepends = %q, want %q", got, tt.want)
			}
		})
	}
}

// fakeTools puts apt-get, dpkg and depmod stand-ins first on PATH. Each
// apt-get download appends a line to the returned counter file.
func fakeTools(t *testing.T) (counter string) {
	t.Helper()
	bin := t.TempDir()
	counter = filepath.Join(t.TempDir(), "downloads")
	scripts := map[string]string{
		"apt-get": `#!/bin/sh
if [ "$1" = download ]; then
  for last; do :; done
  echo "$last" >> ` + counter + `
  sleep 0.2
  echo deb > "${last}_1.0_amd64.deb"
fi
`,
		"dpkg": `#!/bin/sh
[ "$1" = -x ] || exit 2
mkdir -p "$3/lib/modules/9.9.9-test/kernel" "$3/boot"
echo vmlinuz > "$3/boot/vmlinuz-9.9.9-test"
echo config > "$3/boot/config-9.9.9-test"
`,
		"depmod": `#!/bin/sh
[ "$1" = -b ] || exit 2
: > "$2/lib/modules/$3/modules.dep"
`,
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return counter
}

func TestFetchConcurrentFetchesOnce(t *testing.T) {
	counter := fakeTools(t)
	cache := t.TempDir()
	const n = 4
	var wg sync.WaitGroup
	kernels := make([]Kernel, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kernels[i], errs[i] = Fetch(context.Background(), Options{CacheDir: cache, Package: "linux-image-9.9.9-test"})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Fetch %d: %v", i, err)
		}
		if kernels[i] != kernels[0] {
			t.Errorf("Fetch %d = %+v, want %+v", i, kernels[i], kernels[0])
		}
	}
	data, err := os.ReadFile(counter)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(data), "\n"); got != 1 {
		t.Errorf("apt-get download ran %d times, want 1", got)
	}
	k := kernels[0]
	root := filepath.Join(cache, "kernel", "linux-image-9.9.9-test")
	want := Kernel{
		Package:    "linux-image-9.9.9-test",
		Version:    "9.9.9-test",
		Root:       root,
		ModulesDir: filepath.Join(root, "lib/modules/9.9.9-test"),
		Vmlinuz:    filepath.Join(root, "boot/vmlinuz-9.9.9-test"),
		Config:     filepath.Join(root, "boot/config-9.9.9-test"),
	}
	if k != want {
		t.Errorf("Fetch = %+v, want %+v", k, want)
	}
	// No temp dirs or .deb files are left behind.
	left, _ := filepath.Glob(filepath.Join(cache, "kernel", ".fetch-*"))
	if len(left) != 0 {
		t.Errorf("temporary fetch dirs left: %v", left)
	}
}

func TestFetchReplacesIncompleteTree(t *testing.T) {
	fakeTools(t)
	cache := t.TempDir()
	stale := filepath.Join(cache, "kernel", "linux-image-9.9.9-test", "lib", "modules", "9.9.9-test")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	k, err := Fetch(context.Background(), Options{CacheDir: cache, Package: "linux-image-9.9.9-test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(k.Root, completeMarker)); err != nil {
		t.Errorf("refetched tree lacks the completion marker: %v", err)
	}
}

func TestFetchRejectsBadPackageName(t *testing.T) {
	_, err := Fetch(context.Background(), Options{CacheDir: t.TempDir(), Package: "../etc"})
	if err == nil {
		t.Fatal("Fetch accepted a package name with a slash")
	}
}

func TestGetRealKernel(t *testing.T) {
	k := Get(t)
	for _, p := range []string{k.Vmlinuz, k.Config, k.SystemMap, filepath.Join(k.ModulesDir, "modules.dep"), filepath.Join(k.ModulesDir, "modules.alias")} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("kernel file: %v", err)
		}
		if fi.Size() == 0 {
			t.Errorf("%s is empty", p)
		}
	}
	if !strings.HasSuffix(k.Version, "-amd64") {
		t.Errorf("Version = %q, want a Debian amd64 kernel release", k.Version)
	}
	if k2 := Get(t); k2 != k {
		t.Errorf("second Get = %+v, want %+v", k2, k)
	}
}
