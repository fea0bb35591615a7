// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"reflect"
	"strings"
	"testing"
)

func TestTFTPByMAC(t *testing.T) {
	const ack1 = "dnsmasq-dhcp[7]: 3571176210 DHCPACK(br0) 192.168.122.184 52:54:00:00:01:01 \n"
	const ack2 = "dnsmasq-dhcp[7]: 4018307840 DHCPACK(br0) 192.168.122.185 52:54:00:00:01:02 \n"
	sent := func(file, ip string) string { return "dnsmasq-tftp[7]: sent /t/tftp/" + file + " to " + ip + "\n" }
	tests := []struct {
		name string
		log  string
		want map[string]map[string]bool
		err  string
	}{
		{
			name: "two nodes",
			log: ack1 + ack2 + "dnsmasq-dhcp[7]: 4018307840 next server: 192.168.122.1\n" +
				sent("ipxe/menu.ipxe", "192.168.122.184") + sent("ipxe/52-54-00-00-01-01.ipxe", "192.168.122.184") +
				sent("ipxe/menu.ipxe", "192.168.122.185") + sent("vmlinuz", "192.168.122.185"),
			want: map[string]map[string]bool{
				"52:54:00:00:01:01": {"ipxe/menu.ipxe": true, "ipxe/52-54-00-00-01-01.ipxe": true},
				"52:54:00:00:01:02": {"ipxe/menu.ipxe": true, "vmlinuz": true},
			},
		},
		{name: "unknown address", log: ack1 + sent("vmlinuz", "192.168.122.9"), err: "never acknowledged"},
		{name: "outside the root", log: ack1 + "dnsmasq-tftp[7]: sent /etc/passwd to 192.168.122.184\n", err: "outside the TFTP root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tftpByMAC(tc.log, "/t/tftp")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("tftpByMAC = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
