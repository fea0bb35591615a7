// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/open-sharedroot/osr/framework/config/driverblock"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driverhost"
	"github.com/open-sharedroot/osr/internal/cli"
)

func init() {
	register(newDriversCmd)
}

const driversListLong = `Lists every osr-driver-<name> found in the driver directories (--driver-dir,
$OSR_DRIVER_PATH, driver_dirs in osr.hcl, /usr/libexec/osr/drivers, and the
directory of osr itself) with its version, filesystem types and path. A driver
that does not start is listed as broken and makes the exit status 1.`

func newDriversCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "drivers [list | show NAME] [--json]",
		Short: "list the installed filesystem drivers, or show one",
		Long:  driversListLong + "\n\nosr drivers is osr drivers list.",
		Args:  subcommandArgs,
		RunE:  func(*cobra.Command, []string) error { return runDriversList(e, asJSON) },
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the drivers as JSON")
	c.AddCommand(newDriversListCmd(e), newDriversShowCmd(e))
	return c
}

func newDriversListCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "list the installed drivers with version, filesystem types and path",
		Long:  driversListLong,
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return runDriversList(e, asJSON) },
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the drivers as JSON")
	return c
}

// driverJSON is one driver in osr drivers --json.
type driverJSON struct {
	Name         string   `json:"name"`
	Path         string   `json:"path"`
	Version      string   `json:"version,omitempty"`
	FSTypes      []string `json:"fstypes"`
	CallsItself  string   `json:"calls_itself,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
	Error        string   `json:"error,omitempty"`
}

func runDriversList(e *env, asJSON bool) error {
	cfg, err := e.LoadConfig()
	if err != nil {
		return err
	}
	host := driverHost(e, cfg)
	defer host.Close()
	dirs := driverhost.SearchDirs(e.DriverDirs(), cfg.DriverDirs)
	cands, err := driverhost.Discover(dirs)
	if err != nil {
		return err
	}
	for name, path := range cfg.DriverPaths() {
		cands = append(cands, driverhost.Candidate{Name: name, Path: path})
	}
	if len(cands) == 0 {
		return fmt.Errorf("no drivers found in %s; pass --driver-dir or set %s", strings.Join(dirs, ", "), driverhost.EnvPath)
	}
	type row struct {
		cand driverhost.Candidate
		info *driver.Info
		err  error
	}
	rows := make([]row, len(cands))
	var wg sync.WaitGroup
	for i, c := range cands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := host.StartPath(e.Context(), c.Path)
			rows[i] = row{cand: c, err: err}
			if err == nil {
				rows[i].info = d.Info
				d.Kill()
			}
		}()
	}
	wg.Wait()
	sort.Slice(rows, func(i, j int) bool { return rows[i].cand.Name < rows[j].cand.Name })
	if asJSON {
		out := []driverJSON{}
		failed := 0
		for _, r := range rows {
			d := driverJSON{Name: r.cand.Name, Path: r.cand.Path, FSTypes: []string{}}
			if r.err != nil {
				failed++
				d.Error = r.err.Error()
			} else {
				d.Version, d.FSTypes, d.Capabilities = r.info.Version, r.info.FSTypes, r.info.Capabilities
				if r.info.Name != r.cand.Name {
					d.CallsItself = r.info.Name
				}
			}
			out = append(out, d)
		}
		if err := writeJSON(e.Stdout(), out); err != nil {
			return err
		}
		if failed > 0 {
			return cli.ExitCode(1)
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.Stdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tFSTYPES\tPATH")
	failed := 0
	for _, r := range rows {
		if r.err != nil {
			failed++
			fmt.Fprintf(tw, "%s\t-\t-\t%s (broken: %v)\n", r.cand.Name, r.cand.Path, r.err)
			continue
		}
		name := r.info.Name
		if name != r.cand.Name {
			name = fmt.Sprintf("%s (calls itself %s)", r.cand.Name, r.info.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, r.info.Version, strings.Join(r.info.FSTypes, ","), r.cand.Path)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d drivers could not be started", failed, len(rows))
	}
	return nil
}

func newDriversShowCmd(e *env) *cobra.Command {
	var (
		fstype string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "show NAME [--fstype TYPE] [--json]",
		Short: "a driver's configuration schema and its plan",
		Long: `Prints a driver's configuration schema with defaults and what its Plan puts into
an image for the configuration in osr.hcl (or the defaults), for each filesystem
type it serves (--fstype: one).`,
		RunE: func(_ *cobra.Command, pos []string) error { return runDriversShow(e, fstype, asJSON, pos) },
		ValidArgsFunction: func(c *cobra.Command, args []string, s string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return driverNames(e)(c, args, s)
		},
	}
	c.Flags().StringVar(&fstype, "fstype", "", "show the plan for this filesystem `TYPE` only")
	c.Flags().BoolVar(&asJSON, "json", false, "print the driver, its schema and plans as JSON")
	return c
}

func runDriversShow(e *env, fstype string, asJSON bool, pos []string) error {
	if len(pos) != 1 {
		return usagef("drivers show takes one driver name")
	}
	cfg, err := e.LoadConfig()
	if err != nil {
		return err
	}
	host := driverHost(e, cfg)
	defer host.Close()
	d, err := host.Start(e.Context(), pos[0])
	if err != nil {
		return err
	}
	info := d.Info
	block := cfg.Driver(info.Name)
	dcfg, diags := driverblock.Decode(block, info.Schema)
	if err := e.Report(cfg.Loader(), diags); err != nil {
		return err
	}
	types := info.FSTypes
	if fstype != "" {
		if !info.ServesFSType(fstype) {
			return fmt.Errorf("driver %s does not serve fstype %q (it serves %s)", info.Name, fstype, strings.Join(info.FSTypes, ", "))
		}
		types = []string{fstype}
	}
	source := "the defaults"
	if block != nil {
		source = "the configuration at " + block.DefRange.String()
	}
	plans := make([]*driver.Plan, len(types))
	for i, t := range types {
		plan, pd, err := d.Plan(e.Context(), driver.PlanRequest{Config: dcfg, FSType: t})
		if err != nil {
			return err
		}
		if err := e.Report(cfg.Loader(), driverblock.Diagnostics(block, info.Schema, pd, info.Name)); err != nil {
			return err
		}
		plans[i] = plan
	}
	if asJSON {
		return writeDriverJSON(e.Stdout(), d.Path, info, source, types, plans)
	}
	w := e.Stdout()
	fmt.Fprintf(w, "%s %s — %s\n", info.Name, info.Version, info.Description)
	fmt.Fprintf(w, "path:     %s\nfstypes:  %s\n", d.Path, strings.Join(info.FSTypes, ", "))
	if len(info.Capabilities) > 0 {
		fmt.Fprintf(w, "features: %s\n", strings.Join(info.Capabilities, ", "))
	}
	fmt.Fprintf(w, "\nConfiguration (driver %q { … } in osr.hcl):\n", info.Name)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ATTRIBUTE\tTYPE\tDEFAULT\tDESCRIPTION")
	for _, a := range info.Schema.Attributes {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Name, a.Type.FriendlyName(), renderDefault(a), describeAttr(a))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, t := range types {
		fmt.Fprintf(w, "\nPlan for fstype %s with %s:\n", t, source)
		renderPlan(w, plans[i])
	}
	return nil
}

func renderDefault(a driver.Attribute) string {
	switch {
	case a.Required:
		return "(required)"
	case a.Default == cty.NilVal || a.Default.IsNull():
		return "-"
	case a.Sensitive:
		return "(sensitive)"
	}
	b, err := ctyjson.Marshal(a.Default, a.Type)
	if err != nil {
		return "?"
	}
	return string(b)
}

func describeAttr(a driver.Attribute) string {
	if len(a.Allowed) == 0 {
		return a.Description
	}
	var vals []string
	for _, v := range a.Allowed {
		vals = append(vals, fmt.Sprintf("%q", v))
	}
	return fmt.Sprintf("%s (one of %s)", a.Description, strings.Join(vals, ", "))
}

func renderPlan(w interface{ Write([]byte) (int, error) }, p *driver.Plan) {
	opt := func(o bool) string {
		if o {
			return " (optional)"
		}
		return ""
	}
	for _, m := range p.Modules {
		fmt.Fprintf(w, "  module     %-20s %s%s\n", m.Name, m.Reason, opt(m.Optional))
	}
	for _, b := range p.Binaries {
		fmt.Fprintf(w, "  binary     %-20s %s%s\n", b.Name, b.Reason, opt(b.Optional))
	}
	for _, f := range p.Files {
		fmt.Fprintf(w, "  file       %-20s %s%s\n", f.Path, f.Reason, opt(f.Optional))
	}
	for _, g := range p.Generated {
		secret := ""
		if g.Secret {
			secret = " (secret, 0600)"
		}
		fmt.Fprintf(w, "  generated  %-20s %d bytes%s\n", g.Path, len(g.Content), secret)
	}
	for _, d := range p.Directories {
		fmt.Fprintf(w, "  directory  %s\n", d)
	}
	for _, l := range p.Listfiles {
		fmt.Fprintf(w, "  listfile   %s\n", l)
	}
}
