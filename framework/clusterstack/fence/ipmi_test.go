// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bougou/go-ipmi/pkg/client"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// bmc is OpenIPMI's BMC simulator (ipmi_sim, Debian package openipmi) on loopback,
// whose chassis control program powers a "node" (a sleep process of the test) off by
// killing it and reports power on while it runs.
type bmc struct {
	addr    string
	dir     string
	node    *exec.Cmd
	nodeEnd chan struct{}
}

const bmcChassisScript = `#!/bin/sh
# ipmi_sim's chassis_control program: $1 MC address, $2 get|set, then names (and values).
dir=%q
node_on() { kill -0 "$(cat "$dir/node.pid")" 2>/dev/null || [ -e "$dir/powered-on" ]; }
mc=$1; op=$2; shift 2
case $op in
get)
	for name in "$@"; do
		case $name in
		power) if node_on; then echo power:1; else echo power:0; fi ;;
		esac
	done ;;
set)
	while [ $# -ge 2 ]; do
		if [ "$1" = power ] && [ ! -e "$dir/stuck" ]; then
			case $2 in
			0) kill -9 "$(cat "$dir/node.pid")" 2>/dev/null; rm -f "$dir/powered-on"; echo off >> "$dir/requests" ;;
			1) touch "$dir/powered-on"; echo on >> "$dir/requests" ;;
			esac
		fi
		shift 2
	done ;;
esac
exit 0
`

const bmcLanConf = `name "osrfence"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 %d
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "%s 0x20"
  user 2 true  "admin"   "bmc-s3cret" admin  10 none md2 md5 straight
`

const bmcCommands = `mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02
mc_enable 0x20
`

