// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"context"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-sharedroot/osr/internal/testkernel"
)

// modprobeClosure asks kmod's own modprobe (an independent implementation)
// which module files loading names would insert, as paths relative to the
// modules directory.
func modprobeClosure(t *testing.T, k testkernel.Kernel, names ...string) []string {
	t.Helper()
	modprobe, err := exec.LookPath("modprobe")
	if err != nil {
		modprobe = "/usr/sbin/modprobe"
	}
	seen := map[string]bool{}
	args := append([]string{"--show-depends", "-S", k.Version, "-d", k.Root, "-a"}, names...)
	out, err := exec.Command(modprobe, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("modprobe --show-depends -a %v: %v\n%s", names, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "insmod" {
			rel, err := filepath.Rel(k.ModulesDir, f[1])
			if err != nil {
				t.Fatal(err)
			}
			seen[rel] = true
		}
	}
	var paths []string
	for p := range seen {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

func paths(ms []*Module) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Path
	}
	return out
}

func loadTestKernel(t *testing.T) (testkernel.Kernel, *Index) {
	t.Helper()
	k := testkernel.Get(t)
	ix, err := Load(k.ModulesDir)
	if err != nil {
		t.Fatal(err)
	}
	return k, ix
}

func TestKernelClosureMatchesModprobe(t *testing.T) {
	k, ix := loadTestKernel(t)
	sets := map[string][]string{
		"nfs":          {"nfs", "nfsv3", "nfsv4", "sunrpc"},
		"ext4":         {"ext4"},
		"gfs2":         {"gfs2", "dlm"},
		"ocfs2":        {"ocfs2", "ocfs2_stack_o2cb", "ocfs2_dlmfs", "ocfs2-stack-user"},
		"alias":        {"fs-gfs2", "net-pf-10", "crypto-crc32c", "virtio_blk", "virtio-net"},
		"softdep-post": {"ipmi_msghandler", "r8169"},
	}
	for name, mods := range sets {
		t.Run(name, func(t *testing.T) {
			sel, err := ix.Resolve(Request{Modules: mods})
			if err != nil {
				t.Fatal(err)
			}
			want := modprobeClosure(t, k, mods...)
			if diff := cmp.Diff(want, paths(sel.Modules)); diff != "" {
				t.Errorf("closure of %v differs from modprobe --show-depends (-modprobe +osr):\n%s", mods, diff)
			}
		})
	}
}

func TestKernelBuiltinAndMissing(t *testing.T) {
	_, ix := loadTestKernel(t)
	// unix (AF_UNIX) is built into Debian's kernel; "no-such-module" is not anywhere.
	sel, err := ix.Resolve(Request{Modules: []string{"unix"}, Optional: []string{"no-such-module"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"unix"}, sel.Builtin); diff != "" {
		t.Errorf("Builtin (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"no-such-module"}, sel.Missing); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	if len(sel.Modules) != 0 {
		t.Errorf("Modules = %v, want none", paths(sel.Modules))
	}
	if _, err := ix.Resolve(Request{Modules: []string{"no-such-module"}}); err == nil {
		t.Error("Resolve of a missing required module succeeded")
	}
}

func TestKernelGenericSelection(t *testing.T) {
	k, ix := loadTestKernel(t)
	sel, err := ix.Resolve(Request{Modules: []string{"gfs2", "ocfs2", "nfsv4", "ext4"}, Generic: true})
	if err != nil {
		t.Fatal(err)
	}
	// Independent check: every module is a generic seed, a requested one or
	// in modprobe's closure of those.
	var seeds []string
	for _, m := range ix.Generic(GenericRules) {
		seeds = append(seeds, m.Name)
	}
	want := modprobeClosure(t, k, append(seeds, "gfs2", "ocfs2", "nfsv4", "ext4")...)
	if diff := cmp.Diff(want, paths(sel.Modules)); diff != "" {
		t.Errorf("generic closure differs from modprobe (-modprobe +osr):\n%s", diff)
	}
	got := map[string]bool{}
	for _, m := range sel.Modules {
		got[m.Name] = true
		for _, bad := range []string{"/wireless/", "/sound/", "/media/", "/gpu/", "/net/can/"} {
			if strings.Contains(m.Path, bad) {
				t.Errorf("generic selection holds %s", m.Path)
			}
		}
	}
	for _, need := range []string{"virtio_blk", "virtio_net", "virtio_scsi", "e1000e", "igb", "ixgbe", "nvme", "ahci",
		"sd_mod", "qla2xxx", "lpfc", "mpt3sas", "megaraid_sas", "dm_multipath", "dm_mod", "bonding", "8021q",
		"hv_netvsc", "hv_storvsc", "xen_blkfront", "xen_netfront", "vmxnet3", "vmw_pvscsi", "mlx5_core", "bnx2x", "gfs2"} {
		if !got[need] {
			t.Errorf("generic selection lacks %s", need)
		}
	}
	t.Logf("generic selection: %d seeds, %d modules in the closure of %d in the kernel", len(seeds), len(sel.Modules), len(ix.Modules()))
	if n := len(sel.Modules); n < 500 || n > 1200 {
		t.Errorf("generic selection has %d modules, want between 500 and 1200", n)
	}
}

func TestKernelFirmwareDeclared(t *testing.T) {
	_, ix := loadTestKernel(t)
	sel, err := ix.Resolve(Request{Modules: []string{"bnx2", "e1000e", "tg3"}})
	if err != nil {
		t.Fatal(err)
	}
	fwDir := t.TempDir()
	writeFile(t, filepath.Join(fwDir, "tigon/tg3.bin"), "fw")
	fw, err := ix.Firmware(context.Background(), sel.Modules, []string{fwDir})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Firmware{}
	for _, f := range fw {
		byName[f.Name] = f
	}
	if f := byName["tigon/tg3.bin"]; f.Path != filepath.Join(fwDir, "tigon/tg3.bin") || !cmp.Equal(f.Modules, []string{"tg3"}) {
		t.Errorf("tg3 firmware = %+v, want found in the fake dir, declared by tg3", f)
	}
	if f, ok := byName["bnx2/bnx2-mips-09-6.2.1b.fw"]; !ok || f.Path != "" {
		t.Errorf("bnx2 firmware = %+v (declared %v), want declared and missing", f, ok)
	}
	for _, f := range fw {
		for _, m := range f.Modules {
			if m == "e1000e" {
				t.Errorf("e1000e declares no firmware, got %s", f.Name)
			}
		}
	}
}

// BenchmarkKernelGenericSelection measures what a generic build spends on
// modules: reading the index of the Debian kernel and resolving the generic
// set plus the shared-root filesystems to their closure.
func BenchmarkKernelGenericSelection(b *testing.B) {
	k := testkernel.Get(b)
	var n int
	for b.Loop() {
		ix, err := Load(k.ModulesDir)
		if err != nil {
			b.Fatal(err)
		}
		sel, err := ix.Resolve(Request{Modules: []string{"gfs2", "ocfs2", "nfsv4", "ext4"}, Generic: true})
		if err != nil {
			b.Fatal(err)
		}
		n = len(sel.Modules)
	}
	b.ReportMetric(float64(n), "modules")
}

// BenchmarkKernelResolveOnly measures the closure alone on a loaded index.
func BenchmarkKernelResolveOnly(b *testing.B) {
	k := testkernel.Get(b)
	ix, err := Load(k.ModulesDir)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ix.Resolve(Request{Modules: []string{"gfs2", "ocfs2", "nfsv4", "ext4"}, Generic: true}); err != nil {
			b.Fatal(err)
		}
	}
}
