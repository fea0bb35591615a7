// SPDX-License-Identifier: Apache-2.0

package vlanswitch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
)

// Ethernet header layout: destination and source MAC, then the EtherType,
// or the 802.1Q tag protocol id and the tag control information (priority,
// drop eligibility, VLAN id) before the EtherType.
const (
	macLen    = 6
	headerLen = 2*macLen + 2 // an untagged frame's header
	tagLen    = 4            // TPID + TCI
	vidMask   = 0x0fff
)

// TPID8021Q is the tag protocol id of an 802.1Q tag.
const TPID8021Q = 0x8100

// MaxVID is the highest VLAN id a port can carry (4095 is reserved).
const MaxVID = 4094

// errShort is a frame too short to carry an Ethernet header.
var errShort = errors.New("frame shorter than an Ethernet header")

// Frame is an Ethernet frame as it travels through the switch: untagged,
// with the VLAN it belongs to beside it.
type Frame struct {
	// Dst and Src are the destination and source MAC.
	Dst, Src net.HardwareAddr
	// VID is the VLAN the frame belongs to; 0 means it came untagged.
	VID uint16
	// Priority is the tag's priority code point (0 untagged).
	Priority uint8
	// Untagged is the frame without its 802.1Q tag.
	Untagged []byte
}

// Decode reads a frame. An 802.1Q-tagged frame yields its VLAN id and the
// frame without the tag (a new slice); an untagged one is returned as it
// is, with VID 0. A priority-only tag (VID 0) counts as untagged.
func Decode(b []byte) (Frame, error) {
	if len(b) < headerLen {
		return Frame{}, fmt.Errorf("%w (%d bytes)", errShort, len(b))
	}
	f := Frame{Dst: net.HardwareAddr(b[0:macLen]), Src: net.HardwareAddr(b[macLen : 2*macLen])}
	if binary.BigEndian.Uint16(b[2*macLen:]) != TPID8021Q {
		f.Untagged = b
		return f, nil
	}
	if len(b) < headerLen+tagLen {
		return Frame{}, fmt.Errorf("802.1Q frame of %d bytes has no EtherType after its tag", len(b))
	}
	tci := binary.BigEndian.Uint16(b[2*macLen+2:])
	f.VID, f.Priority = tci&vidMask, uint8(tci>>13)
	if f.VID == vidMask {
		return Frame{}, fmt.Errorf("802.1Q frame with the reserved VLAN id %d", f.VID)
	}
	f.Untagged = make([]byte, 0, len(b)-tagLen)
	f.Untagged = append(f.Untagged, b[:2*macLen]...)
	f.Untagged = append(f.Untagged, b[2*macLen+tagLen:]...)
	return f, nil
}

// Tag returns a copy of the untagged frame b with an 802.1Q tag for vid
// and priority inserted after the MACs.
func Tag(b []byte, vid uint16, priority uint8) []byte {
	out := make([]byte, 0, len(b)+tagLen)
	out = append(out, b[:2*macLen]...)
	out = binary.BigEndian.AppendUint16(out, TPID8021Q)
	out = binary.BigEndian.AppendUint16(out, uint16(priority&7)<<13|vid&vidMask)
	return append(out, b[2*macLen:]...)
}

// isGroup reports whether mac is a broadcast or multicast address.
func isGroup(mac net.HardwareAddr) bool { return mac[0]&1 == 1 }
