// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"runtime"

	"errors"
	"fmt"
	"github.com/open-sharedroot/osr/framework/config/driverblock"
	drv "github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/initrd"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/listfile"
)

func init() {
	register(func(e *env) *cobra.Command {
		var o listfilesFlags
		c := &cobra.Command{
			Use: `listfiles [--root DIR] [--driver NAME] [--fstype TYPE] [--arch ARCH]
              [--listfile-dir DIR]… [--listfile NAME]… [--all] [--json]`,
			Short: "show what a build takes from the listfiles, and which listfile asked",
			Long: `Resolves the listfiles against a root filesystem and shows every file, binary,
directory and symlink a build would put into the image, with the listfile and
line that asked for it, and the optional entries the root lacks. Required
entries that are missing are listed and make the command fail (exit 1).

Without --listfile-dir (or $OSR_LISTFILE_PATH, colon-separated) osr reads the
listfile_dirs of osr.hcl, else /usr/share/osr/listfiles then
/etc/osr/listfiles.d, inside --root; later directories override earlier ones.

Set $OSR_RPM to use another rpm command for rpm-based roots.`,
			Args: noArgs,
			RunE: func(*cobra.Command, []string) error { return runListfiles(e, &o) },
		}
		fs := c.Flags()
		fs.StringVar(&o.root, "root", envOr("OSR_ROOT", "/"), "the root filesystem `DIR` to build from (also $OSR_ROOT)")
		fs.StringVar(&o.driver, "driver", "", "the build's driver `NAME` (entries with driver conditions)")
		fs.StringVar(&o.fstype, "fstype", "", "the root filesystem `TYPE` (default: the driver's name)")
		fs.StringVar(&o.arch, "arch", "", "the image's `ARCH`itecture (default: osr's own)")
		fs.StringArrayVar(&o.dirs, "listfile-dir", nil, "read listfiles from `DIR` instead of the installed ones (repeatable)")
		fs.StringArrayVar(&o.requested, "listfile", nil, "also take the on-request listfile `NAME` (repeatable)")
		fs.BoolVar(&o.all, "all", false, "also list the entries left out by their conditions")
		fs.BoolVar(&o.asJSON, "json", false, "print the report and the items as JSON")
		_ = c.RegisterFlagCompletionFunc("driver", driverNames(e))
		return c
	})
}

type listfilesFlags struct {
	root, driver, fstype, arch string
	dirs, requested            []string
	all, asJSON                bool
}

func runListfiles(e *env, o *listfilesFlags) error {
	root, driver, fstype, arch := &o.root, &o.driver, &o.fstype, &o.arch
	dirs, requested, all, asJSON := o.dirs, o.requested, &o.all, &o.asJSON
	if *fstype == "" {
		*fstype = *driver
	}

	set, err := loadListfiles(e, dirs, *root)
	if err != nil {
		return err
	}
	items, report, rerr := set.Resolve(e.Context(), listfile.Query{
		Root:      *root,
		Driver:    *driver,
		FSType:    *fstype,
		Arch:      *arch,
		Listfiles: requested,
		RPM:       os.Getenv("OSR_RPM"),
	})
	var missing *listfile.MissingError
	if rerr != nil && !errors.As(rerr, &missing) {
		return rerr // no root, no distribution, an unreadable file, …
	}
	if *driver != "" {
		ditems, notes, derr := driverPlanItems(e, *driver, *fstype, *root)
		if derr != nil && ditems == nil && notes == nil {
			return derr
		}
		items = append(items, ditems...)
		report.Notes = append(report.Notes, notes...)
		if rerr == nil {
			rerr = derr
		}
	}
	if *asJSON {
		err = listfile.WriteJSON(e.Stdout(), items, report)
	} else {
		err = listfile.WriteText(e.Stdout(), items, report, listfile.TextOptions{Skipped: *all})
	}
	if err != nil {
		return err
	}
	return rerr
}

// loadListfiles reads the listfile directories: --listfile-dir or $OSR_LISTFILE_PATH
// from the host, else the installed directories inside root. Diagnostics go to
// stderr with their source lines.
func loadListfiles(e *env, dirs []string, root string) (*listfile.Set, error) {
	if len(dirs) == 0 {
		if p := os.Getenv("OSR_LISTFILE_PATH"); p != "" {
			dirs = filepath.SplitList(p)
		}
	}
	loadRoot := "/"
	if len(dirs) == 0 {
		// The same directories as osr build: osr.hcl's listfile_dirs, else the
		// installed ones, read inside the root.
		cfg, err := e.LoadConfig()
		if err != nil {
			return nil, err
		}
		dirs, loadRoot = defaultListfileDirs(cfg.Config), root
	} else {
		for i, d := range dirs {
			abs, err := filepath.Abs(d)
			if err != nil {
				return nil, fmt.Errorf("listfile directory %s: %w", d, err)
			}
			dirs[i] = abs
		}
	}
	set, diags := listfile.Load(dirs, loadRoot)
	if len(diags) > 0 {
		if err := set.WriteDiagnostics(e.Stderr(), diags, 0); err != nil {
			return nil, err
		}
	}
	if diags.HasErrors() {
		n := len(diags.Errs())
		return nil, fmt.Errorf("%d error%s in the listfiles of %s", n, map[bool]string{true: "", false: "s"}[n == 1], strings.Join(dirs, ", "))
	}
	return set, nil
}

// driverPlanItems asks the named driver for its plan (with its block of osr.hcl)
// and returns its binaries, files and directories as items whose origin is the
// driver. A driver that is not installed is only a note: the listfiles still show.
func driverPlanItems(e *env, name, fstype, root string) ([]listfile.Item, []string, error) {
	cfg, err := e.LoadConfig()
	if err != nil {
		return nil, nil, err
	}
	host := driverHost(e, cfg)
	defer host.Close()
	d, err := host.Start(e.Context(), name)
	if err != nil {
		e.Log().Info("the driver's own plan is not shown", "driver", name, "error", err)
		return nil, nil, nil
	}
	if !d.Info.ServesFSType(fstype) {
		fstype = d.Info.FSTypes[0]
	}
	dcfg, err := decodeDriverConfig(e, cfg, cfg.Driver(name), d.Info, fstype, d)
	if err != nil {
		return nil, nil, err
	}
	plan, diags, err := d.Plan(e.Context(), drv.PlanRequest{Config: dcfg, FSType: fstype, Target: drv.Target{Arch: runtime.GOARCH}})
	if err != nil {
		return nil, nil, err
	}
	if err := e.Report(cfg.Loader(), driverblock.Diagnostics(cfg.Driver(name), d.Info.Schema, diags, name)); err != nil {
		return nil, nil, err
	}
	items, notes, err := initrd.DriverItems(root, name, plan)
	for _, m := range plan.Modules {
		opt := ""
		if m.Optional {
			opt = ", optional"
		}
		notes = append(notes, fmt.Sprintf("driver %s: kernel module %s (%s%s)", name, m.Name, m.Reason, opt))
	}
	if items == nil {
		items = []listfile.Item{}
	}
	return items, notes, err
}
