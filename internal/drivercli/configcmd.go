// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/config"
	"github.com/open-sharedroot/osr/framework/config/driverblock"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/internal/cli"
)

func init() {
	register(func(e *env) *cobra.Command {
		c := &cobra.Command{
			Use:   "config COMMAND",
			Short: "check osr's configuration (osr.hcl and conf.d)",
			Args:  subcommandArgs,
			RunE:  groupRun,
		}
		c.AddCommand(newConfigValidateCmd(e))
		return c
	})
}

func newConfigValidateCmd(e *env) *cobra.Command {
	var (
		clusterFlag string
		asJSON      bool
	)
	c := &cobra.Command{
		Use:   "validate [--config FILE] [--cluster FILE] [--json]",
		Short: "check osr.hcl, its drivers' blocks and the cluster configuration",
		Long: `Loads osr.hcl and conf.d/*.hcl, decodes every driver "<name>" { … } block against
the schema its driver reports, asks the driver to validate it, and prints every
diagnostic with file, line and snippet. Then it checks the cluster configuration
the other commands would read (--cluster, $OSR_CLUSTER_CONF, cluster_config in
osr.hcl, else /etc/cluster/cluster.conf when it exists). Exits 1 when there are
errors. --json prints the result as one JSON object on standard output.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return runConfigValidate(e, clusterFlag, asJSON) },
	}
	bindClusterFlag(c.Flags(), &clusterFlag)
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

func runConfigValidate(e *env, clusterFlag string, asJSON bool) error {
	if asJSON {
		return runConfigValidateJSON(e, clusterFlag)
	}
	path, explicit := config.ResolvePath(e.ConfigFile())
	l := config.NewLoader()
	cfg, diags := l.Load(path, explicit)
	if !diags.HasErrors() {
		diags = append(diags, validateDrivers(e, cli.NewLoadedConfig(cfg, l))...)
	}
	if len(diags) > 0 {
		if err := l.WriteDiagnostics(e.Stderr(), diags); err != nil {
			return err
		}
	}
	if diags.HasErrors() {
		return fmt.Errorf("%d error(s) in the configuration", countErrors(diags))
	}
	fmt.Fprintf(e.Stdout(), "configuration is valid: %d file(s), %d driver block(s)\n", len(cfg.Files), len(cfg.Drivers))
	return validateClusterFile(e, config.ResolveCluster(clusterFlag, cfg))
}

// validateClusterFile checks the cluster configuration cf names; a missing
// default is no cluster configuration.
func validateClusterFile(e *env, cf config.ClusterFile) error {
	if !cf.Explicit && !fileExists(cf.Path) {
		fmt.Fprintf(e.Stdout(), "no cluster configuration (%s does not exist)\n", cf.Path)
		return nil
	}
	c, err := cluster.Load(cf.Path)
	if err != nil {
		return fmt.Errorf("the cluster configuration (%s): %w", cf.Origin(), err)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("the cluster configuration %s (%s) has problems:\n%w", cf.Path, cf.Origin(), err)
	}
	fmt.Fprintf(e.Stdout(), "cluster configuration %s (%s) is valid: cluster %q, %d node(s)\n", cf.Path, cf.Origin(), c.Name, len(c.Nodes))
	return nil
}

// validateDrivers decodes every driver block against its driver's schema and runs the
// driver's own validation, for each filesystem type it serves.
func validateDrivers(e *env, cfg *loadedConfig) hcl.Diagnostics {
	var diags hcl.Diagnostics
	host := driverHost(e, cfg)
	defer host.Close()
	for _, b := range cfg.Drivers {
		d, err := host.Start(e.Context(), b.Name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Driver not available", Detail: err.Error(), Subject: b.DefRange.Ptr()})
			continue
		}
		dcfg, dd := driverblock.Decode(b, d.Info.Schema)
		diags = append(diags, dd...)
		if dd.HasErrors() {
			continue
		}
		for _, t := range d.Info.FSTypes {
			ds, err := d.ValidateConfig(e.Context(), driver.ValidateRequest{Config: dcfg, FSType: t})
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Driver validation failed", Detail: err.Error(), Subject: b.DefRange.Ptr()})
				break
			}
			diags = append(diags, driverblock.Diagnostics(b, d.Info.Schema, onlyNew(ds, diags), b.Name)...)
		}
	}
	if cfg.Initrd.Driver != "" && cfg.Driver(cfg.Initrd.Driver) == nil {
		if _, err := host.Find(cfg.Initrd.Driver); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown driver in initrd block", Detail: err.Error()})
		}
	}
	return diags
}

// onlyNew drops driver diagnostics already reported for another fstype, so a
// driver serving several types does not repeat itself.
func onlyNew(ds driver.Diagnostics, have hcl.Diagnostics) driver.Diagnostics {
	var out driver.Diagnostics
	for _, d := range ds {
		dup := false
		for _, h := range have {
			if h.Summary == d.Summary {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, d)
		}
	}
	return out
}

func countErrors(diags hcl.Diagnostics) int {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	return n
}
