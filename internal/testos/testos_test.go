// SPDX-License-Identifier: Apache-2.0

package testos

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestKey(t *testing.T) {
	base := Key("bookworm", "minbase", []string{"udev", "systemd-sysv"})
	tests := []struct {
		name           string
		suite, variant string
		pkgs           []string
		wantSameAsBase bool
	}{
		{name: "order does not matter", suite: "bookworm", variant: "minbase", pkgs: []string{"systemd-sysv", "udev"}, wantSameAsBase: true},
		{name: "another package", suite: "bookworm", variant: "minbase", pkgs: []string{"udev", "systemd-sysv", "dbus"}},
		{name: "another suite", suite: "trixie", variant: "minbase", pkgs: []string{"udev", "systemd-sysv"}},
		{name: "another variant", suite: "bookworm", variant: "essential", pkgs: []string{"udev", "systemd-sysv"}},
		{name: "names do not run together", suite: "bookworm", variant: "minbase", pkgs: []string{"udevsystemd-sysv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Key(tt.suite, tt.variant, tt.pkgs)
			if (got == base) != tt.wantSameAsBase {
				t.Errorf("Key = %s, base %s, want same = %v", got, base, tt.wantSameAsBase)
			}
		})
	}
}

// fakeMmdebstrap puts an mmdebstrap stand-in first on PATH that writes its
// arguments into the output file and counts its runs.
func fakeMmdebstrap(t *testing.T) (counter string) {
	t.Helper()
	bin := t.TempDir()
	counter = filepath.Join(t.TempDir(), "runs")
	script := `#!/bin/sh
echo run >> ` + counter + `
for a; do case "$a" in *.tar) out="$a";; esac; done
sleep 0.2
echo "$@" > "$out"
`
	if err := os.WriteFile(filepath.Join(bin, "mmdebstrap"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return counter
}

func TestFetchConcurrentBuildsOnce(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("Fetch builds only as root")
	}
	counter := fakeMmdebstrap(t)
	cache := t.TempDir()
	const n = 4
	var wg sync.WaitGroup
	roots := make([]Root, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			roots[i], errs[i] = Fetch(context.Background(), Options{CacheDir: cache, Mirror: "http://mirror.invalid/debian"})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Fetch %d: %v", i, errs[i])
		}
		if roots[i] != roots[0] {
			t.Errorf("Fetch %d = %+v, want %+v", i, roots[i], roots[0])
		}
	}
	runs, err := os.ReadFile(counter)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(runs), "run"); got != 1 {
		t.Errorf("mmdebstrap ran %d times, want 1", got)
	}
	if roots[0].Tar != CachePath(cache) {
		t.Errorf("Tar = %s, want %s", roots[0].Tar, CachePath(cache))
	}
	args, err := os.ReadFile(roots[0].Tar)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--variant=minbase", "--include=" + strings.Join(Packages, ","), Suite, "http://mirror.invalid/debian"} {
		if !strings.Contains(string(args), want) {
			t.Errorf("mmdebstrap arguments %q lack %q", args, want)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(cache, "debroot", ".build-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestFetchFailureLeavesNoTar(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("Fetch builds only as root")
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "mmdebstrap"), []byte("#!/bin/sh\necho 'E: cannot reach the mirror' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cache := t.TempDir()
	_, err := Fetch(context.Background(), Options{CacheDir: cache})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the mirror") {
		t.Fatalf("Fetch error = %v, want mmdebstrap's complaint", err)
	}
	if _, serr := os.Stat(CachePath(cache)); !os.IsNotExist(serr) {
		t.Errorf("a failed build left %s (stat: %v)", CachePath(cache), serr)
	}
}
