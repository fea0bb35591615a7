// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/open-sharedroot/osr/test/e2e/osrlab"
)

func TestFreeRange(t *testing.T) {
	nodes := func(ips ...string) []osrlab.Node {
		var ns []osrlab.Node
		for i, ip := range ips {
			ns = append(ns, osrlab.Node{ID: i + 1, IP: ip})
		}
		return ns
	}
	addrs := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, a := range s {
			out = append(out, netip.MustParseAddr(a))
		}
		return out
	}
	tests := []struct {
		name   string
		prefix string
		nodes  []osrlab.Node
		want   []netip.Addr
	}{
		{"host at the top", "10.77.0.254/24", nodes("10.77.0.21", "10.77.0.22"), addrs("10.77.0.23", "10.77.0.62")},
		{"host first", "192.168.122.1/24", nodes("192.168.122.11", "192.168.122.12"), addrs("192.168.122.13", "192.168.122.52")},
		{"dhcp nodes take nothing", "192.168.122.1/24", nodes("", ""), addrs("192.168.122.2", "192.168.122.41")},
		{"the longest run", "10.0.0.1/29", nodes("10.0.0.3"), addrs("10.0.0.4", "10.0.0.6")},
		{"no room", "10.0.0.1/30", nodes("10.0.0.2"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := freeRange(netip.MustParsePrefix(tc.prefix), tc.nodes); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("freeRange = %v, want %v", got, tc.want)
			}
		})
	}
}
