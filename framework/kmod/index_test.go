// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeModules writes a modules directory with the given index files.
func fakeModules(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lib/modules/9.9.9-test")
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	return dir
}

var fakeIndex = map[string]string{
	FileDep: `kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz kernel/fs/mbcache.ko.xz kernel/fs/jbd2/jbd2.ko.xz
kernel/lib/crc16.ko.xz:
kernel/fs/mbcache.ko.xz:
kernel/fs/jbd2/jbd2.ko.xz:
kernel/crypto/crc32c_generic.ko.xz:
kernel/arch/x86/crypto/crc32c-intel.ko.xz:
kernel/fs/gfs2/gfs2.ko.zst: kernel/fs/dlm/dlm.ko.zst kernel/fs/configfs/configfs.ko.zst
kernel/fs/dlm/dlm.ko.zst: kernel/fs/configfs/configfs.ko.zst
kernel/fs/configfs/configfs.ko.zst:
kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko:
kernel/drivers/net/wireless/intel/iwlwifi/iwlwifi.ko: kernel/net/wireless/cfg80211.ko
kernel/net/wireless/cfg80211.ko:
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko
kernel/drivers/virtio/virtio.ko:
kernel/drivers/char/ipmi/ipmi_msghandler.ko:
kernel/drivers/char/ipmi/ipmi_devintf.ko: kernel/drivers/char/ipmi/ipmi_msghandler.ko
kernel/sound/core/snd.ko:
`,
	FileSoftdep: `# Soft dependencies extracted from modules themselves.
softdep ext4 pre: crypto-crc32c
softdep ipmi_msghandler post: ipmi_devintf
softdep cifs gcm
softdep e1000e pre: no-such-thing
`,
	FileAlias: `# Aliases extracted from modules themselves.
alias fs-gfs2 gfs2
alias crypto-crc32c crc32c_intel
alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e
alias virtio:d00000002v* virtio_blk
alias pci:v00008086d00002723sv*sd*bc*sc*i* iwlwifi
alias sound-slot-0 snd
`,
	FileBuiltin:        "kernel/net/unix/unix.ko\nkernel/crypto/crc32c_generic_builtin.ko\n",
	FileBuiltinModinfo: "unix.alias=net-pf-1\x00crc32c_generic_builtin.alias=crypto-crc32c\x00crc32c_generic_builtin.firmware=none.bin\x00unix.license=GPL\x00",
	FileOrder:          "kernel/fs/ext4/ext4.ko\nkernel/fs/gfs2/gfs2.ko\n",
}

func TestLoadFake(t *testing.T) {
	ix, err := Load(fakeModules(t, fakeIndex))
	if err != nil {
		t.Fatal(err)
	}
	if ix.Version() != "9.9.9-test" {
		t.Errorf("Version = %q", ix.Version())
	}
	m, ok := ix.Module("crc32c_intel")
	if !ok || m.Path != "kernel/arch/x86/crypto/crc32c-intel.ko.xz" {
		t.Errorf("Module(crc32c_intel) = %+v, %v", m, ok)
	}
	if m, _ := ix.Module("gfs2"); m.Order != 2 {
		t.Errorf("gfs2 order = %d, want line 2 of modules.order", m.Order)
	}
	if !ix.Builtin("unix") {
		t.Error("unix not built in")
	}
	if diff := cmp.Diff(Softdep{Pre: []string{"crypto-crc32c"}}, ix.Softdep("ext4")); diff != "" {
		t.Errorf("Softdep(ext4):\n%s", diff)
	}
	// kmod ignores words before "pre:"/"post:".
	if sd := ix.Softdep("cifs"); len(sd.Pre)+len(sd.Post) != 0 {
		t.Errorf("Softdep(cifs) = %+v, want none", sd)
	}
	if diff := cmp.Diff(map[string][]string{"crc32c_generic_builtin": {"none.bin"}}, ix.BuiltinFirmware()); diff != "" {
		t.Errorf("BuiltinFirmware:\n%s", diff)
	}
}

