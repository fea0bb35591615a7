// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/drivertest"
)

// fakeDriver exercises every part of the contract: all attribute kinds, a nested
// block, diagnostics with paths, every kind of plan item.
type fakeDriver struct{}

var fakeSchema = driver.Schema{
	Attributes: []driver.Attribute{
		{Name: "mode", Type: cty.String, Default: cty.StringVal("fast"), Allowed: []string{"fast", "safe"}, Description: "how"},
		{Name: "retries", Type: cty.Number, Default: cty.NumberIntVal(3)},
		{Name: "debug", Type: cty.Bool, Default: cty.False},
		{Name: "options", Type: cty.List(cty.String), Default: cty.ListVal([]cty.Value{cty.StringVal("noatime")})},
		{Name: "password", Type: cty.String, Sensitive: true},
	},
	Blocks: []driver.NestedBlock{
		{TypeName: "server", Nesting: driver.NestingList, Schema: driver.Schema{Attributes: []driver.Attribute{
			{Name: "address", Type: cty.String, Required: true},
			{Name: "port", Type: cty.Number, Default: cty.NumberIntVal(2049)},
		}}},
	},
}

func (fakeDriver) Describe(context.Context) (*driver.Info, error) {
	return &driver.Info{Name: "fake", Version: "1.2.3", FSTypes: []string{"fakefs", "fakefs2"},
		Capabilities: []string{"x"}, Description: "a test driver", Schema: fakeSchema}, nil
}

func (fakeDriver) ValidateConfig(_ context.Context, req driver.ValidateRequest) (driver.Diagnostics, error) {
	var ds driver.Diagnostics
	if req.Config.Int("retries") > 10 {
		ds = append(ds, driver.Errorf([]string{"retries"}, "retries must be at most 10"))
	}
	if req.Config.Bool("debug") {
		ds = append(ds, driver.Warnf([]string{"debug"}, "debug slows the boot"))
	}
	servers := req.Config.Get("server")
	for it := servers.ElementIterator(); it.Next(); {
		_, s := it.Element()
		if s.GetAttr("address").AsString() == "" {
			ds = append(ds, driver.Errorf([]string{"server", "address"}, "empty address"))
		}
	}
	return ds, nil
}

func (fakeDriver) Plan(_ context.Context, req driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	if req.Config.String("mode") == "crash" {
		os.Exit(3)
	}
	return &driver.Plan{
		Modules:     []driver.Module{{Name: req.FSType, Reason: "the filesystem"}, {Name: "extra", Optional: true}},
		Binaries:    []driver.Binary{{Name: "fsck." + req.FSType, Optional: true, Reason: "fsck"}},
		Files:       []driver.File{{Path: "/etc/fake.conf"}},
		Generated:   []driver.GeneratedFile{{Path: "/etc/fake/secret", Mode: 0o600, Content: []byte("pw=" + req.Config.String("password")), Secret: true}},
		Listfiles:   []string{"fake.hcl"},
		Directories: []string{"/var/lib/fake"},
	}, driver.Diagnostics{driver.Warnf(nil, "kernel %s on %s", req.Target.KernelVersion, req.Target.Arch)}, nil
}

