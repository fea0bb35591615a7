// SPDX-License-Identifier: Apache-2.0

package loader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/open-sharedroot/osr/framework/kmod"
)

// maxHardwareRounds bounds LoadHardware's rescans: each round loads the
// drivers of devices the previous round's drivers brought up (a PCI
// virtio device, then the virtio block device behind it).
const maxHardwareRounds = 8

// HardwareReport says what LoadHardware found and did.
type HardwareReport struct {
	// Modaliases are the distinct modaliases seen, sorted.
	Modaliases []string
	// Modules are the drivers matched and loaded, sorted by name.
	Modules []string
	// Unsupported are matched drivers that do not fit this machine (their
	// error wraps ErrUnsupported: no device they drive, a CPU feature
	// missing); they are logged and skipped, not errors.
	Unsupported []string
	// Blacklisted are matched drivers left out by Options.Blacklist.
	Blacklisted []string
	// NotInImage are matched drivers the index lists but whose file the
	// image does not hold (a host-only or generic image leaves out
	// hardware it was not built for); they are skipped, not errors.
	NotInImage []string
	// Rounds is the number of sysfs scans that found new devices.
	Rounds int
}

// LoadHardware loads the drivers for the devices under sysfs (normally
// "/sys"): every module whose modules.alias pattern matches a device's
// modalias, like udev's coldplug with modprobe. Drivers create new
// devices, so it scans again after each round until nothing new appears.
// A driver that fails does not stop the others; the error joins all
// failures except those of drivers that do not fit this machine
// (ErrUnsupported), which the report lists. Modules Options.Blacklist
// names are not loaded, nor are drivers whose files the image leaves out.
func (l *Loader) LoadHardware(ctx context.Context, sysfs string) (HardwareReport, error) {
	var rep HardwareReport
	seen := map[string]bool{}
	taken := map[string]bool{}
	var errs []error
	for round := 0; round < maxHardwareRounds; round++ {
		aliases, err := kmod.ReadModaliases(sysfs)
		if err != nil {
			return rep, fmt.Errorf("load hardware drivers: %w (is sysfs mounted at %s?)", err, sysfs)
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
		rep.Rounds++
		rep.Modaliases = append(rep.Modaliases, fresh...)
		var mods []*kmod.Module
		for _, m := range l.ix.MatchModaliases(fresh) {
			switch {
			case taken[m.Name]:
			case l.blacklist[m.Name]:
				taken[m.Name] = true
				rep.Blacklisted = append(rep.Blacklisted, m.Name)
			case !fileExists(l.ix.Path(m)):
				taken[m.Name] = true
				rep.NotInImage = append(rep.NotInImage, m.Name)
			default:
				taken[m.Name] = true
				mods = append(mods, m)
			}
		}
		failed := l.loadEach(ctx, mods)
		for _, m := range mods {
			err, ok := failed[m.Name]
			switch {
			case !ok:
				rep.Modules = append(rep.Modules, m.Name)
			case errors.Is(err, ErrUnsupported):
				rep.Unsupported = append(rep.Unsupported, m.Name)
			default:
				errs = append(errs, err)
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	sort.Strings(rep.Modaliases)
	sort.Strings(rep.Modules)
	sort.Strings(rep.Unsupported)
	sort.Strings(rep.Blacklisted)
	sort.Strings(rep.NotInImage)
	return rep, errors.Join(errs...)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
