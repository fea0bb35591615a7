// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// Link is a network interface the initrd configured because the shared root
// is reached through it.
type Link struct {
	// Name is the kernel's name of the link (eth0, bond0).
	Name string
	// MAC is its hardware address; "" for a link known only by name.
	MAC string
	// Bond is set for a bond; its slaves share its MAC, so it is matched by
	// name.
	Bond bool
	// Slave is set for a bond's slave: it carries no address of its own.
	Slave bool
	// DHCP is set when a DHCP server gave the address.
	DHCP bool
	// Addr is the address set on it, if any.
	Addr netip.Prefix
	// Gateway is the default gateway set through it, if any.
	Gateway netip.Addr
	// DNS are the name servers the initrd learned on it.
	DNS []netip.Addr
	// Auto6 is set when the address came from router advertisements.
	Auto6 bool
	// Routes are the routes set through it besides the default route
	// (a DHCP server's classless static routes).
	Routes []Route
	// Kind is "bond", "vlan" or "bridge" for a link the initrd created, ""
	// for a NIC; VLANParent and VLANID describe a VLAN.
	Kind       string
	VLANParent string
	VLANID     int
}

// Route is a route through a link to Dst, via Gw (invalid: on the link).
type Route struct {
	Dst netip.Prefix
	Gw  netip.Addr
}

// Runtime is what the init tells the running system about the shared root.
type Runtime struct {
	// Mounts are the mount points the initrd made below the root ("/" not
	// included), as paths in the new root: the CDSL link dir, cdsltab binds.
	Mounts []string
	// Links are the network interfaces that carry the root.
	Links []Link
}

// File is one file of the runtime configuration.
type File struct {
	// Path is relative to /run.
	Path string
	// Data is the content of a regular file.
	Data []byte
	// Link, when set, makes the file a symlink to it (a mask: /dev/null).
	Link string
	// Mode is the regular file's mode; 0 means 0644.
	Mode os.FileMode
}

// DropinName is the name of every systemd drop-in osr writes.
const DropinName = "50-osr-shared-root.conf"

const header = "# Written by the osr init at boot (docs/shutdown.md): "

// RuntimeFiles renders the runtime configuration, sorted by path:
//
//   - systemd/system/<mount unit>.d/50-osr-shared-root.conf for every mount
//     of rt.Mounts: DefaultDependencies=no, so the mount does not conflict
//     with umount.target and systemd leaves it in place until
//     systemd-shutdown;
//   - systemd/network/00-osr-<link>.network for every link with an
//     address: systemd-networkd takes the initrd's configuration over as
//     its own (the same static address, gateway and name servers, or DHCP
//     for an address a DHCP server gave; no link-local addresses) with
//     KeepConfiguration=yes, so it never removes the address, and the link
//     counts as configured for systemd-networkd-wait-online; slaves and
//     links without an address are marked Unmanaged=yes;
//   - udev/rules.d/90-osr-shared-root.rules: NM_UNMANAGED=1 on those links,
//     so NetworkManager leaves them alone;
//   - systemd/system/networking.service.d/50-osr-shared-root.conf:
//     EXCLUDE_INTERFACES for ifupdown's ifup -a and ifdown -a, and masks of
//     ifup@<link>.service, ifupdown's hotplug path;
//   - the configuration itself in NetworkManager's and ifupdown's forms
//     (see handoverFiles).
func RuntimeFiles(rt Runtime) []File {
	var files []File
	for _, m := range uniqSorted(rt.Mounts) {
		if m == "/" {
			continue
		}
		files = append(files, File{
			Path: filepath.Join("systemd/system", UnitNameForPath(m, ".mount")+".d", DropinName),
			Data: []byte(header + "the initrd mounted\n# " + m + " for the shared root. Without default dependencies the mount does not\n" +
				"# conflict with umount.target: systemd keeps it until systemd-shutdown, and osr\n" +
				"# unmounts it after the return to /run/initramfs.\n[Unit]\nDefaultDependencies=no\n"),
		})
	}
	if len(rt.Links) == 0 {
		return sortFiles(files)
	}
	var names []string
	var rules bytes.Buffer
	rules.WriteString(header + "these links carry\n# the shared root: NetworkManager must leave them alone.\n")
	for _, l := range rt.Links {
		names = append(names, l.Name)
		files = append(files, File{Path: "systemd/network/00-osr-" + l.Name + ".network", Data: networkdFile(l)})
		files = append(files, File{Path: "systemd/system/ifup@" + l.Name + ".service", Link: "/dev/null"})
		if l.MAC != "" && !l.Bond && !l.Slave {
			fmt.Fprintf(&rules, "SUBSYSTEM==\"net\", ACTION==\"add|change|move\", ATTR{address}==\"%s\", ENV{NM_UNMANAGED}=\"1\"\n", strings.ToLower(l.MAC))
		} else {
			fmt.Fprintf(&rules, "SUBSYSTEM==\"net\", ACTION==\"add|change|move\", KERNEL==\"%s\", ENV{NM_UNMANAGED}=\"1\"\n", l.Name)
		}
	}
	files = append(files, File{Path: "udev/rules.d/90-osr-shared-root.rules", Data: rules.Bytes()})
	files = append(files, handoverFiles(rt.Links)...)
	files = append(files, File{
		Path: filepath.Join("systemd/system/networking.service.d", DropinName),
		Data: []byte(header + "ifupdown neither\n# configures again nor takes down the links that carry the shared root: " + strings.Join(names, ", ") + "\n" +
			"# (their ifup@<link>.service is masked in /run/systemd/system too).\n[Service]\n" +
			"Environment=\"EXCLUDE_INTERFACES=" + strings.Join(names, " ") + "\"\n"),
	})
	return sortFiles(files)
}

