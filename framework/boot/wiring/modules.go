// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"context"
	"os"

	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/kmod/loader"
)

// moduleLoader opens the image's module index when the init first needs it
// (after /proc and /sys are mounted, so the command line's module options
// apply).
type moduleLoader struct {
	dir     string // /lib/modules/<kernel>
	cmdline string // /proc/cmdline
	log     *bootlog.Log
	l       *loader.Loader
}

func (m *moduleLoader) open() error {
	if m.l != nil {
		return nil
	}
	cmd, _ := os.ReadFile(m.cmdline)
	params, blacklist := loader.CmdlineOptions(string(cmd))
	l, err := loader.Open(m.dir, loader.Options{
		Params: params, Blacklist: blacklist, KernelCompression: loader.KernelCompression("/sys"), Logf: m.log.Printf,
	})
	if err != nil {
		return err
	}
	m.l = l
	return nil
}

func (m *moduleLoader) LoadHardware(ctx context.Context, sysfs string) ([]string, error) {
	if err := m.open(); err != nil {
		return nil, err
	}
	rep, err := m.l.LoadHardware(ctx, sysfs)
	return rep.Modules, err
}

func (m *moduleLoader) Load(ctx context.Context, names ...string) error {
	if err := m.open(); err != nil {
		return err
	}
	return m.l.Load(ctx, names...)
}
