// SPDX-License-Identifier: Apache-2.0

// Package drivertest lets driver authors test a driver through the real gRPC
// transport, in process, and check that it keeps the driver contract.
//
//	func TestContract(t *testing.T) { drivertest.Check(t, &myDriver{}) }
//
// New returns a driver.Driver that talks to the implementation over go-plugin's
// in-process gRPC connection, so every value makes the same round trip it makes
// between osr and a driver process.
package drivertest

import (
	"context"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/open-sharedroot/osr/framework/driver"
)

// New serves impl over an in-process gRPC connection and returns the client side.
// The connection is closed when the test ends.
func New(t testing.TB, impl driver.Driver) driver.Driver {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
		driver.PluginName: &driver.Plugin{Impl: impl},
	})
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(driver.PluginName)
	if err != nil {
		t.Fatalf("dispense driver: %v", err)
	}
	d, ok := raw.(driver.Driver)
	if !ok {
		t.Fatalf("dispensed %T, want a driver.Driver", raw)
	}
	return d
}

// Check runs the contract every driver must keep, through the gRPC transport:
// Describe names the driver, its version and at least one filesystem type and has a
// valid schema; an empty driver block (defaults only) validates without errors for
// every filesystem type, unless the schema has required attributes; and Plan with
// that configuration succeeds. It returns what Describe said for further checks.
func Check(t *testing.T, impl driver.Driver) *driver.Info {
	t.Helper()
	ctx := context.Background()
	remote := New(t, impl)
	info, err := remote.Describe(ctx)
	if err != nil {
		t.Fatalf("Describe() error = %v", err)
	}
	if info.Name == "" || info.Version == "" || len(info.FSTypes) == 0 {
		t.Fatalf("Describe() = name %q version %q fstypes %v; want all set", info.Name, info.Version, info.FSTypes)
	}
	if err := info.Schema.Check(); err != nil {
		t.Fatalf("Describe() schema: %v", err)
	}
	for _, a := range info.Schema.Attributes {
		if a.Required {
			return info // defaults alone cannot make a valid configuration
		}
	}
	cfg, err := driver.DefaultConfig(info.Schema)
	if err != nil {
		t.Fatalf("DefaultConfig() error = %v", err)
	}
	for _, fstype := range info.FSTypes {
		diags, err := remote.ValidateConfig(ctx, driver.ValidateRequest{Config: cfg, FSType: fstype})
		if err != nil {
			t.Fatalf("ValidateConfig(defaults, %s) error = %v", fstype, err)
		}
		if diags.HasErrors() {
			t.Errorf("ValidateConfig(defaults, %s) = %v; the defaults must be valid", fstype, diags)
		}
		plan, diags, err := remote.Plan(ctx, driver.PlanRequest{Config: cfg, FSType: fstype, Target: driver.Target{Arch: "amd64"}})
		if err != nil {
			t.Fatalf("Plan(defaults, %s) error = %v", fstype, err)
		}
		if diags.HasErrors() {
			t.Errorf("Plan(defaults, %s) diagnostics = %v", fstype, diags)
		}
		if plan == nil {
			t.Errorf("Plan(defaults, %s) = nil plan", fstype)
		}
	}
	return info
}
