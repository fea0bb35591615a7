// SPDX-License-Identifier: Apache-2.0

package qemu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommand(t *testing.T) {
	base := Machine{Name: "n1", Kernel: "/k/vmlinuz", Initrd: "/k/initrd", LogPath: "/l/n1.log", Append: []string{"osr.node=1", "quiet"}}
	tests := []struct {
		name   string
		edit   func(*Machine)
		want   []string // consecutive argument groups that must appear
		absent []string
	}{
		{
			name: "basics",
			want: []string{
				"qemu-system-x86_64 -machine q35 -accel tcg -m 512",
				"-no-reboot -kernel /k/vmlinuz -append console=ttyS0 panic=-1 osr.node=1 quiet",
				"-initrd /k/initrd",
			},
			absent: []string{"-netdev", "-drive", "ip netns", "-cpu"},
		},
		{
			name: "cpu max",
			edit: func(m *Machine) { m.CPU = CPUMax },
			want: []string{"qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m 512"},
		},
		{
			name: "cpu model with features",
			edit: func(m *Machine) { m.CPU = "qemu64,+sse4.2" },
			want: []string{"-accel tcg -cpu qemu64,+sse4.2 -m 512"},
		},
		{
			name: "disk modes",
			edit: func(m *Machine) {
				m.Disks = []Disk{{"/a.img", Exclusive}, {"/b.img", Snapshot}, {"/c.img", ReadOnly}, {"/d.img", Shared}}
			},
			want: []string{
				"-drive file=/a.img,if=none,id=disk0,format=raw -device virtio-blk-pci,drive=disk0",
				"-drive file=/b.img,if=none,id=disk1,format=raw,snapshot=on -device virtio-blk-pci,drive=disk1",
				"-drive file=/c.img,if=none,id=disk2,format=raw,readonly=on -device virtio-blk-pci,drive=disk2",
				"-drive file=/d.img,if=none,id=disk3,format=raw,file.locking=off -device virtio-blk-pci,drive=disk3,share-rw=on",
			},
		},
		{
			name: "network boot",
			edit: func(m *Machine) {
				m.Kernel, m.Initrd, m.Append, m.NetBoot = "", "", nil, true
				m.NICs = []NIC{{MAC: NodeMAC(1), Tap: "tap1", ROM: "/usr/lib/ipxe/qemu/pxe-virtio.rom", ModernOnly: true}}
				m.FirmwareLog = "/l/n1.firmware.log"
			},
			want: []string{
				"-no-reboot -boot n",
				"-device virtio-net-pci,mac=52:54:00:00:01:01,romfile=/usr/lib/ipxe/qemu/pxe-virtio.rom,disable-legacy=on,netdev=net0",
				"-chardev file,id=firmware,path=/l/n1.firmware.log -device isa-debugcon,iobase=0x402,chardev=firmware",
			},
			absent: []string{"-kernel", "-append", "-initrd"},
		},
		{
			name: "nics in a namespace",
			edit: func(m *Machine) {
				m.NetNS = "lab1"
				m.NICs = []NIC{{MAC: NodeMAC(1), Tap: "tap1"}, {MAC: NodeMAC(2)}}
				m.MemoryMB = 768
				m.Binary = "/opt/qemu"
			},
			want: []string{
				"ip netns exec lab1 /opt/qemu -machine q35",
				"-m 768",
				"-netdev tap,id=net0,ifname=tap1,script=no,downscript=no -device virtio-net-pci,mac=52:54:00:00:01:01,netdev=net0",
				"-device virtio-net-pci,mac=52:54:00:00:01:02",
			},
		},
		{
			name: "nics on stream sockets, a QMP socket",
			edit: func(m *Machine) {
				m.NICs = []NIC{{MAC: NodeMAC(1), Stream: "/s/nic1.sock"}, {MAC: NodeMAC(2), Stream: "/s/nic2.sock"}}
				m.QMP = "/s/qmp.sock"
			},
			want: []string{
				"-monitor none -no-reboot -qmp unix:/s/qmp.sock,server=on,wait=off",
				"-netdev stream,id=net0,server=off,addr.type=unix,addr.path=/s/nic1.sock -device virtio-net-pci,mac=52:54:00:00:01:01,netdev=net0",
				"-netdev stream,id=net1,server=off,addr.type=unix,addr.path=/s/nic2.sock -device virtio-net-pci,mac=52:54:00:00:01:02,netdev=net1",
			},
			absent: []string{"ip netns", "tap,"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := base
			if tc.edit != nil {
				tc.edit(&m)
			}
			argv, err := m.Command()
			if err != nil {
				t.Fatal(err)
			}
			line := strings.Join(argv, " ")
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("command lacks %q:\n%s", w, line)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(line, a) {
					t.Errorf("command has %q:\n%s", a, line)
				}
			}
		})
	}
}

