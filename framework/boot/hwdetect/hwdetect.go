// Package hwdetect finds the hardware the kernel sees (the modalias of every
// device in sysfs) and loads drivers for it round after round, because a
// loaded driver (virtio_pci, a SCSI host) brings new devices that need
// drivers of their own.
//
// Usage:
//
//	loaded, err := hwdetect.Coldplug(ctx, "/sys", loader.LoadAliases, log.Printf)
package hwdetect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Modaliases returns the distinct modalias strings of every device under
// sysfs/devices, sorted.
func Modaliases(sysfs string) ([]string, error) {
	root := filepath.Join(sysfs, "devices")
	set := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // a device went away or is unreadable: not ours to fix
		}
		if d.Name() != "modalias" || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		if a := strings.TrimSpace(string(b)); a != "" {
			set[a] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s for modalias: %w", root, err)
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}

// LoadFunc loads the modules for a set of modaliases and returns the module
// names it loaded.
type LoadFunc func(ctx context.Context, aliases []string) ([]string, error)

// MaxRounds bounds Coldplug's rounds.
const MaxRounds = 8

// Coldplug scans for modaliases and loads drivers for the new ones until a
// round finds nothing new (after a short settle for devices that appear
// asynchronously) or MaxRounds is reached. Load errors are collected and
// returned together with what was loaded; the caller decides whether a
// missing driver matters.
func Coldplug(ctx context.Context, sysfs string, load LoadFunc, logf func(format string, args ...any)) ([]string, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	seen := map[string]bool{}
	var loaded []string
	var errs []error
	for round := 1; round <= MaxRounds; round++ {
		aliases, err := Modaliases(sysfs)
		if err != nil {
			return loaded, err
		}
		var fresh []string
		for _, a := range aliases {
			if !seen[a] {
				seen[a] = true
				fresh = append(fresh, a)
			}
		}
		if len(fresh) == 0 {
			break
		}
		mods, err := load(ctx, fresh)
		loaded = append(loaded, mods...)
		if err != nil {
			errs = append(errs, err)
		}
		logf("hardware round %d: %d new devices, loaded %d modules %s", round, len(fresh), len(mods), strings.Join(mods, " "))
		if len(mods) == 0 {
			break // nothing loaded, nothing new can appear
		}
		select {
		case <-ctx.Done():
			return loaded, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return loaded, errors.Join(errs...)
}
