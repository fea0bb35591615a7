// SPDX-License-Identifier: Apache-2.0

package netaddr

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseMAC(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"00:0C:29:3B:AA:BB", "00:0c:29:3b:aa:bb", ""},
		{"00-0c-29-3b-aa-bb", "00:0c:29:3b:aa:bb", ""},
		{" 52:54:00:00:01:01 ", "52:54:00:00:01:01", ""},
		{"000c.293b.aabb", "00:0c:29:3b:aa:bb", ""},
		{"00:00:00:00:00:00", "", "all zeros"},
		{"FF:FF:FF:FF:FF:FF", "", "broadcast"},
		{"01:00:5e:00:00:01", "", "multicast"},
		{"00:0c:29:3b:aa", "", "six hex pairs"},
		{"00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", "", "six hex pairs"},
		{"nonsense", "", "six hex pairs"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeMAC(tt.in)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("NormalizeMAC(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPXEName(t *testing.T) {
	hw, err := ParseMAC("52:54:00:AB:01:0F")
	if err != nil {
		t.Fatal(err)
	}
	if got := PXEName(hw); got != "01-52-54-00-ab-01-0f" {
		t.Errorf("PXEName = %q", got)
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		ip, mask      string
		want          string
		wantDefaulted bool
		wantErr       string
	}{
		{"10.0.0.1", "255.255.255.0", "10.0.0.1/24", false, ""},
		{"10.0.0.1", "16", "10.0.0.1/16", false, ""},
		{"10.0.0.1", "/16", "10.0.0.1/16", false, ""},
		{"10.0.0.1", "", "10.0.0.1/24", true, ""},
		{"10.0.0.1/20", "", "10.0.0.1/20", false, ""},
		{"10.0.0.1/20", "255.255.240.0", "10.0.0.1/20", false, ""},
		{"10.0.0.1/20", "255.0.0.0", "", false, "carries /20"},
		{"fd00::5", "", "fd00::5/64", true, ""},
		{"fd00::5", "48", "fd00::5/48", false, ""},
		{"fd00::5/56", "", "fd00::5/56", false, ""},
		{"2001:db8::1", "255.255.255.0", "", false, "IPv6"},
		{"10.0.0.1", "255.0.255.0", "", false, "holes"},
		{"10.0.0.1", "33", "", false, "out of range"},
		{"fd00::1", "129", "", false, "out of range"},
		{"fe80::1%eth0", "", "", false, "zone"},
		{"0.0.0.0", "", "", false, "cannot be"},
		{"224.0.0.1", "", "", false, "cannot be"},
		{"10.0.0", "", "", false, "malformed IP"},
		{"dhcp6", "", "", false, "DHCPv6 is not supported"},
		{"::ffff:10.0.0.1", "24", "10.0.0.1/24", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.ip+"_"+tt.mask, func(t *testing.T) {
			got, defaulted, err := ParsePrefix(tt.ip, tt.mask)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr != "" {
				return
			}
			if got != netip.MustParsePrefix(tt.want) || defaulted != tt.wantDefaulted {
				t.Errorf("ParsePrefix(%q, %q) = %v (defaulted %v), want %s (defaulted %v)", tt.ip, tt.mask, got, defaulted, tt.want, tt.wantDefaulted)
			}
		})
	}
}

func TestParseGateway(t *testing.T) {
	v4 := netip.MustParseAddr("10.0.0.1")
	v6 := netip.MustParseAddr("fd00::1")
	tests := []struct {
		gw      string
		addr    netip.Addr
		wantErr string
	}{
		{"10.0.0.254", v4, ""},
		{"fe80::1", v6, ""},
		{"10.0.0.254", v6, "different IP versions"},
		{"fd00::fe", v4, "different IP versions"},
		{"10.0.0.254", netip.Addr{}, ""},
		{"gateway", v4, "malformed gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.gw, func(t *testing.T) {
			_, err := ParseGateway(tt.gw, tt.addr)
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestIsMethod(t *testing.T) {
	for in, want := range map[string]bool{"dhcp": true, "DHCP": true, " auto6": true, "10.0.0.1": false, "": false, "dhcp6": false} {
		if got := IsMethod(in); got != want {
			t.Errorf("IsMethod(%q) = %v", in, got)
		}
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want one containing %q", err, want)
	}
}