func TestRoundTrips(t *testing.T) {
	ctx := context.Background()
	direct := fakeDriver{}
	remote := drivertest.New(t, direct)

	wantInfo, _ := direct.Describe(ctx)
	gotInfo, err := remote.Describe(ctx)
	if err != nil {
		t.Fatalf("Describe() error = %v", err)
	}
	ctyCmp := cmp.Comparer(func(a, b cty.Value) bool { return a.RawEquals(b) })
	typeCmp := cmp.Comparer(func(a, b cty.Type) bool { return a.Equals(b) })
	if diff := cmp.Diff(wantInfo, gotInfo, ctyCmp, typeCmp); diff != "" {
		t.Errorf("Describe() through gRPC differs (-direct +remote):\n%s", diff)
	}

	tests := []struct {
		name   string
		values map[string]cty.Value
		fstype string
	}{
		{"defaults", nil, "fakefs"},
		{"errors and warnings", map[string]cty.Value{
			"retries": cty.NumberIntVal(11), "debug": cty.True,
			"server": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"address": cty.StringVal(""), "port": cty.NumberIntVal(1)})}),
		}, "fakefs2"},
		{"secret", map[string]cty.Value{"password": cty.StringVal("s3cret")}, "fakefs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := driver.ConfigFrom(fakeSchema, tt.values)
			if err != nil {
				t.Fatalf("ConfigFrom() error = %v", err)
			}
			req := driver.ValidateRequest{Config: cfg, FSType: tt.fstype}
			wantD, _ := direct.ValidateConfig(ctx, req)
			gotD, err := remote.ValidateConfig(ctx, req)
			if err != nil {
				t.Fatalf("ValidateConfig() error = %v", err)
			}
			if diff := cmp.Diff(wantD, gotD); diff != "" {
				t.Errorf("ValidateConfig() through gRPC differs:\n%s", diff)
			}
			preq := driver.PlanRequest{Config: cfg, FSType: tt.fstype, Target: driver.Target{KernelVersion: "6.1.0-1-amd64", Arch: "amd64", DistroID: "debian"}}
			wantP, wantPD, _ := direct.Plan(ctx, preq)
			gotP, gotPD, err := remote.Plan(ctx, preq)
			if err != nil {
				t.Fatalf("Plan() error = %v", err)
			}
			if diff := cmp.Diff(wantP, gotP); diff != "" {
				t.Errorf("Plan() through gRPC differs:\n%s", diff)
			}
			if diff := cmp.Diff(wantPD, gotPD); diff != "" {
				t.Errorf("Plan() diagnostics through gRPC differ:\n%s", diff)
			}
		})
	}
}

func TestValidateDiagnosticsCarryPaths(t *testing.T) {
	remote := drivertest.New(t, fakeDriver{})
	cfg, err := driver.ConfigFrom(fakeSchema, map[string]cty.Value{"retries": cty.NumberIntVal(50)})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := remote.ValidateConfig(context.Background(), driver.ValidateRequest{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if !ds.HasErrors() || len(ds) != 1 || !cmp.Equal(ds[0].Path, []string{"retries"}) {
		t.Errorf("ValidateConfig(retries=50) = %v; want one error at retries", ds)
	}
}

func TestContract(t *testing.T) {
	drivertest.Check(t, fakeDriver{})
}

func TestConfigFromRejects(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]cty.Value
	}{
		{"unknown attribute", map[string]cty.Value{"mdoe": cty.StringVal("x")}},
		{"wrong type", map[string]cty.Value{"retries": cty.StringVal("many")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := driver.ConfigFrom(fakeSchema, tt.values); err == nil {
				t.Errorf("ConfigFrom(%v) = nil error; want an error", tt.values)
			}
		})
	}
}

