// SPDX-License-Identifier: Apache-2.0

package boot

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/kmod/loader"
	"golang.org/x/sys/unix"
)

// failingModules answers like the loader does when modules fail.
type failingModules struct {
	hardware []string
	hwErr    error
	loadErr  error
	// failing makes Load of these names fail (after loadErr).
	failing map[string]error
}

func (f *failingModules) LoadHardware(context.Context, string) ([]string, error) {
	return f.hardware, f.hwErr
}

func (f *failingModules) Load(_ context.Context, names ...string) error {
	if f.loadErr != nil {
		return f.loadErr
	}
	for _, n := range names {
		if err := f.failing[n]; err != nil {
			return err
		}
	}
	return nil
}

func TestRunModulesStep(t *testing.T) {
	unsupported := fmt.Errorf("load module crc32c_intel (/lib/modules/6.1.0/kernel/arch/x86/crypto/crc32c-intel.ko): %w: %w (it found no device it drives, or a CPU feature it needs is missing)",
		unix.ENODEV, loader.ErrUnsupported)
	tests := []struct {
		name     string
		mods     *failingModules
		optional []string
		failed   bool
		want     []string // in the boot log
	}{
		{
			name:     "an optional driver module failing is a warning",
			mods:     &failingModules{failing: map[string]error{"crc32c": unsupported}},
			optional: []string{"crc32c", "libcrc32c"},
			want: []string{"driver modules loaded: gfs2 dlm",
				"optional driver module crc32c did not load (the root can do without it): load module crc32c_intel",
				"optional driver module loaded: libcrc32c"},
		},
		{
			name:     "a required module fails even when optional ones load",
			mods:     &failingModules{failing: map[string]error{"dlm": unsupported}},
			optional: []string{"crc32c"},
			failed:   true,
			want:     []string{`FAILED step "modules"`, "not supported by this machine"},
		},
		{
			name: "a hardware driver failing does not stop the boot",
			mods: &failingModules{hardware: []string{"virtio_pci", "virtio_blk"}, hwErr: fmt.Errorf("load module e1000e (e1000e.ko): %w", unix.ENOEXEC)},
			want: []string{"hardware: loaded 2 modules: virtio_pci virtio_blk", "some hardware drivers did not load: load module e1000e", "driver modules loaded: gfs2 dlm"},
		},
		{
			name:   "a root module without a working alternative",
			mods:   &failingModules{loadErr: unsupported},
			failed: true,
			want: []string{`FAILED step "modules" (load the root filesystem driver's modules)`,
				"error: load module crc32c_intel (", "no such device: not supported by this machine",
				"- modules gfs2 dlm", "needs hardware or a CPU feature this machine lacks"},
		},
		{
			name:   "a root module from another kernel",
			mods:   &failingModules{loadErr: fmt.Errorf("load module gfs2 (gfs2.ko): %w: not a module for this kernel", unix.ENOEXEC)},
			failed: true,
			want:   []string{`FAILED step "modules"`, "exec format error: not a module for this kernel", "rebuild the image for this kernel (osr build)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "quiet")
			h.cfg.Modules = tt.mods
			h.cfg.OptionalDriverModules = tt.optional
			ctx, shell := failingBoot(t)
			h.cfg.Shell = shell
			err := Run(ctx, h.cfg)
			if tt.failed != (err != nil) {
				t.Errorf("Run: err = %v, want failure %v", err, tt.failed)
			}
			if tt.failed && h.root.spec.Source != "" {
				t.Errorf("the root was mounted after the modules step failed")
			}
			var log strings.Builder
			for _, e := range h.cfg.Log.Entries() {
				log.WriteString(e.Msg + "\n")
			}
			for _, want := range tt.want {
				if !strings.Contains(log.String(), want) {
					t.Errorf("boot log lacks %q:\n%s", want, log.String())
				}
			}
		})
	}
}
