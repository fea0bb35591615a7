// SPDX-License-Identifier: Apache-2.0

package loader

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-sharedroot/osr/framework/kmod"
	"golang.org/x/sys/unix"
)

// cryptoTree is modelled on Debian's 6.1 kernel: crc32c is provided by an
// SSE4.2 module (with a CPU-feature modalias) and a generic one; ext4 and
// jbd2 want crypto-crc32c as a pre soft dependency, libcrc32c wants
// crc32c, gfs2 needs libcrc32c. aes likewise has an AES-NI and a generic
// provider; virtio_blk drives one device and has no alternative.
var cryptoTree = []fakeMod{
	{"kernel/arch/x86/crypto/crc32c-intel.ko", nil},
	{"kernel/crypto/crc32c_generic.ko", nil},
	{"kernel/lib/libcrc32c.ko", nil},
	{"kernel/lib/crc16.ko", nil},
	{"kernel/fs/mbcache.ko", nil},
	{"kernel/fs/jbd2/jbd2.ko", nil},
	{"kernel/fs/ext4/ext4.ko", []string{"kernel/lib/crc16.ko", "kernel/fs/mbcache.ko", "kernel/fs/jbd2/jbd2.ko"}},
	{"kernel/fs/configfs/configfs.ko", nil},
	{"kernel/fs/dlm/dlm.ko", []string{"kernel/fs/configfs/configfs.ko"}},
	{"kernel/fs/gfs2/gfs2.ko", []string{"kernel/fs/dlm/dlm.ko", "kernel/fs/configfs/configfs.ko", "kernel/lib/libcrc32c.ko"}},
	{"kernel/arch/x86/crypto/aesni-intel.ko", nil},
	{"kernel/crypto/aes_generic.ko", nil},
	{"kernel/drivers/block/virtio_blk.ko", nil},
}

var cryptoIndex = map[string]string{
	kmod.FileAlias: `alias crypto-crc32c-intel crc32c_intel
alias crc32c-intel crc32c_intel
alias crypto-crc32c crc32c_intel
alias crc32c crc32c_intel
alias cpu:type:x86,ven*fam*mod*:feature:*0094* crc32c_intel
alias crypto-crc32c-generic crc32c_generic
alias crypto-crc32c crc32c_generic
alias crc32c crc32c_generic
alias fs-ext4 ext4
alias crypto-aes aesni_intel
alias aes aesni_intel
alias cpu:type:x86,ven*fam*mod*:feature:*0099* aesni_intel
alias crypto-aes aes_generic
alias aes aes_generic
alias virtio:d00000002v* virtio_blk
`,
	kmod.FileSoftdep: "softdep ext4 pre: crypto-crc32c\nsoftdep jbd2 pre: crypto-crc32c\nsoftdep libcrc32c pre: crc32c\n",
}

