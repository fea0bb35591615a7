// SPDX-License-Identifier: Apache-2.0

package qemu

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeQMP serves the QMP sockets of a test: the greeting, capabilities,
// an event before each reply, and then reply for the command. It sends
// every command it got (JSON) on the returned channel.
func fakeQMP(t *testing.T, path, reply string) <-chan string {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(c)
			c.Write([]byte(`{"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}}` + "\r\n"))
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					break
				}
				got <- strings.TrimSpace(line)
				c.Write([]byte(`{"event": "NIC_RX_FILTER_CHANGED", "data": {}}` + "\r\n"))
				if strings.Contains(line, "qmp_capabilities") {
					c.Write([]byte(`{"return": {}}` + "\r\n"))
				} else {
					c.Write([]byte(reply + "\r\n"))
				}
			}
			c.Close()
		}
	}()
	return got
}

func TestSetLink(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	got := fakeQMP(t, sock, `{"return": {}}`)
	in := &Instance{Machine: Machine{Name: "n1", QMP: sock, NICs: []NIC{{MAC: NodeMAC(1)}, {MAC: NodeMAC(2)}}}}
	ctx := context.Background()
	if err := in.SetLink(ctx, 1, false); err != nil {
		t.Fatal(err)
	}
	if c := <-got; c != `{"execute":"qmp_capabilities"}` {
		t.Errorf("first command %s", c)
	}
	var cmd struct {
		Execute   string         `json:"execute"`
		Arguments map[string]any `json:"arguments"`
	}
	if err := json.Unmarshal([]byte(<-got), &cmd); err != nil {
		t.Fatal(err)
	}
	if cmd.Execute != "set_link" || cmd.Arguments["name"] != "net1" || cmd.Arguments["up"] != false {
		t.Errorf("sent %+v, want set_link net1 down", cmd)
	}
	if err := in.SetLink(ctx, 2, true); err == nil || !strings.Contains(err.Error(), "no NIC 2 (the machine has 2)") {
		t.Errorf("SetLink of a missing NIC: %v", err)
	}
	if _, err := (&Instance{Machine: Machine{Name: "n2"}}).QMP(ctx, "stop", nil); err == nil || !strings.Contains(err.Error(), "no QMP socket") {
		t.Errorf("QMP without a socket: %v", err)
	}
}

func TestQMPError(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	fakeQMP(t, sock, `{"error": {"class": "DeviceNotFound", "desc": "Device 'net7' not found"}}`)
	in := &Instance{Machine: Machine{Name: "n1", QMP: sock}}
	_, err := in.QMP(context.Background(), "set_link", map[string]any{"name": "net7", "up": false})
	if err == nil || !strings.Contains(err.Error(), "n1: QMP set_link: DeviceNotFound: Device 'net7' not found") {
		t.Errorf("QMP error reply: %v", err)
	}
}