func startBMC(t *testing.T) *bmc {
	t.Helper()
	sim, err := exec.LookPath("ipmi_sim")
	if err != nil {
		t.Skip("ipmi_sim is not installed (Debian package openipmi, which scripts/install-deps.sh installs)")
	}
	dir := t.TempDir()
	b := &bmc{dir: dir, nodeEnd: make(chan struct{})}
	b.node = exec.Command("sleep", "600")
	if err := b.node.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = b.node.Wait()
		close(b.nodeEnd)
	}()
	t.Cleanup(func() { _ = b.node.Process.Kill(); <-b.nodeEnd })
	write := func(name, data string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("node.pid", strconv.Itoa(b.node.Process.Pid), 0o644)
	script := write("chassis.sh", fmt.Sprintf(bmcChassisScript, dir), 0o755)
	port := freeUDPPort(t)
	lan := write("lan.conf", fmt.Sprintf(bmcLanConf, port, script), 0o600)
	cmds := write("cmds.emu", bmcCommands, 0o644)
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(sim, "-c", lan, "-f", cmds, "-s", state, "-n")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	b.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Wait until the simulator answers a session.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := client.NewClient("127.0.0.1", port, "admin", "bmc-s3cret")
		if err == nil {
			c.WithTimeout(500 * time.Millisecond).WithRetry(0)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err = c.Connect(ctx)
			if err == nil {
				_ = c.Close(ctx)
				cancel()
				break
			}
			cancel()
		}
		if time.Now().After(deadline) {
			t.Fatalf("ipmi_sim does not answer on %s: %v\n%s", b.addr, err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return b
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func (b *bmc) nodeDead() bool {
	select {
	case <-b.nodeEnd:
		return true
	case <-time.After(500 * time.Millisecond):
		return false
	}
}

func (b *bmc) requests() string {
	data, _ := os.ReadFile(filepath.Join(b.dir, "requests"))
	return strings.TrimSpace(string(data))
}

func ipmiDevice(t *testing.T, b *bmc, kv ...string) Device {
	t.Helper()
	host, port, _ := net.SplitHostPort(b.addr)
	attrs := []cluster.Attr{{Name: "ipaddr", Value: host}, {Name: "ipport", Value: port}, {Name: "login", Value: "admin"}}
	for i := 0; i < len(kv); i += 2 {
		attrs = append(attrs, cluster.Attr{Name: kv[i], Value: kv[i+1]})
	}
	c := &cluster.Cluster{
		Nodes:        []*cluster.Node{{ID: 2, Name: "node2", Fence: []cluster.FenceMethod{{Name: "1", Devices: []cluster.FenceDeviceRef{{Name: "bmc"}}}}}},
		FenceDevices: []cluster.FenceDevice{{Name: "bmc", Agent: "fence_ipmilan", Attrs: attrs}},
	}
	_, ms, err := Plan(c, 2)
	if err != nil {
		t.Fatal(err)
	}
	return ms[0].Devices[0]
}

// IPMI power off against a real BMC simulator over lanplus: the node dies, the
// chassis then reports off, and a second fence finds it already off.
func TestIPMIRunnerPowersOff(t *testing.T) {
	b := startBMC(t)
	var log bytes.Buffer
	job := Job{Victim: Victim{2, "node2"}, Log: NewLog(&log)}
	// No cipher given: the library asks the BMC for its cipher suites, which ipmi_sim
	// does not answer; a short request timeout keeps that fallback quick.
	d := ipmiDevice(t, b, "passwd", "bmc-s3cret", "timeout", "0.5")
	job.Log.Secret(d.Secrets()...)
	if err := (IPMIRunner{}).Fence(context.Background(), job, d); err != nil {
		t.Fatalf("Fence = %v\n%s", err, log.String())
	}
	if !b.nodeDead() {
		t.Error("the node's process still runs after the power off")
	}
	if got := b.requests(); got != "off" {
		t.Errorf("chassis requests = %q, want one off", got)
	}
	if !strings.Contains(log.String(), "chassis power is off") {
		t.Errorf("log:\n%s", log.String())
	}
	log.Reset()
	if err := (IPMIRunner{}).Fence(context.Background(), job, d); err != nil {
		t.Fatalf("second Fence = %v", err)
	}
	if !strings.Contains(log.String(), "chassis power is already off") || b.requests() != "off" {
		t.Errorf("second fence: requests %q, log:\n%s", b.requests(), log.String())
	}
	if strings.Contains(log.String(), "bmc-s3cret") {
		t.Error("the log shows the BMC password")
	}
}

// action=reboot powers the node on again once off is confirmed; the password may come
// from a passwd_script.
func TestIPMIRunnerRebootWithPasswordScript(t *testing.T) {
	b := startBMC(t)
	script := filepath.Join(b.dir, "pw.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho bmc-s3cret\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	d := ipmiDevice(t, b, "passwd_script", script, "action", "reboot", "cipher", "3")
	if err := (IPMIRunner{}).Fence(context.Background(), Job{Victim: Victim{2, "node2"}, Log: NewLog(&log)}, d); err != nil {
		t.Fatalf("Fence = %v\n%s", err, log.String())
	}
	if !b.nodeDead() {
		t.Error("the node was not powered off first")
	}
	if got := b.requests(); got != "off\non" {
		t.Errorf("chassis requests = %q, want off then on", got)
	}
	if strings.Contains(log.String(), "bmc-s3cret") {
		t.Errorf("the log shows the password from passwd_script:\n%s", log.String())
	}
}

// A wrong password and a chassis that stays on are failures, never a fence.
func TestIPMIRunnerFailures(t *testing.T) {
	b := startBMC(t)
	job := Job{Victim: Victim{2, "node2"}, Log: NewLog(nil)}
	err := (IPMIRunner{}).Fence(context.Background(), job, ipmiDevice(t, b, "passwd", "wrong", "cipher", "3", "timeout", "1"))
	if err == nil || !strings.Contains(err.Error(), `log in to BMC `+b.addr+` as "admin"`) {
		t.Errorf("wrong password: %v", err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "stuck"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err = (IPMIRunner{}).Fence(context.Background(), job, ipmiDevice(t, b, "passwd", "bmc-s3cret", "cipher", "3", "power_timeout", "1.5"))
	if err == nil || !strings.Contains(err.Error(), "chassis power still on 1.5s after power off") {
		t.Errorf("stuck chassis: %v", err)
	}
	if b.nodeDead() {
		t.Error("the node died although the chassis ignored the power off")
	}
}

// lanplus=0 speaks IPMI 1.5 (for old BMCs) to the same simulator.
func TestIPMIRunnerIPMI15(t *testing.T) {
	b := startBMC(t)
	var log bytes.Buffer
	d := ipmiDevice(t, b, "passwd", "bmc-s3cret", "lanplus", "0")
	if err := (IPMIRunner{}).Fence(context.Background(), Job{Victim: Victim{2, "node2"}, Log: NewLog(&log)}, d); err != nil {
		t.Fatalf("Fence = %v\n%s", err, log.String())
	}
	if !b.nodeDead() || b.requests() != "off" {
		t.Errorf("node dead %v, requests %q", b.nodeDead(), b.requests())
	}
}
