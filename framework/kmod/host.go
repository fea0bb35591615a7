// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Host describes the hardware and modules of one running machine, read
// from its sysfs: what host-only images and the boot-time loader match
// against modules.alias.
type Host struct {
	// Modaliases are the distinct modalias strings of the devices on
	// every bus (<sysfs>/bus/*/devices/*/modalias), sorted.
	Modaliases []string
	// Loaded are the loadable modules loaded now (<sysfs>/module/*
	// with an initstate file), normalised and sorted.
	Loaded []string
}

// ReadHost reads the devices and loaded modules under sysfs (normally
// "/sys"; tests pass a fake tree).
func ReadHost(sysfs string) (Host, error) {
	aliases, err := ReadModaliases(sysfs)
	if err != nil {
		return Host{}, err
	}
	var h Host
	h.Modaliases = aliases
	mods, err := os.ReadDir(filepath.Join(sysfs, "module"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Host{}, fmt.Errorf("read loaded modules: %w", err)
	}
	for _, e := range mods {
		// Built-in modules have a /sys/module entry too, but no initstate.
		if _, err := os.Stat(filepath.Join(sysfs, "module", e.Name(), "initstate")); err == nil {
			h.Loaded = append(h.Loaded, Normalize(e.Name()))
		}
	}
	sort.Strings(h.Loaded)
	return h, nil
}

// ReadModaliases returns the distinct, sorted modaliases of the devices
// under sysfs, found through <sysfs>/bus/*/devices/*/modalias.
func ReadModaliases(sysfs string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(sysfs, "bus", "*", "devices", "*", "modalias"))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			// Devices come and go while we read; a vanished one is fine.
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read modalias: %w", err)
		}
		a := string(bytes.TrimSpace(data))
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out, nil
}

// MatchModaliases returns the distinct loadable modules whose aliases match
// any of the modaliases, sorted by path: the drivers for that hardware.
func (ix *Index) MatchModaliases(modaliases []string) []*Module {
	seen := map[string]bool{}
	var out []*Module
	for _, a := range modaliases {
		for _, name := range ix.aliases.Match(a) {
			if m, ok := ix.modules[name]; ok && !seen[name] {
				seen[name] = true
				out = append(out, m)
			}
		}
	}
	sortByPath(out)
	return out
}

// hostModules is the set of module names the host's hardware matches or
// that it has loaded.
func (ix *Index) hostModules(h Host) map[string]bool {
	set := map[string]bool{}
	for _, m := range ix.MatchModaliases(h.Modaliases) {
		set[m.Name] = true
	}
	for _, n := range h.Loaded {
		set[Normalize(n)] = true
	}
	return set
}
