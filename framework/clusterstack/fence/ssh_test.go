// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/test/e2e/fencehost"
)

// sshDevice plans node2's single ssh device with the given parameters.
func sshDevice(t *testing.T, dev []cluster.Attr) Device {
	t.Helper()
	c := &cluster.Cluster{
		Nodes: []*cluster.Node{{ID: 2, Name: "node2", Fence: []cluster.FenceMethod{{Name: "1",
			Devices: []cluster.FenceDeviceRef{{Name: "host", Attrs: []cluster.Attr{{Name: "port", Value: "node2"}}}}}}}},
		FenceDevices: []cluster.FenceDevice{{Name: "host", Agent: "fence_osr_ssh", Attrs: dev}},
	}
	_, ms, err := Plan(c, 2)
	if err != nil {
		t.Fatal(err)
	}
	return ms[0].Devices[0]
}

func sleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// The ssh method against a real ssh server on loopback: the test's fence host,
// which kills the node's process on "off".
func TestSSHRunner(t *testing.T) {
	fh, err := fencehost.StartWith("127.0.0.1:0", fencehost.Options{Password: "pdu-s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	dir := t.TempDir()
	keyFile, knownFile, err := fh.WriteClientFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(fh.Addr())
	other, err := fencehost.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wrongKnown := filepath.Join(dir, "wrong_known_hosts")
	if err := os.WriteFile(wrongKnown, other.KnownHostsFor(fh.Addr()), 0o600); err != nil {
		t.Fatal(err)
	}
	other.Close()

	attrs := func(kv ...string) []cluster.Attr {
		out := []cluster.Attr{{Name: "ipaddr", Value: host}, {Name: "ipport", Value: port}, {Name: "login", Value: fencehost.User}}
		for i := 0; i < len(kv); i += 2 {
			out = append(out, cluster.Attr{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name    string
		dev     []cluster.Attr
		wantErr string
		killed  bool
	}{
		{"key login, off and status", attrs("identity_file", keyFile, "known_hosts", knownFile, "command", "off {port}", "status_command", "status {port}"), "", true},
		{"password login", attrs("passwd", "pdu-s3cret", "known_hosts", knownFile, "command", "off {port}"), "", true},
		{"status says the node still runs", attrs("identity_file", keyFile, "known_hosts", knownFile, "command", "status {port}", "status_command", "status {port}"),
			`"status node2": exit status 1: node2: on`, false},
		{"status command fails", attrs("identity_file", keyFile, "known_hosts", knownFile, "command", "status node9", "status_command", "status {port}"),
			`exit status 1: node9: unknown node`, false},
		{"wrong host key", attrs("identity_file", keyFile, "known_hosts", wrongKnown, "command", "off {port}"), "key mismatch", false},
		{"no known_hosts file", attrs("identity_file", keyFile, "known_hosts", filepath.Join(dir, "none"), "command", "off {port}"),
			"known_hosts file " + filepath.Join(dir, "none") + " does not exist; put the host key of " + fh.Addr(), false},
		{"wrong password", attrs("passwd", "guess", "known_hosts", knownFile, "command", "off {port}"), "unable to authenticate", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			victim := sleeper(t)
			if err := fh.Register("node2", victim.Process.Pid); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			err := SSHRunner{}.Fence(context.Background(), Job{Victim: Victim{2, "node2"}, Log: NewLog(&log)}, sshDevice(t, tc.dev))
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Fence = %v\n%s", err, log.String())
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Fence = %v; want an error containing %q", err, tc.wantErr)
			}
			dead := false
			exited := make(chan struct{})
			go func() {
				_, _ = victim.Process.Wait()
				close(exited)
			}()
			select {
			case <-exited:
				dead = true
			case <-time.After(200 * time.Millisecond):
			}
			if dead != tc.killed {
				t.Errorf("node process dead = %v, want %v", dead, tc.killed)
			}
			if strings.Contains(log.String(), "pdu-s3cret") {
				t.Errorf("log shows the password:\n%s", log.String())
			}
		})
	}
}

// A server that accepts the connection but never answers: the device's timeout ends
// the attempt.
func TestSSHRunnerTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(known, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := sshDevice(t, []cluster.Attr{{Name: "ipaddr", Value: host}, {Name: "ipport", Value: port}, {Name: "passwd", Value: "x"},
		{Name: "known_hosts", Value: known}, {Name: "command", Value: "off {port}"}, {Name: "timeout", Value: "0.5"}})
	start := time.Now()
	err = SSHRunner{}.Fence(context.Background(), Job{Victim: Victim{2, "node2"}, Log: NewLog(nil)}, d)
	if err == nil {
		t.Fatal("Fence succeeded against a silent server")
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("gave up after %s; want about the 0.5s timeout", el)
	}
}
