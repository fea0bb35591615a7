// SPDX-License-Identifier: Apache-2.0

package nfsdriver

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/drivertest"
)

func TestContract(t *testing.T) {
	info := drivertest.Check(t, newDriver(hclog.NewNullLogger()))
	if !info.ServesFSType("nfs") || !info.ServesFSType("nfs4") {
		t.Errorf("FSTypes = %v; want nfs and nfs4", info.FSTypes)
	}
}

func TestValidateConfig(t *testing.T) {
	tests := []struct {
		name    string
		fstype  string
		values  map[string]cty.Value
		errPath string // "" = no error expected
		warn    bool
	}{
		{"defaults nfs", "nfs", nil, "", false},
		{"defaults nfs4", "nfs4", nil, "", false},
		{"v3 on nfs4", "nfs4", map[string]cty.Value{"version": cty.StringVal("3")}, "version", false},
		{"v4 on nfs warns", "nfs", map[string]cty.Value{"version": cty.StringVal("4.2")}, "", true},
		{"vers in options", "nfs", map[string]cty.Value{"mount_options": drivertest.Strings("vers=3")}, "mount_options", false},
		{"addr in options", "nfs", map[string]cty.Value{"mount_options": drivertest.Strings("addr=10.0.0.1")}, "mount_options", false},
		{"udp with v4", "nfs4", map[string]cty.Value{"transport": cty.StringVal("udp")}, "transport", false},
		{"port range", "nfs", map[string]cty.Value{"port": cty.NumberIntVal(70000)}, "port", false},
		{"timeo zero", "nfs", map[string]cty.Value{"timeo": cty.NumberIntVal(0)}, "timeo", false},
		{"v3 locking warns", "nfs", map[string]cty.Value{"mount_options": drivertest.Strings("lock")}, "", true},
	}
	remote := drivertest.New(t, newDriver(hclog.NewNullLogger()))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := driver.ConfigFrom(nfsSchema, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := remote.ValidateConfig(context.Background(), driver.ValidateRequest{Config: cfg, FSType: tt.fstype})
			if err != nil {
				t.Fatal(err)
			}
			if tt.errPath == "" && ds.HasErrors() {
				t.Fatalf("ValidateConfig() = %v; want no errors", ds)
			}
			if tt.errPath != "" {
				found := false
				for _, d := range ds {
					if d.Severity == driver.Error && len(d.Path) > 0 && d.Path[0] == tt.errPath {
						found = true
					}
				}
				if !found {
					t.Fatalf("ValidateConfig() = %v; want an error at %s", ds, tt.errPath)
				}
			}
			hasWarn := false
			for _, d := range ds {
				hasWarn = hasWarn || d.Severity == driver.Warning
			}
			if hasWarn != tt.warn {
				t.Errorf("ValidateConfig() warnings = %v; want warning=%v", ds, tt.warn)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name         string
		fstype       string
		values       map[string]cty.Value
		wantModules  []string
		wantBinaries []string // required ones
		client       string   // the required NFS client module
	}{
		{"v3 default", "nfs", nil, []string{"nfs", "sunrpc", "nfsv3"}, nil, "nfsv3"},
		{"v4 default", "nfs4", nil, []string{"nfs", "sunrpc", "nfsv4"}, nil, "nfsv4"},
		{"v3 with locking", "nfs", map[string]cty.Value{"mount_options": drivertest.Strings("hard")}, []string{"nfsv3"}, []string{"rpcbind", "rpc.statd"}, "nfsv3"},
		{"rdma", "nfs4", map[string]cty.Value{"transport": cty.StringVal("rdma")}, []string{"rpcrdma"}, nil, "nfsv4"},
	}
	remote := drivertest.New(t, newDriver(hclog.NewNullLogger()))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := driver.ConfigFrom(nfsSchema, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			plan, ds, err := remote.Plan(context.Background(), driver.PlanRequest{Config: cfg, FSType: tt.fstype})
			if err != nil || ds.HasErrors() {
				t.Fatalf("Plan() = %v, %v", ds, err)
			}
			mods := map[string]bool{}
			for _, m := range plan.Modules {
				mods[m.Name] = true
			}
			for _, m := range tt.wantModules {
				if !mods[m] {
					t.Errorf("Plan() modules = %v; missing %s", plan.Modules, m)
				}
			}
			var required []string
			for _, b := range plan.Binaries {
				if !b.Optional {
					required = append(required, b.Name)
				}
			}
			if strings.Join(required, ",") != strings.Join(tt.wantBinaries, ",") {
				t.Errorf("Plan() required binaries = %v; want %v", required, tt.wantBinaries)
			}
			for _, m := range plan.Modules {
				if (m.Name == "nfsv3" || m.Name == "nfsv4") && m.Optional == (m.Name == tt.client) {
					t.Errorf("Plan() module %s optional=%v; only the configured version's client is required", m.Name, m.Optional)
				}
			}
		})
	}
}