// networkdFile is the .network file that hands link l to systemd-networkd
// as it is.
func networkdFile(l Link) []byte {
	var b bytes.Buffer
	b.WriteString(header + l.Name + " carries the shared\n")
	if !l.Addr.IsValid() {
		b.WriteString("# root and has no address of its own: systemd-networkd leaves it alone.\n[Match]\n")
		writeMatch(&b, l)
		b.WriteString("\n[Link]\nUnmanaged=yes\n")
		return b.Bytes()
	}
	if l.DHCP {
		// networkd renews the lease the initrd took: it identifies itself
		// by the MAC as the initrd did (client identifier 01:<mac>), so the
		// server offers the same address; with KeepConfiguration=yes it
		// never drops the address, not even when a lease expires, and it
		// never releases the lease at shutdown.
		b.WriteString("# root: systemd-networkd renews its DHCP lease and never removes its address.\n[Match]\n")
		writeMatch(&b, l)
		b.WriteString("\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\nKeepConfiguration=yes\n")
		b.WriteString("\n[DHCPv4]\nClientIdentifier=mac\nSendRelease=no\n")
		return b.Bytes()
	}
	if l.Auto6 {
		b.WriteString("# root: systemd-networkd keeps taking its address from router advertisements and never removes it.\n[Match]\n")
		writeMatch(&b, l)
		b.WriteString("\n[Network]\nDHCP=no\nIPv6AcceptRA=yes\nKeepConfiguration=yes\n")
		return b.Bytes()
	}
	b.WriteString("# root: systemd-networkd keeps what the initrd configured and never removes it.\n[Match]\n")
	writeMatch(&b, l)
	b.WriteString("\n[Network]\nDHCP=no\nLinkLocalAddressing=no\nIPv6AcceptRA=no\nKeepConfiguration=yes\n")
	fmt.Fprintf(&b, "Address=%s\n", l.Addr)
	if l.Gateway.IsValid() {
		fmt.Fprintf(&b, "Gateway=%s\n", l.Gateway)
	}
	for _, d := range l.DNS {
		fmt.Fprintf(&b, "DNS=%s\n", d)
	}
	for _, r := range l.Routes {
		fmt.Fprintf(&b, "\n[Route]\nDestination=%s\n", r.Dst)
		if r.Gw.IsValid() {
			fmt.Fprintf(&b, "Gateway=%s\n", r.Gw)
		}
	}
	return b.Bytes()
}

func writeMatch(b *bytes.Buffer, l Link) {
	if l.MAC != "" && !l.Bond && !l.Slave {
		fmt.Fprintf(b, "MACAddress=%s\n", strings.ToLower(l.MAC))
		return
	}
	fmt.Fprintf(b, "Name=%s\n", l.Name)
}

func uniqSorted(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		s = filepath.Clean("/" + s)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func sortFiles(files []File) []File {
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files
}

// WriteRuntime writes files below runDir (/run): each regular file through
// a temporary name and a rename, each link replacing what was there.
func WriteRuntime(runDir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(runDir, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("runtime configuration: %w", err)
		}
		if f.Link != "" {
			tmp := p + ".osr-tmp"
			os.Remove(tmp)
			if err := os.Symlink(f.Link, tmp); err != nil {
				return fmt.Errorf("runtime configuration: %w", err)
			}
			if err := os.Rename(tmp, p); err != nil {
				return fmt.Errorf("runtime configuration: %w", err)
			}
			continue
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := atomicfile.WriteFile(p, f.Data, mode); err != nil {
			return fmt.Errorf("runtime configuration: %w", err)
		}
	}
	return nil
}
