// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
)

// Firmware is one firmware file a module declares.
type Firmware struct {
	// Name is the name the module asks for, relative to a firmware
	// directory, e.g. "bnx2/bnx2-mips-09-6.2.1b.fw".
	Name string
	// Path is the file found on the host (possibly with a .zst or .xz
	// suffix the kernel's loader also accepts), or "" when missing.
	Path string
	// Modules are the names of the modules that declare it, sorted.
	Modules []string
}

// FirmwareDirs returns the kernel's firmware search path under root, in
// the kernel's order (fw_path in drivers/base/firmware_loader/main.c).
func FirmwareDirs(root, version string) []string {
	return []string{
		filepath.Join(root, "lib/firmware/updates", version),
		filepath.Join(root, "lib/firmware/updates"),
		filepath.Join(root, "lib/firmware", version),
		filepath.Join(root, "lib/firmware"),
	}
}

// firmwareSuffixes are tried in order after the plain name.
var firmwareSuffixes = []string{"", ".zst", ".xz"}

// Firmware reads the firmware= entries of mods (in parallel) and finds
// each file in dirs. Missing firmware is reported with an empty Path, not
// as an error: most hardware works or fails clearly without it, and an
// image for many machines rarely has all of it. The result is sorted by
// name.
func (ix *Index) Firmware(ctx context.Context, mods []*Module, dirs []string) ([]Firmware, error) {
	return ix.FirmwareFrom(ctx, mods, dirs, ReadFirmwareNames)
}

// ReadFirmwareNames returns the firmware= entries of the module file at path.
func ReadFirmwareNames(path string) ([]string, error) {
	mi, err := ReadModinfo(path)
	return mi.Firmware(), err
}

// FirmwareFrom is Firmware with the firmware names of each module file
// given by read (a reader that remembers them between builds).
func (ix *Index) FirmwareFrom(ctx context.Context, mods []*Module, dirs []string, read func(path string) ([]string, error)) ([]Firmware, error) {
	infos := make([][]string, len(mods))
	errs := make([]error, len(mods))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(mods)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				infos[i], errs[i] = read(ix.Path(mods[i]))
			}
		}()
	}
feed:
	for i := range mods {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	byName := map[string]*Firmware{}
	for i, names := range infos {
		if errs[i] != nil {
			return nil, fmt.Errorf("firmware of %s: %w", mods[i].Name, errs[i])
		}
		for _, n := range names {
			fw := byName[n]
			if fw == nil {
				fw = &Firmware{Name: n, Path: findFirmware(dirs, n)}
				byName[n] = fw
			}
			fw.Modules = append(fw.Modules, mods[i].Name)
		}
	}
	out := make([]Firmware, 0, len(byName))
	for _, fw := range byName {
		sort.Strings(fw.Modules)
		out = append(out, *fw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// BuiltinFirmware returns the firmware declared by built-in modules (from
// modules.builtin.modinfo), by module name.
func (ix *Index) BuiltinFirmware() map[string][]string { return ix.builtinFirmware }

func findFirmware(dirs []string, name string) string {
	for _, d := range dirs {
		for _, suf := range firmwareSuffixes {
			p := filepath.Join(d, name+suf)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}