func TestSchemaCheck(t *testing.T) {
	tests := []struct {
		name   string
		schema driver.Schema
		ok     bool
	}{
		{"fake", fakeSchema, true},
		{"duplicate", driver.Schema{Attributes: []driver.Attribute{{Name: "a", Type: cty.String}, {Name: "a", Type: cty.String}}}, false},
		{"bad default", driver.Schema{Attributes: []driver.Attribute{{Name: "a", Type: cty.String, Default: cty.True}}}, false},
		{"required with default", driver.Schema{Attributes: []driver.Attribute{{Name: "a", Type: cty.String, Required: true, Default: cty.StringVal("x")}}}, false},
		{"no type", driver.Schema{Attributes: []driver.Attribute{{Name: "a"}}}, false},
		{"allowed on number", driver.Schema{Attributes: []driver.Attribute{{Name: "a", Type: cty.Number, Allowed: []string{"1"}}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.schema.Check()
			if (err == nil) != tt.ok {
				t.Errorf("Check() = %v; want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestConfigDecode(t *testing.T) {
	cfg, err := driver.ConfigFrom(fakeSchema, map[string]cty.Value{"mode": cty.StringVal("safe")})
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Mode     string   `cty:"mode"`
		Retries  int      `cty:"retries"`
		Debug    bool     `cty:"debug"`
		Options  []string `cty:"options"`
		Password *string  `cty:"password"`
		Server   []struct {
			Address string `cty:"address"`
			Port    int    `cty:"port"`
		} `cty:"server"`
	}
	if err := cfg.Decode(&c); err != nil {
		t.Fatalf("Decode() error = %v", err)
	}
	if c.Mode != "safe" || c.Retries != 3 || c.Debug || !cmp.Equal(c.Options, []string{"noatime"}) || c.Password != nil {
		t.Errorf("Decode() = %+v", c)
	}
	if got := cfg.Strings("options"); !cmp.Equal(got, []string{"noatime"}) {
		t.Errorf("Strings(options) = %v", got)
	}
}

// mountDriver is fakeDriver with Mount. It keeps the request it was sent and logs
// one line through its logger.
type mountDriver struct {
	fakeDriver
	log hclog.Logger
	got *driver.MountRequest
}

func (d mountDriver) Mount(_ context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	if req.Source == "bad" {
		return nil, fmt.Errorf("cannot mount %s: tried twice", req.Source)
	}
	if d.got != nil {
		*d.got = req
	}
	if d.log != nil {
		d.log.Info("mounting", "source", req.Source, "target", req.Target)
	}
	return &driver.MountResult{Diagnostics: driver.Diagnostics{driver.Warnf(nil, "slow disk")}}, nil
}

func TestMountRoundTrip(t *testing.T) {
	req := driver.MountRequest{
		FSType: "fakefs", Source: "10.0.0.1:/root", Target: "/sysroot", Options: []string{"noatime"}, ReadOnly: true,
		Node:        driver.ClusterNode{ID: 2, Name: "n2", Addresses: []string{"10.0.0.12"}},
		Nodes:       []driver.ClusterNode{{ID: 1, Name: "n1", Addresses: []string{"10.0.0.11"}}, {ID: 2, Name: "n2", Addresses: []string{"10.0.0.12"}}},
		ClusterName: "c", Parameters: map[string]string{"osr.x": "y"}, Attempts: 3, Wait: 1500 * time.Millisecond,
	}
	var got driver.MountRequest
	res, err := drivertest.Mount(t, mountDriver{got: &got}, req, map[string]cty.Value{"mode": cty.StringVal("safe")})
	if err != nil {
		t.Fatalf("Mount() error = %v", err)
	}
	if diff := cmp.Diff(req, got, cmpopts.IgnoreFields(driver.MountRequest{}, "Config")); diff != "" {
		t.Errorf("the driver got another request (-sent +got):\n%s", diff)
	}
	if got.Config.String("mode") != "safe" {
		t.Errorf("the driver got mode %q; want safe", got.Config.String("mode"))
	}
	if len(res.Diagnostics) != 1 {
		t.Errorf("Mount() diagnostics = %v; want the warning", res.Diagnostics)
	}
	// Zero attempts and wait stay zero: the driver's defaults.
	req.Attempts, req.Wait = 0, 0
	if _, err := drivertest.Mount(t, mountDriver{got: &got}, req, nil); err != nil || got.Attempts != 0 || got.Wait != 0 {
		t.Errorf("Mount(defaults) = %v with attempts %d wait %v; want 0 and 0", err, got.Attempts, got.Wait)
	}
	req.Source = "bad"
	if _, err := drivertest.Mount(t, mountDriver{}, req, nil); err == nil || err.Error() != "cannot mount bad: tried twice" {
		t.Errorf("Mount(bad) error = %v; want the driver's own message", err)
	}
	info, _ := drivertest.New(t, mountDriver{}).Describe(context.Background())
	if !slices.Contains(info.Capabilities, driver.CapabilityMount) {
		t.Errorf("capabilities %v lack %q", info.Capabilities, driver.CapabilityMount)
	}
	// A driver without Mount answers with a clear error.
	d := drivertest.New(t, fakeDriver{})
	_, err = d.(driver.Mounter).Mount(context.Background(), req)
	if !errors.Is(err, driver.ErrUnimplemented) {
		t.Errorf("Mount on a driver without it: %v; want ErrUnimplemented", err)
	}
}
