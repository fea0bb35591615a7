// SPDX-License-Identifier: Apache-2.0

// Package qemu boots Linux guests under qemu-system-x86_64 with software
// emulation (TCG) for the end-to-end tests: direct kernel boot, the serial
// console captured to a log file and scanned for markers, NICs with given
// MACs, raw disks in the sharing modes a shared-root cluster needs, and a
// hard timeout after which the qemu process this package started is killed.
package qemu

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// DiskMode says how a guest may use a raw disk image.
type DiskMode int

const (
	// Exclusive attaches the image read-write for this guest alone.
	Exclusive DiskMode = iota
	// Snapshot attaches the image read-write, but writes go to a private
	// temporary overlay (snapshot=on): several guests can boot one image.
	Snapshot
	// ReadOnly attaches the image read-only (readonly=on).
	ReadOnly
	// Shared attaches the image read-write to several guests at once
	// (file.locking=off, share-rw=on), as a cluster filesystem needs.
	Shared
)

// String names the mode as the tests print it.
func (m DiskMode) String() string {
	switch m {
	case Exclusive:
		return "exclusive"
	case Snapshot:
		return "snapshot"
	case ReadOnly:
		return "readonly"
	case Shared:
		return "shared"
	}
	return fmt.Sprintf("DiskMode(%d)", int(m))
}

// Disk is a raw disk image attached as a virtio block device. The guest
// sees the disks in order as /dev/vda, /dev/vdb, …
type Disk struct {
	Path string
	Mode DiskMode
}

// NIC is a virtio network card. With Tap empty the card has no backend: it
// only gives the guest a MAC address to identify itself by.
type NIC struct {
	MAC string
	// ROM is the card's boot ROM (qemu's romfile=), e.g. the one
	// NetBootNIC finds; empty means qemu's default.
	ROM string
	// ModernOnly makes the card a modern-only virtio device
	// (disable-legacy=on, PCI ID 1af4:1041), the device ipxe-qemu's ROM
	// is built for.
	ModernOnly bool
	// Tap is the name of an existing tap device (in Machine.NetNS, when
	// set) that carries the card's traffic.
	Tap string
	// Stream is the path of a unix socket, listened on by the caller,
	// that carries the card's traffic instead (qemu's stream netdev: each
	// frame preceded by its 32-bit big-endian length).
	Stream string
}

// Machine describes one guest boot.
type Machine struct {
	// Name identifies the guest in logs and errors.
	Name string
	// Kernel and Initrd are the paths of the kernel image and initramfs.
	Kernel string
	Initrd string
	// NetBoot boots from the network instead (-boot n): the NICs' boot ROM
	// fetches what a DHCP and TFTP server offer; Kernel, Initrd and Append
	// must then be empty, the boot loader's entry gives them.
	NetBoot bool
	// Append holds kernel parameters added after the console settings.
	Append []string
	// MemoryMB is the guest's memory; 0 means DefaultMemoryMB.
	MemoryMB int
	Disks    []Disk
	NICs     []NIC
	// NetNS names a network namespace qemu runs in (via `ip netns exec`),
	// where the NICs' tap devices live. Empty means the caller's namespace.
	NetNS string
	// LogPath receives the serial console; required.
	LogPath string
	// Timeout bounds the whole boot; 0 means DefaultTimeout. When it
	// expires the qemu process is killed and the boot fails.
	Timeout time.Duration
	// StopAfter, when set, ends the boot as soon as the console shows this
	// text: qemu is killed and the boot counts as finished, not failed.
	// Cluster nodes use it so that none waits for the death detection of
	// a peer that powered off first.
	StopAfter string
	// FirmwareLog, when set, receives SeaBIOS's debug output (qemu's
	// isa-debugcon on port 0x402): which option ROMs it ran and what it
	// booted from.
	FirmwareLog string
	// Binary is the qemu executable; empty means "qemu-system-x86_64".
	Binary string
	// QMP is the path of a unix socket qemu serves its machine protocol
	// on (Instance.QMP); empty means none.
	QMP string
	// CPU is the guest's CPU model (qemu's -cpu, e.g. CPUMax or
	// "qemu64,+sse4.2"). Empty means qemu's default model, qemu64 under
	// TCG: no SSE4.2, AES-NI or AVX, like many older or restricted
	// virtual machines.
	CPU string
}

// CPUMax is the CPU model with every feature qemu can emulate.
const CPUMax = "max"

// Defaults for the fields of Machine left zero.
const (
	DefaultMemoryMB = 512
	DefaultTimeout  = 5 * time.Minute
	DefaultBinary   = "qemu-system-x86_64"
)

// NetdevID returns the id of the backend of NIC i (0-based), the name
// Instance.SetLink takes.
func NetdevID(i int) string { return fmt.Sprintf("net%d", i) }

// maxSocketPath is the longest unix socket path Linux takes.
const maxSocketPath = 107

// NodeMAC returns the MAC address the tests give node n (1…255):
// 52:54:00:00:01:NN, in qemu's locally administered range.
func NodeMAC(n int) string {
	return fmt.Sprintf("52:54:00:00:01:%02x", n)
}