func TestCommandRejectsBadMachines(t *testing.T) {
	tests := map[string]Machine{
		"no name":          {Kernel: "k", LogPath: "l"},
		"no kernel":        {Name: "n", LogPath: "l"},
		"no log":           {Name: "n", Kernel: "k"},
		"comma in disk":    {Name: "n", Kernel: "k", LogPath: "l", Disks: []Disk{{Path: "/a,b.img"}}},
		"bad mac":          {Name: "n", Kernel: "k", LogPath: "l", NICs: []NIC{{MAC: "52:54:00"}}},
		"bad tap":          {Name: "n", Kernel: "k", LogPath: "l", NICs: []NIC{{MAC: NodeMAC(1), Tap: "tap1,x=y"}}},
		"bad cpu":          {Name: "n", Kernel: "k", LogPath: "l", CPU: "max -S"},
		"netboot kernel":   {Name: "n", Kernel: "k", LogPath: "l", NetBoot: true, NICs: []NIC{{MAC: NodeMAC(1)}}},
		"netboot no nic":   {Name: "n", LogPath: "l", NetBoot: true},
		"comma in rom":     {Name: "n", LogPath: "l", NetBoot: true, NICs: []NIC{{MAC: NodeMAC(1), ROM: "/a,b.rom"}}},
		"comma in fwlog":   {Name: "n", Kernel: "k", LogPath: "l", FirmwareLog: "/a,b.log"},
		"tap and stream":   {Name: "n", Kernel: "k", LogPath: "l", NICs: []NIC{{MAC: NodeMAC(1), Tap: "tap1", Stream: "/s.sock"}}},
		"comma in stream":  {Name: "n", Kernel: "k", LogPath: "l", NICs: []NIC{{MAC: NodeMAC(1), Stream: "/a,b.sock"}}},
		"long stream path": {Name: "n", Kernel: "k", LogPath: "l", NICs: []NIC{{MAC: NodeMAC(1), Stream: "/" + strings.Repeat("s", 120)}}},
		"comma in qmp":     {Name: "n", Kernel: "k", LogPath: "l", QMP: "/q,server=off"},
	}
	for name, m := range tests {
		if _, err := m.Command(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestNodeMAC(t *testing.T) {
	if got := NodeMAC(10); got != "52:54:00:00:01:0a" {
		t.Errorf("NodeMAC(10) = %q", got)
	}
}

func TestROMPCIID(t *testing.T) {
	dir := t.TempDir()
	rom := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A minimal option ROM: signature, the PCIR offset at 0x18, and the
	// PCI data structure with vendor and device.
	image := func(vendor, device uint16) []byte {
		b := make([]byte, 0x40)
		b[0], b[1] = 0x55, 0xaa
		b[0x18] = 0x20
		copy(b[0x20:], "PCIR")
		b[0x24], b[0x25] = byte(vendor), byte(vendor>>8)
		b[0x26], b[0x27] = byte(device), byte(device>>8)
		return b
	}
	noPCIR := image(0x1af4, 0x1041)
	copy(noPCIR[0x20:], "NONE") // not "PCIR": the ROM names no PCI device
	tests := []struct {
		name           string
		data           []byte
		vendor, device uint16
		err            string
	}{
		{name: "modern virtio", data: image(0x1af4, 0x1041), vendor: 0x1af4, device: 0x1041},
		{name: "e1000", data: image(0x8086, 0x100e), vendor: 0x8086, device: 0x100e},
		{name: "no signature", data: make([]byte, 0x40), err: "no option ROM signature"},
		{name: "no pcir", data: noPCIR, err: "no PCI data structure"},
		{name: "short", data: []byte{0x55, 0xaa}, err: "header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := rom(strings.ReplaceAll(tc.name, " ", "-")+".rom", tc.data)
			v, d, err := ROMPCIID(p)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), p) {
					t.Fatalf("err = %v, want one naming %s with %q", err, p, tc.err)
				}
				return
			}
			if err != nil || v != tc.vendor || d != tc.device {
				t.Fatalf("ROMPCIID = %04x:%04x, %v; want %04x:%04x", v, d, err, tc.vendor, tc.device)
			}
		})
	}
}

func TestFindNetBootROM(t *testing.T) {
	saved := NetBootROMDirs
	t.Cleanup(func() { NetBootROMDirs = saved })
	empty, full := t.TempDir(), t.TempDir()
	want := filepath.Join(full, "efi-virtio.rom")
	if err := os.WriteFile(want, []byte{0x55, 0xaa}, 0o644); err != nil {
		t.Fatal(err)
	}
	NetBootROMDirs = []string{empty, full}
	if got, err := FindNetBootROM(); err != nil || got != want {
		t.Errorf("FindNetBootROM = %q, %v; want %q", got, err, want)
	}
	NetBootROMDirs = []string{empty}
	_, err := FindNetBootROM()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(empty, "pxe-virtio.rom")) || !strings.Contains(err.Error(), "ipxe-qemu") {
		t.Errorf("err = %v, want one naming the paths tried and ipxe-qemu", err)
	}
}
