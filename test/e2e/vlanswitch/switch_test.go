// SPDX-License-Identifier: Apache-2.0

package vlanswitch

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestPortConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg PortConfig
		err string
	}{
		{PortConfig{Name: "a", Mode: Access, VLANs: []uint16{1}}, ""},
		{PortConfig{Name: "t", Mode: Trunk, VLANs: []uint16{100, 4094}}, ""},
		{PortConfig{Mode: Access, VLANs: []uint16{1}}, "no name"},
		{PortConfig{Name: "a", Mode: Access}, "exactly one VLAN, not 0"},
		{PortConfig{Name: "a", Mode: Access, VLANs: []uint16{1, 2}}, "exactly one VLAN, not 2"},
		{PortConfig{Name: "t", Mode: Trunk}, "at least one VLAN, not 0"},
		{PortConfig{Name: "t", Mode: Trunk, VLANs: []uint16{0}}, "VLAN id 0 is out of range"},
		{PortConfig{Name: "t", Mode: Trunk, VLANs: []uint16{4095}}, "VLAN id 4095 is out of range"},
		{PortConfig{Name: "t", Mode: Trunk, VLANs: []uint16{5, 5}}, "VLAN 5 given twice"},
		{PortConfig{Name: "m", Mode: Mode(7), VLANs: []uint16{5}}, "unknown mode Mode(7)"},
	} {
		err := c.cfg.validate()
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.err)
		}
	}
	s := New()
	defer s.Close()
	if _, err := s.AddPort(PortConfig{Name: "a", Mode: Access, VLANs: []uint16{1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPort(PortConfig{Name: "a", Mode: Access, VLANs: []uint16{2}}); err == nil || !strings.Contains(err.Error(), `port "a" exists already`) {
		t.Errorf("a second port a: %v", err)
	}
}

// A bonded guest's two NICs (trunks of VLANs 100 and 200), the host side
// of VLAN 100 and of VLAN 200 (access ports): frames in the order they
// arrive, each with where it goes and in which form. The steps build on
// each other's learning.
func TestForward(t *testing.T) {
	s := New()
	defer s.Close()
	ports := map[string]*Port{}
	for _, cfg := range []PortConfig{
		{Name: "nic1", Mode: Trunk, VLANs: []uint16{100, 200}},
		{Name: "nic2", Mode: Trunk, VLANs: []uint16{100}},
		{Name: "host100", Mode: Access, VLANs: []uint16{100}},
		{Name: "host200", Mode: Access, VLANs: []uint16{200}},
	} {
		p, err := s.AddPort(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ports[cfg.Name] = p
	}
	refused := map[string]uint64{}
	for _, c := range []struct {
		name    string
		from    string
		frame   []byte
		want    map[string][]byte
		refused bool
	}{
		{"broadcast floods its VLAN only, untagged to access ports", "nic1", tagged(100, 0, bcast, macA, "1"),
			map[string][]byte{"nic2": tagged(100, 0, bcast, macA, "1"), "host100": untagged(bcast, macA, "1")}, false},
		{"reply goes to where A was learned, tagged", "host100", untagged(macA, macB, "2"),
			map[string][]byte{"nic1": tagged(100, 0, macA, macB, "2")}, false},
		{"A moves to nic2 (bond failover); B is known", "nic2", tagged(100, 0, macB, macA, "3"),
			map[string][]byte{"host100": untagged(macB, macA, "3")}, false},
		{"A is now reached on nic2", "host100", untagged(macA, macB, "4"),
			map[string][]byte{"nic2": tagged(100, 0, macA, macB, "4")}, false},
		{"multicast floods", "host100", untagged(mcast, macB, "5"),
			map[string][]byte{"nic1": tagged(100, 0, mcast, macB, "5"), "nic2": tagged(100, 0, mcast, macB, "5")}, false},
		{"unknown unicast floods, priority kept on trunks", "nic1", tagged(100, 5, macC, macA, "6"),
			map[string][]byte{"nic2": tagged(100, 5, macC, macA, "6"), "host100": untagged(macC, macA, "6")}, false},
		{"A back on nic1 too: last seen wins", "host100", untagged(macA, macB, "7"),
			map[string][]byte{"nic1": tagged(100, 0, macA, macB, "7")}, false},
		{"a frame for a MAC on its own port stays there", "host100", untagged(macB, macC, "8"), nil, false},
		{"VLAN 200 is apart: A unknown there, flooded", "host200", untagged(macA, macC, "9"),
			map[string][]byte{"nic1": tagged(200, 0, macA, macC, "9")}, false},
		{"untagged on a trunk is refused", "nic1", untagged(bcast, macA, "r1"), nil, true},
		{"tagged on an access port is refused", "host100", tagged(100, 0, bcast, macB, "r2"), nil, true},
		{"a VLAN the trunk does not carry is refused", "nic2", tagged(200, 0, bcast, macA, "r3"), nil, true},
		{"a runt is refused", "nic1", []byte{1, 2, 3}, nil, true},
		{"priority-tagged counts as untagged on an access port", "host100", tagged(0, 4, macA, macB, "p"),
			map[string][]byte{"nic1": tagged(100, 4, macA, macB, "p")}, false},
	} {
		in := ports[c.from]
		before := in.Stats()
		got := map[string][]byte{}
		for _, d := range s.forward(in, c.frame) {
			if _, dup := got[d.port.Name()]; dup {
				t.Errorf("%s: two deliveries to %s", c.name, d.port.Name())
			}
			got[d.port.Name()] = d.frame
		}
		if fmt.Sprint(keys(got)) != fmt.Sprint(keys(c.want)) {
			t.Errorf("%s: delivered to %v, want %v", c.name, keys(got), keys(c.want))
		}
		for name, w := range c.want {
			if g, ok := got[name]; ok && !bytes.Equal(g, w) {
				t.Errorf("%s: %s gets %x, want %x", c.name, name, g, w)
			}
		}
		after := in.Stats()
		if c.refused {
			refused[c.from]++
		}
		if after.Refused-before.Refused != map[bool]uint64{true: 1}[c.refused] || after.In-before.In != map[bool]uint64{false: 1}[c.refused] {
			t.Errorf("%s: counters %+v → %+v, refused %v", c.name, before, after, c.refused)
		}
	}
	for name, p := range ports {
		if p.Stats().Refused != refused[name] {
			t.Errorf("%s refused %d frames, want %d", name, p.Stats().Refused, refused[name])
		}
	}
}

func keys(m map[string][]byte) []string {
	var ks []string
	for _, n := range []string{"nic1", "nic2", "host100", "host200"} {
		if _, ok := m[n]; ok {
			ks = append(ks, n)
		}
	}
	return ks
}

// Two qemu-style stream clients on two trunk ports: a tagged broadcast
// from one reaches the other with its tag; a frame for a port without a
// link is counted lost; Close removes the sockets.
func TestStreamPorts(t *testing.T) {
	dir := t.TempDir()
	s := New()
	var ps []*Port
	for i := 1; i <= 3; i++ {
		p, err := s.AddPort(PortConfig{Name: fmt.Sprint("nic", i), Mode: Trunk, VLANs: []uint16{100}})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Listen(fmt.Sprintf("%s/nic%d.sock", dir, i)); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	var clients []*StreamLink
	for i := 1; i <= 2; i++ {
		c, err := net.Dial("unix", fmt.Sprintf("%s/nic%d.sock", dir, i))
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, NewStreamLink(c))
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	// The switch attaches an accepted connection in its own time.
	waitFor(t, func() bool { return ps[0].Linked() && ps[1].Linked() && !ps[2].Linked() }, "nic1 and nic2 to be linked")
	want := tagged(100, 0, bcast, macA, "hello")
	if err := clients[0].WriteFrame(want); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, MaxFrame)
	n, err := clients[1].ReadFrame(buf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf[:n], want) {
		t.Errorf("nic2 got %x, want %x", buf[:n], want)
	}
	if st := ps[0].Stats(); st.In != 1 {
		t.Errorf("nic1: %+v, want one frame in", st)
	}
	// The counters are written after a frame left the port's queue, which
	// may be after the client read it: wait for them briefly. nic3 has no
	// client: the flood's copy for it is lost.
	waitFor(t, func() bool { return ps[1].Stats().Out == 1 }, "nic2 to count its frame out")
	waitFor(t, func() bool { return ps[2].Stats().Lost == 1 }, "nic3 to count its frame lost")
	if st := ps[1].Stats(); st != (Stats{Out: 1}) {
		t.Errorf("nic2: %+v, want one frame out and nothing else", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := net.Dial("unix", fmt.Sprintf("%s/nic%d.sock", dir, i)); err == nil {
			t.Errorf("nic%d still accepts after Close", i)
		}
	}
	if _, err := clients[0].ReadFrame(buf); err == nil {
		t.Error("a client's connection outlived the switch")
	}
}

// A frame longer than the reader's buffer is an error, not a short read.
func TestStreamLinkRejectsLongFrame(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go NewStreamLink(a).WriteFrame(make([]byte, 100))
	_, err := NewStreamLink(b).ReadFrame(make([]byte, 50))
	if err == nil || !strings.Contains(err.Error(), "frame of 100 bytes, longer than 50") {
		t.Errorf("ReadFrame: %v", err)
	}
}

func TestListenRejectsLongPath(t *testing.T) {
	s := New()
	defer s.Close()
	p, err := s.AddPort(PortConfig{Name: "nic1", Mode: Trunk, VLANs: []uint16{1}})
	if err != nil {
		t.Fatal(err)
	}
	long := "/tmp/" + strings.Repeat("d", 110) + "/nic1.sock"
	if err := p.Listen(long); err == nil || !strings.Contains(err.Error(), "longer than the 107 a unix socket takes") {
		t.Errorf("Listen(%d bytes): %v", len(long), err)
	}
}
