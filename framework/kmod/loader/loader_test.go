// SPDX-License-Identifier: Apache-2.0

package loader

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open-sharedroot/osr/framework/kmod"
	"golang.org/x/sys/unix"
)

// fsTree is a small ext4/gfs2 tree with compressed and plain modules,
// soft dependencies, aliases and a built-in.
var fsTree = []fakeMod{
	{"kernel/fs/ext4/ext4.ko.zst", []string{"kernel/lib/crc16.ko.zst", "kernel/fs/mbcache.ko.xz", "kernel/fs/jbd2/jbd2.ko"}},
	{"kernel/lib/crc16.ko.zst", nil},
	{"kernel/fs/mbcache.ko.xz", nil},
	{"kernel/fs/jbd2/jbd2.ko", []string{"kernel/lib/crc16.ko.zst"}},
	{"kernel/arch/x86/crypto/crc32c-intel.ko.gz", nil},
	{"kernel/fs/gfs2/gfs2.ko", []string{"kernel/fs/dlm/dlm.ko", "kernel/fs/configfs/configfs.ko"}},
	{"kernel/fs/dlm/dlm.ko", []string{"kernel/fs/configfs/configfs.ko"}},
	{"kernel/fs/configfs/configfs.ko", nil},
	{"kernel/drivers/char/ipmi/ipmi_msghandler.ko", nil},
	{"kernel/drivers/char/ipmi/ipmi_devintf.ko", []string{"kernel/drivers/char/ipmi/ipmi_msghandler.ko"}},
}

var fsIndex = map[string]string{
	kmod.FileSoftdep: "softdep ext4 pre: crypto-crc32c\nsoftdep ipmi_msghandler post: ipmi_devintf\nsoftdep gfs2 pre: no-such-module\n",
	kmod.FileAlias:   "alias fs-gfs2 gfs2\nalias crypto-crc32c crc32c_intel\n",
	kmod.FileBuiltin: "kernel/net/unix/unix.ko\n",
}

func TestLoadOrder(t *testing.T) {
	tests := []struct {
		name  string
		load  []string
		want  []string          // modules loaded, in any order
		after map[string]string // module → one that must be loaded before it
	}{
		{
			name:  "deps and pre softdep first",
			load:  []string{"ext4"},
			want:  []string{"crc16", "crc32c_intel", "ext4", "jbd2", "mbcache"},
			after: map[string]string{"ext4": "jbd2", "jbd2": "crc16", "mbcache": "", "crc32c_intel": ""},
		},
		{
			name:  "alias, chain, missing soft dependency",
			load:  []string{"fs-gfs2"},
			want:  []string{"configfs", "dlm", "gfs2"},
			after: map[string]string{"gfs2": "dlm", "dlm": "configfs"},
		},
		{
			name:  "post softdep loaded after",
			load:  []string{"ipmi-msghandler"},
			want:  []string{"ipmi_devintf", "ipmi_msghandler"},
			after: map[string]string{"ipmi_devintf": "ipmi_msghandler"},
		},
		{
			name: "built-in needs nothing",
			load: []string{"unix"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newFakeKernel()
			l, err := Open(fakeTree(t, fsTree, fsIndex), Options{Kernel: k, Concurrency: 4})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Load(context.Background(), tt.load...); err != nil {
				t.Fatal(err)
			}
			got := append([]string(nil), k.order...)
			if diff := cmp.Diff(tt.want, sorted(got)); diff != "" {
				t.Errorf("loaded (-want +got):\n%s", diff)
			}
			for mod, before := range tt.after {
				if before != "" && k.position(before) > k.position(mod) {
					t.Errorf("%s loaded before %s (order %v)", mod, before, k.order)
				}
			}
			if len(k.calls) != len(tt.want) {
				t.Errorf("%d finit_module calls for %d modules: %+v", len(k.calls), len(tt.want), k.calls)
			}
		})
	}
}

func TestLoadOnceAndAlreadyLoaded(t *testing.T) {
	k := newFakeKernel("crc16") // loaded before the init ran: EEXIST
	l, err := Open(fakeTree(t, fsTree, fsIndex), Options{Kernel: k})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	done := make(chan error, 2)
	go func() { done <- l.Load(ctx, "ext4", "jbd2") }()
	go func() { done <- l.Load(ctx, "jbd2", "ext4", "ext4") }()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Load(ctx, "ext4"); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range k.calls {
		counts[c.name]++
	}
	want := map[string]int{"crc16": 1, "crc32c_intel": 1, "ext4": 1, "jbd2": 1, "mbcache": 1}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("finit_module calls per module (-want +got):\n%s", diff)
	}
}

func TestLoadFailures(t *testing.T) {
	k := newFakeKernel()
	k.fail["jbd2"] = unix.ENOEXEC
	l, err := Open(fakeTree(t, fsTree, fsIndex), Options{Kernel: k})
	if err != nil {
		t.Fatal(err)
	}
	err = l.Load(context.Background(), "ext4", "gfs2", "no-such-module")
	for _, want := range []string{
		"load module ext4: dependency jbd2 failed",
		"load module jbd2 (", "kernel/fs/jbd2/jbd2.ko): exec format error: not a module for this kernel",
		`"no-such-module": no such module or alias`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v\nwant it to contain %q", err, want)
		}
	}
	if !errors.Is(err, unix.ENOEXEC) || !errors.Is(err, kmod.ErrNotFound) {
		t.Errorf("error %v does not wrap ENOEXEC and ErrNotFound", err)
	}
	if k.position("gfs2") < 0 || k.position("ext4") >= 0 {
		t.Errorf("loaded %v: want gfs2 loaded despite ext4's failure, ext4 not tried", k.order)
	}
}

