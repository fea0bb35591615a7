// SPDX-License-Identifier: Apache-2.0

package driverhost

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
)

// testDriver is served by the test binary itself when OSR_HOST_TEST_DRIVER is set.
// The name "hang" makes Describe block until osr gives up.
type testDriver struct{ name string }

func (d testDriver) Describe(ctx context.Context) (*driver.Info, error) {
	if d.name == "hang" {
		<-ctx.Done()
		select {} // never answer, like a driver stuck in the kernel
	}
	return &driver.Info{Name: d.name, Version: "9.9", FSTypes: []string{"testfs"},
		Schema: driver.Schema{Attributes: []driver.Attribute{{Name: "x", Type: cty.String, Default: cty.StringVal("")}}}}, nil
}
func (testDriver) ValidateConfig(context.Context, driver.ValidateRequest) (driver.Diagnostics, error) {
	return nil, nil
}
func (testDriver) Plan(context.Context, driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	return &driver.Plan{}, nil, nil
}

func TestMain(m *testing.M) {
	if name := os.Getenv("OSR_HOST_TEST_DRIVER"); name != "" {
		plugin.Serve(func(hclog.Logger) driver.Driver { return testDriver{name: name} })
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// installDriver puts a driver binary (a wrapper that runs this test binary as a
// driver calling itself name) into dir as osr-driver-<file>.
func installDriver(t *testing.T, dir, file, name string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, BinaryPrefix+file)
	script := "#!/bin/sh\nOSR_HOST_TEST_DRIVER=" + name + " exec " + exe + " \"$@\"\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDiscover(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	installDriver(t, a, "one", "one")
	installDriver(t, b, "one", "one") // shadowed by a's
	installDriver(t, b, "two", "two")
	if err := os.WriteFile(filepath.Join(a, BinaryPrefix+"noexec"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(a, BinaryPrefix+"dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a, "other-tool"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Discover([]string{a, filepath.Join(a, "missing"), b})
	if err != nil {
		t.Fatal(err)
	}
	want := []Candidate{{"one", filepath.Join(a, BinaryPrefix+"one")}, {"two", filepath.Join(b, BinaryPrefix+"two")}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Discover() = %v; want %v", got, want)
	}
}

func TestSearchDirsOrder(t *testing.T) {
	t.Setenv(EnvPath, "/env/a:/env/b")
	got := SearchDirs([]string{"/flag"}, []string{"/cfg", "/flag"})
	want := []string{"/flag", "/env/a", "/env/b", "/cfg", DefaultDir}
	for i, w := range want {
		if i >= len(got) || got[i] != w {
			t.Fatalf("SearchDirs() = %v; want prefix %v", got, want)
		}
	}
}

func pidGone(pid int) bool {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join("/proc", itoa(pid))); err != nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestStartAndClose(t *testing.T) {
	dir := t.TempDir()
	installDriver(t, dir, "alpha", "alpha")
	installDriver(t, dir, "beta", "beta")
	installDriver(t, dir, "liar", "somebody-else")
	h := New(Options{Dirs: []string{dir}})
	ctx := context.Background()
	var pids []int
	for _, n := range []string{"alpha", "beta"} {
		d, err := h.Start(ctx, n)
		if err != nil {
			t.Fatalf("Start(%s) error = %v", n, err)
		}
		if d.Info.Name != n || d.Info.Version != "9.9" {
			t.Errorf("Start(%s) info = %+v", n, d.Info)
		}
		again, _ := h.Start(ctx, n)
		if again != d {
			t.Errorf("Start(%s) twice started two processes", n)
		}
		pids = append(pids, d.PID())
	}
	if _, err := h.Start(ctx, "liar"); err == nil || !strings.Contains(err.Error(), `calls itself "somebody-else"`) {
		t.Errorf("Start(liar) error = %v; want a name mismatch", err)
	}
	if _, err := h.Start(ctx, "gamma"); err == nil || !strings.Contains(err.Error(), "drivers found: alpha, beta, liar") {
		t.Errorf("Start(gamma) error = %v; want the list of drivers found", err)
	}
	h.Close()
	for _, pid := range pids {
		if !pidGone(pid) {
			t.Errorf("driver pid %d still exists after Close", pid)
		}
	}
}

func TestExplicitPath(t *testing.T) {
	dir := t.TempDir()
	p := installDriver(t, dir, "renamed", "alpha")
	h := New(Options{Paths: map[string]string{"alpha": p}})
	defer h.Close()
	d, err := h.Start(context.Background(), "alpha")
	if err != nil || d.Path != p {
		t.Fatalf("Start(alpha via path) = %v, %v", d, err)
	}
	h2 := New(Options{Paths: map[string]string{"alpha": filepath.Join(dir, "nope")}})
	if _, err := h2.Find("alpha"); err == nil || !strings.Contains(err.Error(), "not an executable file") {
		t.Errorf("Find(missing explicit path) error = %v", err)
	}
}

// A command interrupted while a driver is busy (Ctrl-C cancels the command's
// context) returns at once and leaves no driver process behind.
func TestInterruptKillsBusyDriver(t *testing.T) {
	dir := t.TempDir()
	installDriver(t, dir, "hang", "hang")
	h := New(Options{Dirs: []string{dir}})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	_, err := h.Start(ctx, "hang")
	if err == nil {
		t.Fatal("Start(hanging driver, interrupted) succeeded")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Start returned %v after the interrupt", took)
	}
	h.Close()
	left := ""
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && strings.Contains(string(cmdline), "OSR_HOST_TEST_DRIVER=hang") {
			left += " " + e.Name()
		}
	}
	if left != "" {
		t.Errorf("driver processes left after the interrupt:%s", left)
	}
}
