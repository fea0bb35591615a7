// SPDX-License-Identifier: Apache-2.0

package drivertest

import (
	"context"
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
)

// config builds a configuration from values against d's schema, as osr would from
// an HCL block.
func config(t testing.TB, d driver.Driver, values map[string]cty.Value) driver.Config {
	t.Helper()
	info, err := d.Describe(context.Background())
	if err != nil {
		t.Fatalf("Describe() error = %v", err)
	}
	cfg, err := driver.ConfigFrom(info.Schema, values)
	if err != nil {
		t.Fatalf("ConfigFrom(%v) error = %v", values, err)
	}
	return cfg
}

// Validate calls ValidateConfig through the gRPC transport with a configuration
// made from values (defaults for the rest).
func Validate(t testing.TB, impl driver.Driver, fstype string, values map[string]cty.Value) driver.Diagnostics {
	t.Helper()
	d := New(t, impl)
	ds, err := d.ValidateConfig(context.Background(), driver.ValidateRequest{Config: config(t, d, values), FSType: fstype})
	if err != nil {
		t.Fatalf("ValidateConfig() error = %v", err)
	}
	return ds
}

// Plan calls Plan through the gRPC transport with a configuration made from values
// and fails the test on error diagnostics.
func Plan(t testing.TB, impl driver.Driver, fstype string, values map[string]cty.Value) *driver.Plan {
	t.Helper()
	d := New(t, impl)
	p, ds, err := d.Plan(context.Background(), driver.PlanRequest{Config: config(t, d, values), FSType: fstype, Target: driver.Target{Arch: "amd64"}})
	if err != nil {
		t.Fatalf("Plan() error = %v", err)
	}
	if ds.HasErrors() {
		t.Fatalf("Plan() diagnostics = %v", ds)
	}
	return p
}

// ErrorAt reports whether ds holds an error about the attribute path.
func ErrorAt(ds driver.Diagnostics, path ...string) bool {
	return slices.ContainsFunc(ds, func(d driver.Diagnostic) bool {
		return d.Severity == driver.Error && slices.Equal(d.Path, path)
	})
}

// HasWarning reports whether ds holds a warning.
func HasWarning(ds driver.Diagnostics) bool {
	return slices.ContainsFunc(ds, func(d driver.Diagnostic) bool { return d.Severity == driver.Warning })
}

// ModuleNames returns the names of a plan's modules.
func ModuleNames(p *driver.Plan) []string {
	var out []string
	for _, m := range p.Modules {
		out = append(out, m.Name)
	}
	return out
}

// RequiredBinaries returns the names of a plan's binaries that are not optional.
func RequiredBinaries(p *driver.Plan) []string {
	var out []string
	for _, b := range p.Binaries {
		if !b.Optional {
			out = append(out, b.Name)
		}
	}
	return out
}

// Strings is a cty list of strings, for configuration values in tests.
func Strings(s ...string) cty.Value {
	if len(s) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vs := make([]cty.Value, len(s))
	for i, x := range s {
		vs[i] = cty.StringVal(x)
	}
	return cty.ListVal(vs)
}

// Mount calls Mount through the gRPC transport with a configuration made from
// values; req's Config is replaced.
func Mount(t testing.TB, impl driver.Driver, req driver.MountRequest, values map[string]cty.Value) (*driver.MountResult, error) {
	t.Helper()
	d := New(t, impl)
	m, ok := d.(driver.Mounter)
	if !ok {
		t.Fatalf("the harness client does not implement driver.Mounter")
	}
	req.Config = config(t, d, values)
	return m.Mount(context.Background(), req)
}
