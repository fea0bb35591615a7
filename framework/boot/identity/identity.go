// SPDX-License-Identifier: Apache-2.0

// Package identity lists the machine's network cards as the init sees them
// in sysfs (/sys/class/net/<name>/address and type), so the node can be
// found by the MACs of its NICs.
//
// Usage:
//
//	nics, err := identity.ListNICs("/sys")
package identity

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// NIC is one network interface: its kernel name and MAC (lower case).
type NIC struct {
	Name string
	MAC  string
	// Type is the ARPHRD type from sysfs (1 for Ethernet).
	Type int
}

// ListNICs lists the hardware network interfaces under sysfs (normally
// /sys): those with an ARP hardware type below 256 (Ethernet, InfiniBand …,
// not loopback, tunnels or virtual IP links) and a MAC that is not all
// zeroes, sorted by name. The originals did the same (type < 256).
func ListNICs(sysfs string) ([]NIC, error) {
	dir := filepath.Join(sysfs, "class", "net")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	var out []NIC
	for _, e := range ents {
		base := filepath.Join(dir, e.Name())
		typ, err := readInt(filepath.Join(base, "type"))
		if err != nil || typ >= 256 {
			continue
		}
		mac, err := os.ReadFile(filepath.Join(base, "address"))
		if err != nil {
			continue
		}
		m := strings.ToLower(strings.TrimSpace(string(mac)))
		if m == "" || strings.Trim(m, "0:") == "" {
			continue
		}
		out = append(out, NIC{Name: e.Name(), MAC: m, Type: typ})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

func readInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// MACs returns the NICs' MACs in order.
func MACs(nics []NIC) []string {
	out := make([]string, len(nics))
	for i, n := range nics {
		out[i] = n.MAC
	}
	return out
}
