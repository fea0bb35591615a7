// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/clusterstack/fence"
	"github.com/open-sharedroot/osr/framework/shutdown"
	"github.com/open-sharedroot/osr/test/e2e/fencehost"
)

// buildOSR builds osr and osr-init into a directory of the test and returns
// osr's path: osr started as fence_osr or /shutdown execs the osr-init beside it.
func buildOSR(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for out, pkg := range map[string]string{"osr": "../../cmd/osr", InitName: "../../cmd/osr-init"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, out), pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
	}
	return filepath.Join(dir, "osr")
}

// osr started under the name fence_osr is the fence agent, not the CLI.
func TestFenceAgentDispatch(t *testing.T) {
	bin := buildOSR(t)
	agent := filepath.Join(t.TempDir(), fence.AgentName)
	if err := os.Symlink(bin, agent); err != nil {
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

// The agent process as dlm_controld runs it: the request on stdin, stdout and stderr
// at /dev/null, the exit status as the verdict. It fences through an ssh fence host on
// loopback, which kills the victim's stand-in process. The agent runs in a private
// mount namespace whose /dev/kmsg and /var/log are the test's files, so the host's
// logs stay untouched.
func TestFenceAgentProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a private mount namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	bin := buildOSR(t)
	dir := t.TempDir()
	agent := filepath.Join(dir, fence.AgentName)
	if err := os.Symlink(bin, agent); err != nil {
		t.Fatal(err)
	}
	fh, err := fencehost.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	key, known, err := fh.WriteClientFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(fh.Addr())
	conf := filepath.Join(dir, "cluster.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`<?xml version="1.0"?>
<cluster name="osrc" config_version="1">
  <clusternodes>
    <clusternode name="node1" nodeid="1"><fence><method name="1"><device name="host" port="node1"/></method></fence></clusternode>
    <clusternode name="node2" nodeid="2"><fence><method name="1"><device name="host" port="node2"/></method></fence></clusternode>
  </clusternodes>
  <fencedevices>
    <fencedevice name="host" agent="fence_osr_ssh" ipaddr=%q ipport=%q login="fence" identity_file=%q known_hosts=%q
                 command="off {port}" status_command="status {port}" timeout="10"/>
  </fencedevices>
</cluster>
`, host, port, key, known)), 0o600); err != nil {
		t.Fatal(err)
	}
	victim := exec.Command("sleep", "600")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	victimDone := make(chan error, 1)
	go func() { victimDone <- victim.Wait() }()
	defer victim.Process.Kill()
	if err := fh.Register("node2", victim.Process.Pid); err != nil {
		t.Fatal(err)
	}

	kmsg := filepath.Join(dir, "kmsg")
	logDir := filepath.Join(dir, "log")
	if err := os.WriteFile(kmsg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string) int {
		t.Helper()
		script := `mount --make-rprivate / && mount --bind "$1" /dev/kmsg && mount --bind "$2" /var/log && exec "$3" </dev/stdin >/dev/null 2>&1`
		cmd := exec.Command("unshare", "--mount", "sh", "-c", script, "sh", kmsg, logDir, agent)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitCode()
		}
		t.Fatalf("run agent: %v\n%s", err, out)
		return -1
	}

	if code := run(fmt.Sprintf("config=%s\nnode=2\nfail_time=%d\n", conf, time.Now().Unix())); code != fence.ExitFenced {
		k, _ := os.ReadFile(kmsg)
		t.Fatalf("agent exit %d, want %d\nkernel log:\n%s", code, fence.ExitFenced, k)
	}
	select {
	case <-victimDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the agent reported success but the victim still runs")
	}
	evs := fh.Fenced()
	if len(evs) != 1 || evs[0].Node != "node2" || evs[0].Err != "" {
		t.Errorf("fence host events = %+v", evs)
	}
	k, _ := os.ReadFile(kmsg)
	for _, want := range []string{"<2>fence_osr: fencing node node2 (id 2)", `<5>fence_osr: ssh fence@` + fh.Addr() + `: "off node2" succeeded: node2: off`,
		`status "status node2" confirms off`, "<2>fence_osr: node node2 (id 2) is fenced: method \"1\" succeeded"} {
		if !strings.Contains(string(k), want) {
			t.Errorf("kernel log lacks %q:\n%s", want, k)
		}
	}
	logFile := filepath.Join(logDir, "osr", "fence.log")
	if st, err := os.Stat(logFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("agent log file: %v, %v", st, err)
	}

	// node1 is not registered with the fence host: "off node1" fails, so does the agent.
	if code := run(fmt.Sprintf("config=%s\nnode=1\n", conf)); code != fence.ExitFailed {
		t.Errorf("fencing an unknown node: exit %d, want %d", code, fence.ExitFailed)
	}
	// A node the configuration does not know.
	if code := run(fmt.Sprintf("config=%s\nnode=9\n", conf)); code != fence.ExitConfig {
		t.Errorf("node 9: exit %d, want %d", code, fence.ExitConfig)
	}
}

// The chroot the cluster stack builds and the agent agree on where things are.
func TestFencePathsMatchTheChroot(t *testing.T) {
	if fence.ClusterConfigPath != clusterstack.ClusterConfigPath {
		t.Errorf("the agent reads %s, the chroot has the cluster file at %s", fence.ClusterConfigPath, clusterstack.ClusterConfigPath)
	}
	if filepath.Base(clusterstack.FenceAgentPath) != fence.AgentName {
		t.Errorf("the chroot's agent %s is not named %s, so osr would not act as the agent", clusterstack.FenceAgentPath, fence.AgentName)
	}
}

// osr recognises osr-init's roles by the names their packages give them.
func TestRoleNames(t *testing.T) {
	if fenceAgentName != fence.AgentName {
		t.Errorf("osr execs osr-init as %q, the fence agent is %q", fenceAgentName, fence.AgentName)
	}
	if shutdownBinaryName != shutdown.BinaryName {
		t.Errorf("osr execs osr-init as %q, systemd's shutdown is %q", shutdownBinaryName, shutdown.BinaryName)
	}
}
