// SPDX-License-Identifier: Apache-2.0

package vlanswitch

import (
	"bytes"
	"encoding/binary"
	"net"
	"strings"
	"testing"
)

var (
	macA  = net.HardwareAddr{0x52, 0x54, 0x00, 0x00, 0x01, 0x01}
	macB  = net.HardwareAddr{0x52, 0x54, 0x00, 0x00, 0x02, 0x02}
	macC  = net.HardwareAddr{0x52, 0x54, 0x00, 0x00, 0x03, 0x03}
	bcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	mcast = net.HardwareAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}
)

// untagged builds an untagged frame from src to dst whose payload names it.
func untagged(dst, src net.HardwareAddr, payload string) []byte {
	b := append(append(append([]byte{}, dst...), src...), 0x86, 0xdd)
	return append(b, payload...)
}

// tagged builds the same frame with an 802.1Q tag.
func tagged(vid uint16, prio uint8, dst, src net.HardwareAddr, payload string) []byte {
	b := append(append(append([]byte{}, dst...), src...), 0x81, 0x00)
	b = binary.BigEndian.AppendUint16(b, uint16(prio)<<13|vid)
	b = append(b, 0x86, 0xdd)
	return append(b, payload...)
}

func TestDecode(t *testing.T) {
	for _, c := range []struct {
		name     string
		in       []byte
		vid      uint16
		prio     uint8
		untagged []byte
		err      string
	}{
		{"untagged", untagged(macB, macA, "x"), 0, 0, untagged(macB, macA, "x"), ""},
		{"VLAN 100", tagged(100, 0, macB, macA, "x"), 100, 0, untagged(macB, macA, "x"), ""},
		{"VLAN 4094 priority 5", tagged(4094, 5, bcast, macA, "yz"), 4094, 5, untagged(bcast, macA, "yz"), ""},
		{"priority tag only", tagged(0, 3, macB, macA, "x"), 0, 3, untagged(macB, macA, "x"), ""},
		{"reserved VLAN 4095", tagged(4095, 0, macB, macA, "x"), 0, 0, nil, "reserved VLAN id 4095"},
		{"runt", untagged(macB, macA, "")[:13], 0, 0, nil, "shorter than an Ethernet header"},
		{"tag without EtherType", tagged(7, 0, macB, macA, "")[:16], 0, 0, nil, "no EtherType after its tag"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := Decode(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("Decode = %v, want an error with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.VID != c.vid || f.Priority != c.prio || !bytes.Equal(f.Untagged, c.untagged) {
				t.Errorf("Decode = VID %d prio %d %x, want VID %d prio %d %x", f.VID, f.Priority, f.Untagged, c.vid, c.prio, c.untagged)
			}
			if !bytes.Equal(f.Src, macA) {
				t.Errorf("source %v, want %v", f.Src, macA)
			}
		})
	}
}

func TestTagRoundTrip(t *testing.T) {
	in := untagged(macB, macA, "payload")
	out := Tag(in, 100, 6)
	if want := tagged(100, 6, macB, macA, "payload"); !bytes.Equal(out, want) {
		t.Fatalf("Tag = %x, want %x", out, want)
	}
	f, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.VID != 100 || f.Priority != 6 || !bytes.Equal(f.Untagged, in) {
		t.Errorf("round trip gave VID %d prio %d %x", f.VID, f.Priority, f.Untagged)
	}
	if !bytes.Equal(in, untagged(macB, macA, "payload")) {
		t.Error("Tag changed its input")
	}
}
