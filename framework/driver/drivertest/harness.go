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
	"slices"
	"testing"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
)

// New serves impl over an in-process gRPC connection and returns the client side.
// The connection is closed when the test ends.
func New(t testing.TB, impl driver.Driver) driver.Driver {
	t.Helper()
	client, _ := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{
		plugin.PluginName: &plugin.Plugin{Impl: impl},
	})
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(plugin.PluginName)
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
// that configuration succeeds. Called in process (driver.Direct, as the image's
// init calls the drivers built into it), Describe must say the same. It returns
// what Describe said for further checks.
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
	local, err := driver.NewDirect(impl, info.Name, driver.Timeouts{}).Describe(ctx)
	if err != nil {
		t.Fatalf("Describe() in process: %v", err)
	}
	if local.Name != info.Name || local.Version != info.Version || !slices.Equal(local.FSTypes, info.FSTypes) ||
		!slices.Equal(local.Capabilities, info.Capabilities) || !local.Schema.ImpliedType().Equals(info.Schema.ImpliedType()) {
		t.Errorf("Describe() in process = %+v; over gRPC = %+v; want the same", local, info)
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
