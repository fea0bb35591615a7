// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/open-sharedroot/osr/framework/compat"
)

// TestMain lets the test binary act as the osr command inside testscripts.
func TestMain(m *testing.M) {
	if os.Getenv(exitrdChildEnv) != "" {
		// TestShutdownFromExitrd's child ends in an exec of /shutdown and
		// never returns: testscript.Main would leave its temporary copy of
		// this binary behind.
		os.Exit(m.Run())
	}
	cmds := map[string]func(){
		// osr as the installed program: the commands that talk to drivers exec
		// osr-driverhost, which TestScript builds ($OSR_LIBEXEC_DIR).
		"osr": func() { Main() },
	}
	// The originals' command names, as make install-compat links them.
	for _, name := range compat.Names() {
		cmds[name] = func() {
			os.Exit(runCompat(context.Background(), name, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Args))
		}
	}
	testscript.Main(m, cmds)
}

// builtDrivers builds the four drivers and the example third-party driver (from its
// own module) into a temporary directory of t, which scripts find as $DRIVERS.
func builtDrivers(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	dir := t.TempDir()
	builds := []struct{ dir, pkg, out string }{
		{repo, "./drivers/nfs", "osr-driver-nfs"},
		{repo, "./drivers/gfs2", "osr-driver-gfs2"},
		{repo, "./drivers/ocfs2", "osr-driver-ocfs2"},
		{repo, "./drivers/ext3", "osr-driver-ext3"},
		// osr's own programs, apart from the drivers: osr-driverhost searches
		// the directory it runs from for drivers.
		{repo, "./cmd/osr-driverhost", filepath.Join("libexec", DriverHostName)},
		{repo, "./cmd/osr-init", filepath.Join("libexec", InitName)},
		{repo, "./cmd/osr-init-plugin", filepath.Join("libexec", PluginInitName)},
		{filepath.Join(repo, "examples", "osr-driver-squashfs"), ".", filepath.Join("third-party", "osr-driver-squashfs")},
	}
	for _, b := range builds {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir = b.dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatal(&buildError{b.pkg, string(out), err})
		}
	}
	return dir
}

type buildError struct {
	pkg, out string
	err      error
}

func (e *buildError) Error() string { return "build " + e.pkg + ": " + e.err.Error() + "\n" + e.out }

// TestScript runs the CLI scripts in testdata/script. Each command group keeps its
// scripts in files named after it (cluster_*.txtar, cdsl_*.txtar, …). $DRIVERS holds
// the built drivers and $DRIVERS/third-party the example driver.
func TestScript(t *testing.T) {
	drivers := builtDrivers(t)
	// testscript removes its own go-test-script* directory only when every
	// script ran (not under -run TestScript/name). A short root of ours instead
	// of t.TempDir: drivers put their unix sockets in $WORK/.tmp, and a socket
	// path must fit in 108 bytes.
	work, err := os.MkdirTemp("", "osr-script-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(work); err != nil {
			t.Error(err)
		}
	})
	testscript.Run(t, testscript.Params{
		Dir:         "testdata/script",
		WorkdirRoot: work,
		Setup: func(env *testscript.Env) error {
			env.Setenv("OSR_LOG_LEVEL", "warn")
			env.Setenv("OSR_CACHE_DIR", filepath.Join(env.WorkDir, ".osr-cache"))
			env.Setenv("DRIVERS", drivers)
			env.Setenv(EnvLibexecDir, filepath.Join(drivers, "libexec"))
			_, file, _, _ := runtime.Caller(0)
			env.Setenv("LISTFILES", filepath.Join(filepath.Dir(file), "..", "..", "listfiles"))
			// An empty osr.hcl, so the host's /etc/osr never leaks into a script.
			empty := filepath.Join(env.WorkDir, ".osr-empty.hcl")
			if err := os.WriteFile(empty, nil, 0o644); err != nil {
				return err
			}
			env.Setenv("OSR_CONFIG", empty)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// pids-gone DIR: no process runs a binary from DIR (drivers were killed).
			"pids-gone": func(ts *testscript.TestScript, neg bool, args []string) {
				dir := ts.MkAbs(args[0])
				left := processesUnder(dir)
				if (len(left) == 0) == neg {
					ts.Fatalf("processes running from %s: %v", dir, left)
				}
			},
		},
	})
}

// processesUnder lists the pids whose executable lies in dir itself.
func processesUnder(dir string) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && filepath.Dir(exe) == dir {
			out = append(out, e.Name()+":"+exe)
		}
	}
	return out
}
