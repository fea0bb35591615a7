// SPDX-License-Identifier: Apache-2.0

package qemu

import (
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
				m.NICs = []NIC{{MAC: NodeMAC(1), Tap: "tap1", ROM: NetBootROM}}
			},
			want: []string{
				"-no-reboot -boot n",
				"-device virtio-net-pci,mac=52:54:00:00:01:01,romfile=/usr/lib/ipxe/qemu/pxe-virtio.rom,netdev=net0",
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
		"no name":        {Kernel: "k", LogPath: "l"},
		"no kernel":      {Name: "n", LogPath: "l"},
		"no log":         {Name: "n", Kernel: "k"},
		"comma in disk":  {Name: "n", Kernel: "k", LogPath: "l", Disks: []Disk{{Path: "/a,b.img"}}},
		"bad mac":        {Name: "n", Kernel: "k", LogPath: "l", NICs: []NIC{{MAC: "52:54:00"}}},
		"bad tap":        {Name: "n", Kernel: "k", LogPath: "l", NICs: []NIC{{MAC: NodeMAC(1), Tap: "tap1,x=y"}}},
		"bad cpu":        {Name: "n", Kernel: "k", LogPath: "l", CPU: "max -S"},
		"netboot kernel": {Name: "n", Kernel: "k", LogPath: "l", NetBoot: true, NICs: []NIC{{MAC: NodeMAC(1)}}},
		"netboot no nic": {Name: "n", LogPath: "l", NetBoot: true},
		"comma in rom":   {Name: "n", LogPath: "l", NetBoot: true, NICs: []NIC{{MAC: NodeMAC(1), ROM: "/a,b.rom"}}},
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
