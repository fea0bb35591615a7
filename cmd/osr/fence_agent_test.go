package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/clusterstack/fence"
)

// osr started under the name fence_osr is the fence agent, not the CLI.
func TestFenceAgentDispatch(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "osr")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	agent := filepath.Join(dir, fence.AgentName)
	if err := os.Symlink("osr", agent); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(agent, "-o", "off").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != fence.ExitConfig {
		t.Fatalf("fence_osr -o off: %v; want exit %d", err, fence.ExitConfig)
	}
	if !strings.Contains(string(out), "fence_osr: osr's fence agent takes no arguments; dlm_controld writes node=ID and fail_time=SECONDS to its standard input") {
		t.Errorf("output: %s", out)
	}
	// The same binary under its own name is the CLI.
	if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
		t.Errorf("osr version: %v\n%s", err, out)
	}
}
