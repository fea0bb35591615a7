// SPDX-License-Identifier: Apache-2.0

package qemu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// NetBootROMDirs are the directories searched for the virtio NIC's iPXE boot
// ROM, in order: qemu's data directory (where Debian's qemu-system-data links
// the ROMs of ipxe-qemu) and ipxe-qemu's own directory.
var NetBootROMDirs = []string{"/usr/share/qemu", "/usr/lib/ipxe/qemu"}

// NetBootROMNames are the ROM files tried in each directory: the legacy
// BIOS PXE image, then the combined image whose first part is the same.
var NetBootROMNames = []string{"pxe-virtio.rom", "efi-virtio.rom"}

// Virtio network device IDs as a boot ROM's PCI data structure names them:
// the transitional (legacy) device and the modern-only one.
const (
	virtioVendor    = 0x1af4
	virtioNetLegacy = 0x1000
	virtioNetModern = 0x1041
)

// FindNetBootROM returns the first iPXE ROM for virtio NICs found in
// NetBootROMDirs, or an error that lists the paths tried.
func FindNetBootROM() (string, error) {
	var tried []string
	for _, dir := range NetBootROMDirs {
		for _, name := range NetBootROMNames {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	return "", fmt.Errorf("no iPXE boot ROM for virtio NICs (tried %s): install Debian's ipxe-qemu (scripts/install-deps.sh)", strings.Join(tried, ", "))
}

// NetBootNIC returns a virtio NIC with MAC and tap that boots from the
// network with the ROM found by FindNetBootROM. SeaBIOS runs a PCI option
// ROM only when the ROM's device ID is the card's own: ipxe-qemu's ROM is
// built for the modern virtio-net device (1af4:1041), while qemu's
// virtio-net-pci is transitional (1af4:1000) unless legacy is disabled, so
// the NIC is made modern-only when the ROM says so.
func NetBootNIC(mac, tap string) (NIC, error) {
	rom, err := FindNetBootROM()
	if err != nil {
		return NIC{}, err
	}
	vendor, device, err := ROMPCIID(rom)
	if err != nil {
		return NIC{}, err
	}
	nic := NIC{MAC: mac, Tap: tap, ROM: rom}
	switch {
	case vendor == virtioVendor && device == virtioNetModern:
		nic.ModernOnly = true
	case vendor == virtioVendor && device == virtioNetLegacy:
	default:
		return NIC{}, fmt.Errorf("%s is a boot ROM for PCI device %04x:%04x, not for a virtio NIC (%04x:%04x or %04x:%04x)",
			rom, vendor, device, virtioVendor, virtioNetLegacy, virtioVendor, virtioNetModern)
	}
	return nic, nil
}

// ROMPCIID returns the PCI vendor and device ID of the first image of the
// option ROM at path, as SeaBIOS compares them with the card's.
func ROMPCIID(path string) (vendor, device uint16, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("boot ROM: %w", err)
	}
	defer f.Close()
	head := make([]byte, 0x1a)
	if _, err := io.ReadFull(f, head); err != nil {
		return 0, 0, fmt.Errorf("boot ROM %s: header: %w", path, err)
	}
	if head[0] != 0x55 || head[1] != 0xaa {
		return 0, 0, fmt.Errorf("boot ROM %s: no option ROM signature 55 aa", path)
	}
	pcir := make([]byte, 8)
	if _, err := f.ReadAt(pcir, int64(binary.LittleEndian.Uint16(head[0x18:]))); err != nil {
		return 0, 0, fmt.Errorf("boot ROM %s: PCI data structure: %w", path, err)
	}
	if string(pcir[:4]) != "PCIR" {
		return 0, 0, errors.New("boot ROM " + path + ": no PCI data structure (PCIR)")
	}
	return binary.LittleEndian.Uint16(pcir[4:]), binary.LittleEndian.Uint16(pcir[6:]), nil
}
