// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
)

// handoverFiles hands what the initrd configured on the links that carry
// the root to NetworkManager and ifupdown, in their own forms:
//
//   - NetworkManager/system-connections/osr-<link>.nmconnection: a keyfile
//     (mode 0600, as NetworkManager requires) with the link's addresses,
//     gateway, routes and name servers, or DHCP identified by the MAC as the
//     initrd was. NetworkManager reads /run/NetworkManager/system-connections
//     as dracut's nm-initrd-generator uses it, so `nmcli connection show`
//     lists how the root's links are set up. The udev rule keeps the links
//     unmanaged all the same: NetworkManager deactivates what it manages at
//     shutdown and on restarts, which would cut a node off its root. An admin
//     who wants NetworkManager to take over masks the rule
//     (/etc/udev/rules.d/90-osr-shared-root.rules → /dev/null) and the
//     keyfile carries the same configuration on;
//   - network/ifstate.<link>: ifupdown's state, which says the link is up
//     and configured, so `ifup <link>` does nothing and no second DHCP client
//     runs on it;
//   - network/interfaces.d/osr-<link>: the link's stanza in
//     /etc/network/interfaces syntax (inet static with address, gateway and
//     routes, inet dhcp, inet6 static or auto), for
//     `source /run/network/interfaces.d/*`.
func handoverFiles(links []Link) []File {
	var files []File
	for _, l := range links {
		if !l.Addr.IsValid() && !l.Auto6 {
			continue
		}
		files = append(files,
			File{Path: "NetworkManager/system-connections/osr-" + l.Name + ".nmconnection", Data: nmKeyfile(l), Mode: 0o600},
			File{Path: "network/ifstate." + l.Name, Data: []byte(l.Name + "\n")},
			File{Path: "network/interfaces.d/osr-" + l.Name, Data: ifupdownStanza(l)},
		)
	}
	return files
}

// nmUUID is a stable UUID for the link's connection (same link, same UUID
// at every boot), in the form of a version 5 UUID.
func nmUUID(l Link) string {
	h := sha256.Sum256([]byte("osr shared root link " + l.Name + " " + strings.ToLower(l.MAC)))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func nmKeyfile(l Link) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s%s carries the shared\n# root; the udev rule 90-osr-shared-root.rules keeps it unmanaged.\n", header, l.Name)
	typ := "ethernet"
	switch l.Kind {
	case "bond", "vlan", "bridge":
		typ = l.Kind
	}
	fmt.Fprintf(&b, "[connection]\nid=osr-%s\nuuid=%s\ntype=%s\ninterface-name=%s\nautoconnect=true\n", l.Name, nmUUID(l), typ, l.Name)
	switch {
	case typ == "ethernet" && l.MAC != "":
		fmt.Fprintf(&b, "\n[ethernet]\nmac-address=%s\n", strings.ToUpper(l.MAC))
	case typ == "vlan":
		fmt.Fprintf(&b, "\n[vlan]\nparent=%s\nid=%d\n", l.VLANParent, l.VLANID)
	case typ == "bridge":
		b.WriteString("\n[bridge]\nstp=false\n")
	}
	v4, v6 := "disabled", "ignore"
	switch {
	case l.DHCP:
		v4 = "auto"
	case l.Auto6:
		v6 = "auto"
	case l.Addr.Addr().Is4():
		v4 = "manual"
	default:
		v6 = "manual"
	}
	fmt.Fprintf(&b, "\n[ipv4]\nmethod=%s\n", v4)
	if v4 == "auto" {
		b.WriteString("dhcp-client-id=mac\n")
	}
	if v4 == "manual" {
		writeNMAddr(&b, l)
	}
	fmt.Fprintf(&b, "\n[ipv6]\nmethod=%s\n", v6)
	if v6 == "manual" {
		writeNMAddr(&b, l)
	}
	return b.Bytes()
}

func writeNMAddr(b *bytes.Buffer, l Link) {
	fmt.Fprintf(b, "address1=%s", l.Addr)
	if l.Gateway.IsValid() {
		fmt.Fprintf(b, ",%s", l.Gateway)
	}
	b.WriteString("\n")
	if len(l.DNS) > 0 {
		var ds []string
		for _, d := range l.DNS {
			ds = append(ds, d.String())
		}
		fmt.Fprintf(b, "dns=%s;\n", strings.Join(ds, ";"))
	}
	for i, r := range l.Routes {
		fmt.Fprintf(b, "route%d=%s", i+1, r.Dst)
		if r.Gw.IsValid() {
			fmt.Fprintf(b, ",%s", r.Gw)
		}
		b.WriteString("\n")
	}
}

func ifupdownStanza(l Link) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s%s carries the shared\n# root; networking.service excludes it, so ifupdown never takes it down.\n", header, l.Name)
	switch {
	case l.DHCP:
		fmt.Fprintf(&b, "iface %s inet dhcp\n", l.Name)
		return b.Bytes()
	case l.Auto6:
		fmt.Fprintf(&b, "iface %s inet6 auto\n", l.Name)
		return b.Bytes()
	}
	family := "inet"
	if l.Addr.Addr().Is6() {
		family = "inet6"
	}
	fmt.Fprintf(&b, "iface %s %s static\n    address %s\n", l.Name, family, l.Addr)
	if l.Gateway.IsValid() {
		fmt.Fprintf(&b, "    gateway %s\n", l.Gateway)
	}
	if l.Kind == "vlan" {
		fmt.Fprintf(&b, "    vlan-raw-device %s\n", l.VLANParent)
	}
	for _, r := range l.Routes {
		via := ""
		if r.Gw.IsValid() {
			via = " via " + r.Gw.String()
		}
		fmt.Fprintf(&b, "    up ip route replace %s%s dev %s\n", r.Dst, via, l.Name)
	}
	if len(l.DNS) > 0 {
		var ds []string
		for _, d := range l.DNS {
			ds = append(ds, d.String())
		}
		fmt.Fprintf(&b, "    dns-nameservers %s\n", strings.Join(ds, " "))
	}
	return b.Bytes()
}