// logLines collects the loader's log.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func TestLoadAlternatives(t *testing.T) {
	tests := []struct {
		name   string
		fail   map[string]error
		params map[string]string
		load   []string
		// wantLoaded are the modules the kernel ends up with, sorted;
		// before maps a module to one that must load before it.
		wantLoaded []string
		before     map[string]string
		// wantErr are substrings of the error ("" entries: none wanted);
		// wantErrno are errors it must wrap.
		wantErr     []string
		wantErrno   []error
		unsupported bool // the error wraps ErrUnsupported
		wantLog     []string
		notLog      []string
	}{
		{
			name:       "accelerated variant fails ENODEV, generic provides",
			fail:       map[string]error{"crc32c_intel": unix.ENODEV},
			load:       []string{"ext4", "crc32c"},
			wantLoaded: []string{"crc16", "crc32c_generic", "ext4", "jbd2", "mbcache"},
			before:     map[string]string{"ext4": "crc32c_generic", "jbd2": "crc32c_generic"},
			wantLog: []string{
				"module crc32c_intel: skipped: load module crc32c_intel (", "crc32c-intel.ko): no such device: not supported by this machine",
				"module crc32c_generic: loaded", "module ext4: loaded",
			},
			notLog: []string{"soft dependency crypto-crc32c did not load"},
		},
		{
			name:       "dependent of a need a sibling meets still loads",
			fail:       map[string]error{"crc32c_intel": unix.ENXIO},
			load:       []string{"gfs2"},
			wantLoaded: []string{"configfs", "crc32c_generic", "dlm", "gfs2", "libcrc32c"},
			before:     map[string]string{"libcrc32c": "crc32c_generic", "gfs2": "libcrc32c"},
			wantLog:    []string{"module crc32c_intel: skipped:", "no such device or address: not supported by this machine", "module gfs2: loaded"},
		},
		{
			name: "every provider fails: error names each and why",
			fail: map[string]error{"crc32c_intel": unix.ENODEV, "crc32c_generic": unix.ENOEXEC},
			load: []string{"crypto-crc32c"},
			wantErr: []string{
				"load crypto-crc32c: none of the 2 modules providing it loaded: ",
				"load module crc32c_intel (", "no such device: not supported by this machine",
				"load module crc32c_generic (", "exec format error: not a module for this kernel",
			},
			wantErrno:   []error{unix.ENODEV, unix.ENOEXEC},
			unsupported: true,
		},
		{
			name:       "a soft dependency no provider meets does not stop its module",
			fail:       map[string]error{"crc32c_intel": unix.ENODEV, "crc32c_generic": unix.ENOEXEC},
			load:       []string{"ext4"},
			wantLoaded: []string{"crc16", "ext4", "jbd2", "mbcache"},
			wantLog:    []string{"module ext4: soft dependency crypto-crc32c did not load, loading ext4 without it", "module ext4: loaded"},
		},
		{
			name:      "required module failing EINVAL",
			fail:      map[string]error{"ext4": unix.EINVAL},
			load:      []string{"fs-ext4"},
			wantErr:   []string{"load module ext4 (", "ext4.ko): invalid argument: a module parameter was rejected"},
			wantErrno: []error{unix.EINVAL},
		},
		{
			name:      "required module's dependency failing ENOENT",
			fail:      map[string]error{"jbd2": unix.ENOENT},
			load:      []string{"ext4"},
			wantErr:   []string{"load module ext4: dependency jbd2 failed: load module jbd2 (", "unknown symbol"},
			wantErrno: []error{unix.ENOENT},
			wantLog:   []string{"module ext4: not loaded, dependency jbd2 failed"},
		},
		{
			name:        "required hardware module without an alternative",
			fail:        map[string]error{"virtio_blk": unix.ENODEV},
			load:        []string{"virtio_blk"},
			wantErr:     []string{"load module virtio_blk (", "no such device: not supported by this machine"},
			wantErrno:   []error{unix.ENODEV},
			unsupported: true,
		},
		{
			name:       "device driver EINVAL without parameters: skipped",
			fail:       map[string]error{"aesni_intel": unix.EINVAL},
			load:       []string{"crypto-aes"},
			wantLoaded: []string{"aes_generic"},
			wantLog:    []string{"module aesni_intel: skipped:", "invalid argument: not supported by this machine"},
		},
		{
			name:       "device driver EINVAL with parameters: a rejected parameter, the sibling still provides",
			fail:       map[string]error{"aesni_intel": unix.EINVAL},
			params:     map[string]string{"aesni-intel": "bogus=1"},
			load:       []string{"aes"},
			wantLoaded: []string{"aes_generic"},
			wantLog:    []string{"module aesni_intel: load module aesni_intel (", "invalid argument: a module parameter was rejected"},
			notLog:     []string{"module aesni_intel: skipped"},
		},
		{
			name:      "EINVAL from a module that drives no device is an error",
			fail:      map[string]error{"aes_generic": unix.EINVAL, "aesni_intel": unix.ENODEV},
			load:      []string{"aes"},
			wantErr:   []string{"load aes: none of the 2 modules providing it loaded", "aes_generic.ko): invalid argument: a module parameter was rejected"},
			wantErrno: []error{unix.EINVAL, unix.ENODEV},
			// aesni_intel's part of the error is ErrUnsupported.
			unsupported: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newFakeKernel()
			for name, err := range tt.fail {
				k.fail[name] = err
			}
			var log logLines
			l, err := Open(fakeTree(t, cryptoTree, cryptoIndex), Options{Kernel: k, Params: tt.params, Logf: log.logf})
			if err != nil {
				t.Fatal(err)
			}
			err = l.Load(context.Background(), tt.load...)
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatalf("Load(%v): %v", tt.load, err)
			}
			if len(tt.wantErr) > 0 && err == nil {
				t.Fatalf("Load(%v) succeeded, want an error", tt.load)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %v\nwant it to contain %q", err, want)
				}
			}
			for _, errno := range tt.wantErrno {
				if !errors.Is(err, errno) {
					t.Errorf("error %v does not wrap %v", err, errno)
				}
			}
			if err != nil && errors.Is(err, ErrUnsupported) != tt.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v (error %v)", !tt.unsupported, tt.unsupported, err)
			}
			if err == nil {
				if diff := cmp.Diff(tt.wantLoaded, sorted(k.order)); diff != "" {
					t.Errorf("loaded (-want +got):\n%s", diff)
				}
			}
			for mod, first := range tt.before {
				if k.position(first) < 0 || k.position(first) > k.position(mod) {
					t.Errorf("%s not loaded before %s (order %v)", first, mod, k.order)
				}
			}
			logged := log.String()
			for _, want := range tt.wantLog {
				if !strings.Contains(logged, want) {
					t.Errorf("log lacks %q:\n%s", want, logged)
				}
			}
			for _, bad := range tt.notLog {
				if strings.Contains(logged, bad) {
					t.Errorf("log has %q:\n%s", bad, logged)
				}
			}
		})
	}
}

