// SPDX-License-Identifier: Apache-2.0

package vlanswitch

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// netns creates a network namespace for the test and deletes it at the end.
func netns(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("creates a network namespace; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root for a network namespace and a tap device; run as root or with -short")
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	ns := fmt.Sprintf("osrswtest-%d-%s", os.Getpid(), hex.EncodeToString(suffix))
	ip(t, "netns", "add", ns)
	t.Cleanup(func() { ip(t, "netns", "del", ns) })
	return ns
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %v: %v: %s", args, err, out)
	}
}

// arpRequest is an ARP request "who has target? tell sender (mac)".
func arpRequest(mac net.HardwareAddr, sender, target net.IP) []byte {
	b := append(append([]byte{}, bcast...), mac...)
	b = binary.BigEndian.AppendUint16(b, 0x0806)
	b = append(b, 0, 1, 8, 0, 6, 4, 0, 1) // Ethernet, IPv4, lengths, request
	b = append(append(b, mac...), sender.To4()...)
	b = append(append(b, make([]byte, 6)...), target.To4()...)
	return b
}

// The host side of VLAN 100 is a tap in a namespace of its own, where the
// kernel has 10.77.0.1. A guest NIC on a trunk port asks, tagged, who has
// 10.77.0.1: the kernel sees the request untagged and answers, and the
// answer reaches the NIC tagged with VLAN 100, by the MAC the switch
// learned. Closing the switch removes the tap.
func TestTapInNamespace(t *testing.T) {
	ns := netns(t)
	tap, err := OpenTap(filepath.Join("/run/netns", ns), "swtap0")
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	host, err := s.AddPort(PortConfig{Name: "host", Mode: Access, VLANs: []uint16{100}})
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Attach(tap); err != nil {
		t.Fatal(err)
	}
	ip(t, "-n", ns, "addr", "add", "10.77.0.1/24", "dev", "swtap0")
	ip(t, "-n", ns, "link", "set", "swtap0", "up")
	if out, err := exec.Command("ip", "link", "show", "swtap0").CombinedOutput(); err == nil {
		t.Fatalf("the tap appeared in the test's own namespace:\n%s", out)
	}
	nic, err := s.AddPort(PortConfig{Name: "nic", Mode: Trunk, VLANs: []uint16{100}})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "nic.sock")
	if err := nic.Listen(sock); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	guest := NewStreamLink(c)
	defer guest.Close()
	mac := net.HardwareAddr{0x52, 0x54, 0x00, 0x00, 0x01, 0x77}
	if err := guest.WriteFrame(Tag(arpRequest(mac, net.IPv4(10, 77, 0, 2), net.IPv4(10, 77, 0, 1)), 100, 0)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, MaxFrame)
	for {
		n, err := guest.ReadFrame(buf)
		if err != nil {
			t.Fatalf("no ARP reply from the namespace's kernel: %v (host port %+v, err %v)", err, host.Stats(), host.Err())
		}
		f, err := Decode(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		if f.VID != 100 {
			t.Fatalf("a frame reached the trunk with VLAN %d, want 100: %x", f.VID, buf[:n])
		}
		u := f.Untagged
		if binary.BigEndian.Uint16(u[12:]) != 0x0806 || len(u) < 42 || binary.BigEndian.Uint16(u[20:]) != 2 {
			continue // the kernel's IPv6 chatter, flooded
		}
		if !bytes.Equal(f.Dst, mac) || !net.IP(u[28:32]).Equal(net.IPv4(10, 77, 0, 1)) {
			t.Fatalf("ARP reply to %v for %v, want to %v for 10.77.0.1", f.Dst, net.IP(u[28:32]), mac)
		}
		break
	}
	// The reply may overtake the counting of the request's write.
	waitFor(t, func() bool { st := host.Stats(); return st.In > 0 && st.Out > 0 }, "the host port to count frames both ways")
	if st := host.Stats(); st.Refused != 0 || st.Lost != 0 {
		t.Errorf("host port counters %+v: want none refused or lost", st)
	}
	closed = true
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "-n", ns, "link", "show", "swtap0").CombinedOutput(); err == nil {
		t.Errorf("the tap outlived the switch:\n%s", out)
	}
}
