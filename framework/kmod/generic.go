// SPDX-License-Identifier: Apache-2.0

package kmod

import "strings"

// PathRule includes or excludes the modules whose path (relative to the
// modules directory) starts with Prefix. Among the rules matching a path
// the one with the longest prefix decides.
type PathRule struct {
	Prefix  string
	Include bool
}

// GenericRules select the "generic" set: every driver that can bring up a
// network interface or a block device on some machine, because one shared
// root boots many kinds of hardware. Left out are drivers no boot of a
// shared root needs (wireless, WWAN, CAN, amateur radio, ISDN-era WAN and
// serial line protocols, switch chips, test devices, storage target side).
// docs/kmod.md explains each entry.
var GenericRules = []PathRule{
	// Block: disks, controllers, HBAs (FC and SAS for SANs), RAID and
	// device-mapper (multipath, LVM), NVMe hosts, SD/eMMC, USB storage.
	{"kernel/drivers/block/", true},
	{"kernel/drivers/block/xen-blkback/", false},
	{"kernel/drivers/block/null_blk/", false},
	{"kernel/drivers/ata/", true},
	{"kernel/drivers/scsi/", true},
	{"kernel/drivers/message/fusion/", true},
	{"kernel/drivers/nvme/host/", true},
	{"kernel/drivers/md/", true},
	{"kernel/drivers/mmc/", true},
	{"kernel/drivers/usb/storage/", true},
	{"kernel/drivers/nvdimm/", true},
	// Buses and hypervisor transports the disks and NICs sit on.
	{"kernel/drivers/virtio/", true},
	{"kernel/drivers/hv/", true},
	{"kernel/drivers/pci/controller/", true},
	{"kernel/drivers/usb/host/", true},
	// Keyboards for the rescue shell.
	{"kernel/drivers/hid/hid-generic.ko", true},
	{"kernel/drivers/hid/usbhid/", true},
	{"kernel/drivers/input/serio/", true},
	{"kernel/drivers/input/keyboard/atkbd.ko", true},
	// Network: wired NICs, PHYs, USB Ethernet, virtual NICs, bonding,
	// teaming, VLANs and bridges; minus what never carries a root.
	{"kernel/drivers/net/", true},
	{"kernel/drivers/net/wireless/", false},
	{"kernel/drivers/net/xen-netback/", false},
	{"kernel/drivers/net/wwan/", false},
	{"kernel/drivers/net/can/", false},
	{"kernel/drivers/net/arcnet/", false},
	{"kernel/drivers/net/hamradio/", false},
	{"kernel/drivers/net/ieee802154/", false},
	{"kernel/drivers/net/wan/", false},
	{"kernel/drivers/net/ppp/", false},
	{"kernel/drivers/net/slip/", false},
	{"kernel/drivers/net/plip/", false},
	{"kernel/drivers/net/fddi/", false},
	{"kernel/drivers/net/dsa/", false},
	{"kernel/drivers/net/netdevsim/", false},
	{"kernel/drivers/net/ipa/", false},
	{"kernel/drivers/net/caif/", false},
	{"kernel/drivers/net/usb/qmi_wwan.ko", false},
	{"kernel/drivers/net/usb/cdc_mbim.ko", false},
	{"kernel/drivers/net/usb/sierra_net.ko", false},
	{"kernel/drivers/net/usb/hso.ko", false},
	{"kernel/drivers/net/usb/ipheth.ko", false},
	{"kernel/net/8021q/", true},
	{"kernel/net/802/", true},
	{"kernel/net/llc/", true},
	{"kernel/net/bridge/bridge.ko", true},
	{"kernel/net/packet/", true},
	{"kernel/net/ipv6/ipv6.ko", true},
}

// MatchRules reports whether path is included by rules (longest prefix
// wins; no match means excluded). A path with a compression suffix is
// matched in its uncompressed form.
func MatchRules(rules []PathRule, path string) bool {
	path = UncompressedPath(path)
	best, include := -1, false
	for _, r := range rules {
		if len(r.Prefix) > best && strings.HasPrefix(path, r.Prefix) {
			best, include = len(r.Prefix), r.Include
		}
	}
	return include
}

// Generic returns the modules rules select, sorted by path.
func (ix *Index) Generic(rules []PathRule) []*Module {
	var out []*Module
	for _, m := range ix.modules {
		if MatchRules(rules, m.Path) {
			out = append(out, m)
		}
	}
	sortByPath(out)
	return out
}