// A module that does not fit the machine is tried once per boot; other
// failures are tried again (a retry from the rescue shell).
func TestLoadRemembersUnsupported(t *testing.T) {
	k := newFakeKernel()
	k.fail["crc32c_intel"] = unix.ENODEV
	k.fail["virtio_blk"] = unix.ENOEXEC
	l, err := Open(fakeTree(t, cryptoTree, cryptoIndex), Options{Kernel: k})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if err := l.Load(ctx, "ext4", "crc32c", "libcrc32c"); err != nil {
			t.Fatal(err)
		}
		if err := l.Load(ctx, "virtio_blk"); !errors.Is(err, unix.ENOEXEC) {
			t.Fatalf("virtio_blk: err = %v, want ENOEXEC", err)
		}
	}
	counts := map[string]int{}
	for _, c := range k.calls {
		counts[c.name]++
	}
	if counts["crc32c_intel"] != 1 || counts["virtio_blk"] != 3 {
		t.Errorf("finit_module calls: crc32c_intel %d (want 1), virtio_blk %d (want 3)", counts["crc32c_intel"], counts["virtio_blk"])
	}
}

// A driver matched by a device's modalias that does not fit the machine
// is skipped and reported; other failures are errors.
func TestLoadHardwareUnsupported(t *testing.T) {
	tests := []struct {
		name        string
		errno       error
		params      map[string]string
		unsupported bool
	}{
		{"ENODEV: absent device", unix.ENODEV, nil, true},
		{"ENXIO: absent device", unix.ENXIO, nil, true},
		{"EINVAL without parameters", unix.EINVAL, nil, true},
		{"EINVAL with parameters", unix.EINVAL, map[string]string{"e1000e": "IntMode=9"}, false},
		{"ENOENT: unknown symbol", unix.ENOENT, nil, false},
		{"ENOEXEC: another kernel's module", unix.ENOEXEC, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := t.TempDir()
			writeFile(t, filepath.Join(sys, "bus/pci/devices/0000:00:02.0/modalias"), []byte("pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00"))
			writeFile(t, filepath.Join(sys, "bus/pci/devices/0000:00:1f.2/modalias"), []byte("pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01"))
			k := newFakeKernel()
			k.fail["e1000e"] = tt.errno
			var log logLines
			l, err := Open(fakeTree(t, hwTree, hwIndex), Options{Kernel: k, Params: tt.params, Logf: log.logf})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := l.LoadHardware(context.Background(), sys)
			if diff := cmp.Diff([]string{"ahci"}, rep.Modules); diff != "" {
				t.Errorf("loaded drivers (-want +got):\n%s", diff)
			}
			if tt.unsupported {
				if err != nil {
					t.Errorf("LoadHardware: %v, want e1000e skipped", err)
				}
				if diff := cmp.Diff([]string{"e1000e"}, rep.Unsupported); diff != "" {
					t.Errorf("unsupported (-want +got):\n%s", diff)
				}
				if !strings.Contains(log.String(), "module e1000e: skipped: ") {
					t.Errorf("log does not say e1000e was skipped:\n%s", log.String())
				}
				return
			}
			if !errors.Is(err, tt.errno) || !strings.Contains(err.Error(), "load module e1000e (") {
				t.Errorf("LoadHardware: err = %v, want e1000e's %v", err, tt.errno)
			}
			if len(rep.Unsupported) != 0 {
				t.Errorf("unsupported = %v, want none", rep.Unsupported)
			}
		})
	}
}