func TestResolveFake(t *testing.T) {
	ix, err := Load(fakeModules(t, fakeIndex))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		req         Request
		want        []string
		wantBuiltin []string
		wantMissing []string
	}{
		{
			name: "deps and softdep alias matching a module and a builtin",
			req:  Request{Modules: []string{"ext4"}},
			want: []string{"kernel/arch/x86/crypto/crc32c-intel.ko.xz", "kernel/fs/ext4/ext4.ko.xz", "kernel/fs/jbd2/jbd2.ko.xz", "kernel/fs/mbcache.ko.xz", "kernel/lib/crc16.ko.xz"},
		},
		{
			name: "no softdeps",
			req:  Request{Modules: []string{"ext4"}, NoSoftdeps: true},
			want: []string{"kernel/fs/ext4/ext4.ko.xz", "kernel/fs/jbd2/jbd2.ko.xz", "kernel/fs/mbcache.ko.xz", "kernel/lib/crc16.ko.xz"},
		},
		{
			name: "alias with dash",
			req:  Request{Modules: []string{"fs-gfs2"}},
			want: []string{"kernel/fs/configfs/configfs.ko.zst", "kernel/fs/dlm/dlm.ko.zst", "kernel/fs/gfs2/gfs2.ko.zst"},
		},
		{
			name: "post softdep",
			req:  Request{Modules: []string{"ipmi-msghandler"}},
			want: []string{"kernel/drivers/char/ipmi/ipmi_devintf.ko", "kernel/drivers/char/ipmi/ipmi_msghandler.ko"},
		},
		{
			name:        "builtin by name and alias, optional missing",
			req:         Request{Modules: []string{"unix", "net-pf-1"}, Optional: []string{"nope", "fs-gfs2"}},
			want:        []string{"kernel/fs/configfs/configfs.ko.zst", "kernel/fs/dlm/dlm.ko.zst", "kernel/fs/gfs2/gfs2.ko.zst"},
			wantBuiltin: []string{"net-pf-1", "unix"},
			wantMissing: []string{"nope"},
		},
		{
			name: "generic leaves out wireless and sound",
			req:  Request{Generic: true},
			want: []string{"kernel/drivers/block/virtio_blk.ko", "kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko", "kernel/drivers/virtio/virtio.ko"},
		},
		{
			// virtio.ko is a generic seed itself (kernel/drivers/virtio/).
			name: "generic with exclude",
			req:  Request{Generic: true, Exclude: []string{"virtio-blk"}},
			want: []string{"kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko", "kernel/drivers/virtio/virtio.ko"},
		},
		{
			name: "host-only: modalias matches and loaded modules",
			req: Request{Generic: true, Host: &Host{
				Modaliases: []string{"pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00", "pci:v00008086d00002723sv0sd0bc0sc0i0"},
				Loaded:     []string{"snd"},
			}},
			want: []string{"kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko"},
		},
		{
			name: "host-only keeps requested modules",
			req:  Request{Modules: []string{"gfs2"}, Generic: true, Host: &Host{Loaded: []string{"virtio-blk"}}},
			want: []string{"kernel/drivers/block/virtio_blk.ko", "kernel/drivers/virtio/virtio.ko", "kernel/fs/configfs/configfs.ko.zst", "kernel/fs/dlm/dlm.ko.zst", "kernel/fs/gfs2/gfs2.ko.zst"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := ix.Resolve(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, paths(sel.Modules)); diff != "" {
				t.Errorf("Modules (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantBuiltin, sel.Builtin); diff != "" {
				t.Errorf("Builtin (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantMissing, sel.Missing); diff != "" {
				t.Errorf("Missing (-want +got):\n%s", diff)
			}
		})
	}
	_, err = ix.Resolve(Request{Modules: []string{"ext4", "nosuch", "fs-nosuch"}})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"nosuch"`) || !strings.Contains(err.Error(), `"fs-nosuch"`) {
		t.Errorf("Resolve of missing modules: err = %v, want ErrNotFound naming both", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no modules.dep", map[string]string{FileAlias: ""}, "modules.dep: no such file or directory (run depmod"},
		{"bad dep line", map[string]string{FileDep: "kernel/a.ko:\nkernel/b.ko kernel/c.ko\n"}, "modules.dep:2: want"},
		{"bad alias line", map[string]string{FileDep: "", FileAlias: "# c\nalias onlyone\n"}, "modules.alias:2: want"},
		{"bad softdep line", map[string]string{FileDep: "", FileSoftdep: "options foo bar=1\n"}, "modules.softdep:1: want"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(fakeModules(t, tt.files))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReadHostFake(t *testing.T) {
	sys := t.TempDir()
	writeFile(t, filepath.Join(sys, "bus/pci/devices/0000:00:02.0/modalias"), "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00\n")
	writeFile(t, filepath.Join(sys, "bus/pci/devices/0000:00:03.0/modalias"), "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00\n")
	writeFile(t, filepath.Join(sys, "bus/virtio/devices/virtio0/modalias"), "virtio:d00000002v00001AF4\n")
	writeFile(t, filepath.Join(sys, "bus/virtio/devices/virtio0/uevent"), "")
	writeFile(t, filepath.Join(sys, "module/virtio_blk/initstate"), "live\n")
	writeFile(t, filepath.Join(sys, "module/unix/parameters/x"), "")
	if err := os.MkdirAll(filepath.Join(sys, "module/crc32c-intel"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(sys, "module/crc32c-intel/initstate"), "live\n")
	h, err := ReadHost(sys)
	if err != nil {
		t.Fatal(err)
	}
	want := Host{
		Modaliases: []string{"pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00", "virtio:d00000002v00001AF4"},
		Loaded:     []string{"crc32c_intel", "virtio_blk"},
	}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("ReadHost (-want +got):\n%s", diff)
	}
	ix, err := Load(fakeModules(t, fakeIndex))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"kernel/drivers/block/virtio_blk.ko", "kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko"}, paths(ix.MatchModaliases(h.Modaliases))); diff != "" {
		t.Errorf("MatchModaliases (-want +got):\n%s", diff)
	}
}

func TestMatchRules(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko", true},
		{"kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko.zst", true},
		{"kernel/drivers/net/wireless/ath/ath9k/ath9k.ko", false},
		{"kernel/drivers/net/usb/qmi_wwan.ko.xz", false},
		{"kernel/drivers/net/usb/r8152.ko", true},
		{"kernel/drivers/hid/hid-generic.ko", true},
		{"kernel/drivers/hid/hid-logitech.ko", false},
		{"kernel/sound/core/snd.ko", false},
		{"kernel/drivers/block/null_blk/null_blk.ko", false},
	}
	for _, tt := range tests {
		if got := MatchRules(GenericRules, tt.path); got != tt.want {
			t.Errorf("MatchRules(GenericRules, %q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