func (m *Machine) validate() error {
	var errs []error
	if m.Name == "" {
		errs = append(errs, errors.New("machine has no name"))
	}
	switch {
	case m.NetBoot && (m.Kernel != "" || m.Initrd != "" || len(m.Append) > 0):
		errs = append(errs, errors.New("a network boot takes kernel, initrd and parameters from the boot entry, not from the machine"))
	case m.NetBoot && len(m.NICs) == 0:
		errs = append(errs, errors.New("a network boot needs a NIC"))
	case !m.NetBoot && m.Kernel == "":
		errs = append(errs, errors.New("no kernel"))
	}
	if m.LogPath == "" {
		errs = append(errs, errors.New("no console log path"))
	}
	for i, d := range m.Disks {
		if d.Path == "" {
			errs = append(errs, fmt.Errorf("disk %d has no path", i))
		}
		if strings.Contains(d.Path, ",") {
			errs = append(errs, fmt.Errorf("disk %d path %q contains a comma, which qemu cannot parse", i, d.Path))
		}
	}
	for i, n := range m.NICs {
		if _, err := net.ParseMAC(n.MAC); err != nil {
			errs = append(errs, fmt.Errorf("NIC %d: %w", i, err))
		}
		if n.Tap != "" && strings.ContainsAny(n.Tap, ", ") {
			errs = append(errs, fmt.Errorf("NIC %d: bad tap name %q", i, n.Tap))
		}
		if n.Tap != "" && n.Stream != "" {
			errs = append(errs, fmt.Errorf("NIC %d: a tap and a stream socket; give one", i))
		}
		if strings.ContainsAny(n.Stream, ", ") || len(n.Stream) > maxSocketPath {
			errs = append(errs, fmt.Errorf("NIC %d: stream socket path %q has a comma or space, or is longer than %d bytes", i, n.Stream, maxSocketPath))
		}
		if strings.ContainsAny(n.ROM, ", ") {
			errs = append(errs, fmt.Errorf("NIC %d: ROM path %q contains a comma or space, which qemu cannot parse", i, n.ROM))
		}
	}
	if strings.ContainsAny(m.FirmwareLog, ", ") {
		errs = append(errs, fmt.Errorf("firmware log path %q contains a comma or space, which qemu cannot parse", m.FirmwareLog))
	}
	if strings.ContainsAny(m.QMP, ", ") || len(m.QMP) > maxSocketPath {
		errs = append(errs, fmt.Errorf("QMP socket path %q has a comma or space, or is longer than %d bytes", m.QMP, maxSocketPath))
	}
	if strings.ContainsAny(m.CPU, " \t\n") {
		errs = append(errs, fmt.Errorf("bad CPU model %q: qemu's -cpu takes one word, e.g. %q or \"qemu64,+sse4.2\"", m.CPU, CPUMax))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("machine %q: %w", m.Name, err)
	}
	return nil
}

// Command returns the program and arguments that boot m: qemu itself, or
// `ip netns exec NS qemu …` when m.NetNS is set. ip execs qemu in place, so
// the started process is qemu.
func (m *Machine) Command() ([]string, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	bin := m.Binary
	if bin == "" {
		bin = DefaultBinary
	}
	mem := m.MemoryMB
	if mem == 0 {
		mem = DefaultMemoryMB
	}
	cmdline := append([]string{"console=ttyS0", "panic=-1"}, m.Append...)
	args := []string{bin, "-machine", "q35", "-accel", "tcg"}
	if m.CPU != "" {
		args = append(args, "-cpu", m.CPU)
	}
	args = append(args,
		"-m", fmt.Sprint(mem),
		"-nodefaults", "-no-user-config", "-display", "none",
		"-serial", "stdio", "-monitor", "none",
		"-no-reboot",
	)
	if m.QMP != "" {
		args = append(args, "-qmp", "unix:"+m.QMP+",server=on,wait=off")
	}
	if m.NetBoot {
		args = append(args, "-boot", "n")
	} else {
		args = append(args, "-kernel", m.Kernel, "-append", strings.Join(cmdline, " "))
	}
	if m.Initrd != "" {
		args = append(args, "-initrd", m.Initrd)
	}
	for i, d := range m.Disks {
		args = append(args, diskArgs(i, d)...)
	}
	for i, n := range m.NICs {
		dev := "virtio-net-pci,mac=" + n.MAC
		if n.ROM != "" {
			dev += ",romfile=" + n.ROM
		}
		if n.ModernOnly {
			dev += ",disable-legacy=on"
		}
		id := NetdevID(i)
		switch {
		case n.Tap != "":
			args = append(args, "-netdev", fmt.Sprintf("tap,id=%s,ifname=%s,script=no,downscript=no", id, n.Tap))
			dev += ",netdev=" + id
		case n.Stream != "":
			args = append(args, "-netdev", fmt.Sprintf("stream,id=%s,server=off,addr.type=unix,addr.path=%s", id, n.Stream))
			dev += ",netdev=" + id
		}
		args = append(args, "-device", dev)
	}
	if m.FirmwareLog != "" {
		args = append(args, "-chardev", "file,id=firmware,path="+m.FirmwareLog, "-device", "isa-debugcon,iobase=0x402,chardev=firmware")
	}
	if m.NetNS != "" {
		args = append([]string{"ip", "netns", "exec", m.NetNS}, args...)
	}
	return args, nil
}

func diskArgs(i int, d Disk) []string {
	id := fmt.Sprintf("disk%d", i)
	drive := fmt.Sprintf("file=%s,if=none,id=%s,format=raw", d.Path, id)
	dev := "virtio-blk-pci,drive=" + id
	switch d.Mode {
	case Snapshot:
		drive += ",snapshot=on"
	case ReadOnly:
		drive += ",readonly=on"
	case Shared:
		drive += ",file.locking=off"
		dev += ",share-rw=on"
	}
	return []string{"-drive", drive, "-device", dev}
}
