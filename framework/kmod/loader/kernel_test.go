// SPDX-License-Identifier: Apache-2.0

package loader

import (
	"context"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open-sharedroot/osr/framework/kmod"
	"github.com/open-sharedroot/osr/internal/testkernel"
	"golang.org/x/sys/unix"
)

// TestKernelLoadOrder loads the generic selection of the Debian kernel into
// the fake kernel, which refuses any module whose depends= (from the
// module file itself, independent of modules.dep) is not loaded yet.
func TestKernelLoadOrder(t *testing.T) {
	k := testkernel.Get(t)
	fk := newFakeKernel()
	fk.delay = time.Millisecond // long enough for independent modules to overlap
	l, err := Open(k.ModulesDir, Options{Kernel: fk, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range l.Index().Generic(kmod.GenericRules) {
		names = append(names, m.Name)
	}
	names = append(names, "gfs2", "ocfs2", "nfsv4", "ext4", "fs-nfs")
	if err := l.Load(context.Background(), names...); err != nil {
		t.Fatal(err)
	}
	sel, err := l.Index().Resolve(kmod.Request{Modules: names})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range sel.Modules {
		want = append(want, m.Name)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, sorted(fk.order)); diff != "" {
		t.Errorf("loaded modules differ from the resolved closure (-closure +loaded):\n%s", diff)
	}
	if fk.maxInflight < 2 || fk.maxInflight > 4 {
		t.Errorf("at most %d modules inserted at once, want 2 to 4 (Concurrency 4)", fk.maxInflight)
	}
	t.Logf("%d modules loaded in dependency order, at most %d at once", len(fk.order), fk.maxInflight)
}

// TestKernelModaliasMatchesModprobe compares the drivers matched for
// typical modaliases with kmod's modprobe --resolve-alias.
func TestKernelModaliasMatchesModprobe(t *testing.T) {
	k := testkernel.Get(t)
	ix, err := kmod.Load(k.ModulesDir)
	if err != nil {
		t.Fatal(err)
	}
	modprobe, err := exec.LookPath("modprobe")
	if err != nil {
		modprobe = "/usr/sbin/modprobe"
	}
	for _, alias := range []string{
		"pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", // virtio-net (transitional)
		"pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00i00", // virtio-net (modern)
		"virtio:d00000001v00001AF4",
		"virtio:d00000002v00001AF4",
		"pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", // ICH9 AHCI
		"pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00", // 82574L
		"pci:v000014E4d00001657sv0000103Csd0000169Dbc02sc00i00", // BCM5719
		"pci:v00001000d00000097sv00001000sd00003090bc01sc07i00", // SAS3008
		"pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02", // NVMe
		"pci:v000015B3d00001017sv000015B3sd00000020bc02sc00i00", // ConnectX-5
		"vmbus:0df3300fcbd9b8448fbd36b2fe2f3d66",                // no driver here (or hv_*)
		"usb:v0BDAp8153d3100dc00dsc00dp00icFFiscFFip00in00",
		"acpi:PNP0303:",
		"scsi:t-0x00",
		"cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001,0002",
	} {
		t.Run(alias, func(t *testing.T) {
			out, err := exec.Command(modprobe, "-S", k.Version, "-d", k.Root, "--resolve-alias", alias).CombinedOutput()
			var want []string
			if err == nil {
				for _, f := range strings.Fields(string(out)) {
					want = append(want, kmod.Normalize(f))
				}
			} else if !strings.Contains(string(out), "not found") {
				t.Fatalf("modprobe --resolve-alias %s: %v\n%s", alias, err, out)
			}
			sort.Strings(want)
			var got []string
			for _, m := range ix.MatchModaliases([]string{alias}) {
				got = append(got, m.Name)
			}
			sort.Strings(got)
			// modprobe also lists aliases of built-ins; keep loadable ones.
			var loadable []string
			for i, w := range want {
				if i > 0 && want[i-1] == w {
					continue // modprobe prints a module once per matching alias
				}
				if _, ok := ix.Module(w); ok {
					loadable = append(loadable, w)
				}
			}
			if diff := cmp.Diff(loadable, got); diff != "" {
				t.Errorf("drivers for %s (-modprobe +osr):\n%s", alias, diff)
			}
		})
	}
}

// TestKernelWithoutSSE42 loads what the ext3 and gfs2 drivers ask for from
// the Debian kernel's index on a CPU without SSE4.2, where crc32c_intel's
// init fails with ENODEV (qemu's default CPU model): crc32c_generic
// provides crc32c and nothing fails.
func TestKernelWithoutSSE42(t *testing.T) {
	k := testkernel.Get(t)
	fk := newFakeKernel()
	fk.fail["crc32c_intel"] = unix.ENODEV
	var log logLines
	l, err := Open(k.ModulesDir, Options{Kernel: fk, Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Load(context.Background(), "ext4", "crc32c", "gfs2", "dlm"); err != nil {
		t.Fatalf("Load: %v\nlog:\n%s", err, log.String())
	}
	for _, m := range []string{"crc32c_generic", "ext4", "jbd2", "libcrc32c", "gfs2"} {
		if fk.position(m) < 0 {
			t.Errorf("%s not loaded (loaded %v)", m, fk.order)
		}
	}
	if fk.position("crc32c_generic") > fk.position("libcrc32c") {
		t.Errorf("libcrc32c loaded before its soft dependency crc32c_generic: %v", fk.order)
	}
	if !strings.Contains(log.String(), "module crc32c_intel: skipped: ") {
		t.Errorf("log does not say crc32c_intel was skipped:\n%s", log.String())
	}
}
