// SPDX-License-Identifier: Apache-2.0

package loader

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-sharedroot/osr/framework/kmod"
	"golang.org/x/sys/unix"
)

// A q35 guest: a virtio PCI NIC and disk, an AHCI controller, a PC
// speaker. Loading virtio_pci makes the virtio devices appear, whose
// drivers load in the second round.
var hwTree = []fakeMod{
	{"kernel/drivers/virtio/virtio.ko", nil},
	{"kernel/drivers/virtio/virtio_ring.ko", nil},
	{"kernel/drivers/virtio/virtio_pci.ko", []string{"kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko"}},
	{"kernel/drivers/block/virtio_blk.ko", []string{"kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko"}},
	{"kernel/drivers/net/virtio_net.ko", []string{"kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko"}},
	{"kernel/drivers/ata/ahci.ko", []string{"kernel/drivers/ata/libahci.ko"}},
	{"kernel/drivers/ata/libahci.ko", nil},
	{"kernel/drivers/input/misc/pcspkr.ko", nil},
	{"kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko", nil},
}

var hwIndex = map[string]string{kmod.FileAlias: `alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci
alias virtio:d00000001v* virtio_net
alias virtio:d00000002v* virtio_blk
alias pci:v*d*sv*sd*bc01sc06i01* ahci
alias platform:pcspkr pcspkr
alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e
`}

func TestLoadHardware(t *testing.T) {
	sys := t.TempDir()
	dev := func(bus, name, modalias string) {
		writeFile(t, filepath.Join(sys, "bus", bus, "devices", name, "modalias"), []byte(modalias+"\n"))
	}
	dev("pci", "0000:00:02.0", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00")
	dev("pci", "0000:00:03.0", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00")
	dev("pci", "0000:00:1f.2", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01")
	dev("platform", "pcspkr", "platform:pcspkr")
	dev("pci", "0000:00:04.0", "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00")
	dev("cpu", "cpu0", "cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001")
	k := newFakeKernel()
	k.onLoad = func(name string) {
		if name == "virtio_pci" {
			dev("virtio", "virtio0", "virtio:d00000001v00001AF4")
			dev("virtio", "virtio1", "virtio:d00000002v00001AF4")
		}
	}
	dir := fakeTree(t, hwTree, hwIndex)
	// The image left e1000e out; its index still lists it.
	if err := os.Remove(filepath.Join(dir, "kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko")); err != nil {
		t.Fatal(err)
	}
	l, err := Open(dir, Options{Kernel: k, Blacklist: []string{"pcspkr"}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.LoadHardware(context.Background(), sys)
	if err != nil {
		t.Fatal(err)
	}
	want := HardwareReport{
		Modaliases: []string{
			"cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001",
			"pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
			"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00",
			"pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00",
			"pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01",
			"platform:pcspkr",
			"virtio:d00000001v00001AF4",
			"virtio:d00000002v00001AF4",
		},
		Modules:     []string{"ahci", "virtio_blk", "virtio_net", "virtio_pci"},
		Blacklisted: []string{"pcspkr"},
		NotInImage:  []string{"e1000e"},
		Rounds:      2,
	}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ahci", "libahci", "virtio", "virtio_blk", "virtio_net", "virtio_pci", "virtio_ring"}, sorted(k.order)); diff != "" {
		t.Errorf("loaded (-want +got):\n%s", diff)
	}
	// Nothing new: a second call loads nothing.
	calls := len(k.calls)
	if _, err := l.LoadHardware(context.Background(), sys); err != nil || len(k.calls) != calls {
		t.Errorf("second LoadHardware: err %v, %d new finit_module calls", err, len(k.calls)-calls)
	}
}

func TestLoadHardwareFailureAndRetry(t *testing.T) {
	sys := t.TempDir()
	writeFile(t, filepath.Join(sys, "bus/pci/devices/0000:00:02.0/modalias"), []byte("pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00"))
	writeFile(t, filepath.Join(sys, "bus/pci/devices/0000:00:1f.2/modalias"), []byte("pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01"))
	k := newFakeKernel()
	k.fail["libahci"] = unix.ENOEXEC
	l, err := Open(fakeTree(t, hwTree, hwIndex), Options{Kernel: k})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.LoadHardware(context.Background(), sys)
	if err == nil || !strings.Contains(err.Error(), "ahci: dependency libahci failed") {
		t.Errorf("error = %v, want the ahci failure", err)
	}
	if k.position("e1000e") < 0 {
		t.Error("e1000e not loaded after ahci failed")
	}
	// The failure is not remembered: a retry (from the rescue shell) works.
	delete(k.fail, "libahci")
	if err := l.Load(context.Background(), "ahci"); err != nil {
		t.Errorf("retry: %v", err)
	}
	if k.position("ahci") < 0 {
		t.Error("ahci not loaded on retry")
	}
}

func TestLoadHardwareNoSysfs(t *testing.T) {
	l, err := Open(fakeTree(t, hwTree, hwIndex), Options{Kernel: newFakeKernel()})
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nosys")
	rep, err := l.LoadHardware(context.Background(), missing)
	if err != nil || rep.Rounds != 0 || len(rep.Modules) != 0 {
		t.Errorf("LoadHardware on an empty sysfs = %+v, %v; want nothing done", rep, err)
	}
	unreadable := t.TempDir()
	writeFile(t, filepath.Join(unreadable, "bus/pci/devices/x/modalias"), nil)
	if err := os.Remove(filepath.Join(unreadable, "bus/pci/devices/x/modalias")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(unreadable, "bus/pci/devices/x/modalias"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := l.LoadHardware(context.Background(), unreadable); err == nil || !strings.Contains(err.Error(), "is sysfs mounted") {
		t.Errorf("LoadHardware with an unreadable modalias: err = %v", err)
	}
}