func TestLoadErrnoHints(t *testing.T) {
	tests := []struct {
		errno error
		want  string
	}{
		{unix.ENOENT, "unknown symbol"},
		{unix.EKEYREJECTED, "signature rejected"},
		{unix.EPERM, "not permitted"},
		{unix.ENODEV, "not supported by this machine"},
		{unix.EINVAL, "a module parameter was rejected"},
		{unix.EBUSY, "dmesg"},
	}
	for _, tt := range tests {
		t.Run(tt.errno.Error(), func(t *testing.T) {
			k := newFakeKernel()
			k.fail["configfs"] = tt.errno
			l, err := Open(fakeTree(t, fsTree, fsIndex), Options{Kernel: k})
			if err != nil {
				t.Fatal(err)
			}
			err = l.Load(context.Background(), "configfs")
			if !errors.Is(err, tt.errno) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %v with a hint containing %q", err, tt.errno, tt.want)
			}
		})
	}
}

func TestLoadConcurrencyLimit(t *testing.T) {
	var mods []fakeMod
	var names []string
	for i := range 24 {
		mods = append(mods, fakeMod{path: fmt.Sprintf("kernel/drivers/net/nic%02d.ko", i)})
		names = append(names, fmt.Sprintf("nic%02d", i))
	}
	// A dependent pair: chain must never overlap its dependency.
	mods = append(mods, fakeMod{"kernel/drivers/net/base.ko", nil}, fakeMod{"kernel/drivers/net/top.ko", []string{"kernel/drivers/net/base.ko"}})
	names = append(names, "top")
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			k := newFakeKernel()
			k.delay = 5 * time.Millisecond
			l, err := Open(fakeTree(t, mods, nil), Options{Kernel: k, Concurrency: limit})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Load(context.Background(), names...); err != nil {
				t.Fatal(err)
			}
			if len(k.order) != 26 {
				t.Fatalf("loaded %d modules, want 26", len(k.order))
			}
			if k.maxInflight != limit {
				t.Errorf("at most %d insertions at once, want exactly the limit %d", k.maxInflight, limit)
			}
		})
	}
}

func TestLoadCompressed(t *testing.T) {
	tests := []struct {
		name string
		// kernelComp is what Options.KernelCompression says; accepts is
		// what the fake kernel really decompresses.
		kernelComp, accepts string
		module              string
		wantCalls           []call
	}{
		{"kernel decompresses zstd", "zstd", "zstd", "crc16",
			[]call{{name: "crc16", flags: unix.MODULE_INIT_COMPRESSED_FILE}}},
		{"no kernel decompression: memfd", "", "", "crc16",
			[]call{{name: "crc16", elf: true}}},
		{"kernel decompresses another format: memfd", "zstd", "zstd", "mbcache",
			[]call{{name: "mbcache", elf: true}}},
		{"flag refused (EINVAL): memfd", "gzip", "", "crc32c_intel",
			[]call{{name: "crc32c_intel", elf: true}}},
		{"plain module", "zstd", "zstd", "configfs",
			[]call{{name: "configfs", elf: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newFakeKernel()
			k.decompresses = tt.accepts
			l, err := Open(fakeTree(t, fsTree, fsIndex), Options{Kernel: k, KernelCompression: tt.kernelComp})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Load(context.Background(), tt.module); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantCalls, k.calls, cmp.AllowUnexported(call{})); diff != "" {
				t.Errorf("finit_module calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadParamsAndCancel(t *testing.T) {
	params, blacklist := CmdlineOptions("ro root=/dev/vda dlm.log_debug=1 crc16.x Dlm.y=2 modprobe.blacklist=e1000e,snd-hda osr.node=1")
	if len(blacklist) != 2 {
		t.Errorf("blacklist = %v", blacklist)
	}
	k := newFakeKernel()
	l, err := Open(fakeTree(t, fsTree, fsIndex), Options{Kernel: k, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Load(context.Background(), "dlm"); err != nil {
		t.Fatal(err)
	}
	want := []call{{name: "configfs", elf: true}, {name: "dlm", params: "log_debug=1", elf: true}}
	if diff := cmp.Diff(want, k.calls, cmp.AllowUnexported(call{})); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Load(ctx, "gfs2"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestCmdlineOptions(t *testing.T) {
	params, blacklist := CmdlineOptions("quiet nfs.nfs4_disable_idmapping=0 e1000e.InterruptThrottleRate=3000,3000 e1000e.debug=2 " +
		"crc32c-intel.x modprobe.blacklist=floppy,pcspkr modprobe.blacklist=snd-pcsp rd.break=pre-mount net.ifnames=0 .bad=1 a/b.c=1")
	wantParams := map[string]string{
		"nfs":          "nfs4_disable_idmapping=0",
		"e1000e":       "InterruptThrottleRate=3000,3000 debug=2",
		"crc32c_intel": "x",
		"rd":           "break=pre-mount",
		"net":          "ifnames=0",
	}
	if diff := cmp.Diff(wantParams, params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"floppy", "pcspkr", "snd_pcsp"}, blacklist); diff != "" {
		t.Errorf("blacklist (-want +got):\n%s", diff)
	}
}

func TestKernelCompression(t *testing.T) {
	sys := t.TempDir()
	if got := KernelCompression(sys); got != "" {
		t.Errorf("KernelCompression without the file = %q", got)
	}
	writeFile(t, filepath.Join(sys, "module/compression"), []byte("zstd\n"))
	if got := KernelCompression(sys); got != "zstd" {
		t.Errorf("KernelCompression = %q, want zstd", got)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
