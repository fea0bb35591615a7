// SPDX-License-Identifier: Apache-2.0

package gfs2driver

import (
	"slices"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

func TestContract(t *testing.T) {
	info := dt.Check(t, newDriver(hclog.NewNullLogger()))
	if !slices.Contains(info.Capabilities, driver.CapabilityMount) {
		t.Errorf("capabilities = %v; want %q: the driver mounts", info.Capabilities, driver.CapabilityMount)
	}
}

func TestValidateConfig(t *testing.T) {
	tests := []struct {
		name    string
		values  map[string]cty.Value
		errPath string
		warn    bool
	}{
		{"defaults", nil, "", false},
		{"nolock warns", map[string]cty.Value{"lock_protocol": cty.StringVal("lock_nolock")}, "", true},
		{"good lock table", map[string]cty.Value{"lock_table": cty.StringVal("osrc:root")}, "", false},
		{"lock table without colon", map[string]cty.Value{"lock_table": cty.StringVal("root")}, "lock_table", false},
		{"lock table fs name too long", map[string]cty.Value{"lock_table": cty.StringVal("c:abcdefghijabcdefghijabcdefghijk")}, "lock_table", false},
		{"lockproto option", map[string]cty.Value{"mount_options": dt.Strings("lockproto=lock_nolock")}, "mount_options", false},
		{"spectator", map[string]cty.Value{"mount_options": dt.Strings("spectator")}, "mount_options", false},
		{"attempts", map[string]cty.Value{"mount_attempts": cty.NumberIntVal(0)}, "mount_attempts", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := dt.Validate(t, newDriver(hclog.NewNullLogger()), "gfs2", tt.values)
			if tt.errPath == "" && ds.HasErrors() || tt.errPath != "" && !dt.ErrorAt(ds, tt.errPath) {
				t.Errorf("ValidateConfig(%v) = %v; want error at %q", tt.values, ds, tt.errPath)
			}
			if dt.HasWarning(ds) != tt.warn {
				t.Errorf("ValidateConfig(%v) = %v; want warning=%v", tt.values, ds, tt.warn)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	dlm := dt.Plan(t, newDriver(hclog.NewNullLogger()), "gfs2", nil)
	for _, m := range []string{"gfs2", "dlm", "configfs"} {
		if !slices.Contains(dt.ModuleNames(dlm), m) {
			t.Errorf("lock_dlm plan modules = %v; missing %s", dt.ModuleNames(dlm), m)
		}
	}
	if !slices.Equal(dlm.Listfiles, []string{"gfs2-dlm"}) {
		t.Errorf("lock_dlm plan listfiles = %v; want gfs2-dlm (corosync, dlm_controld)", dlm.Listfiles)
	}
	sctp := dt.Plan(t, newDriver(hclog.NewNullLogger()), "gfs2", map[string]cty.Value{"dlm_protocol": cty.StringVal("sctp")})
	if !slices.Contains(dt.ModuleNames(sctp), "sctp") {
		t.Errorf("dlm over sctp plan modules = %v; missing sctp", dt.ModuleNames(sctp))
	}
	nolock := dt.Plan(t, newDriver(hclog.NewNullLogger()), "gfs2", map[string]cty.Value{"lock_protocol": cty.StringVal("lock_nolock")})
	if slices.Contains(dt.ModuleNames(nolock), "dlm") || len(dt.RequiredBinaries(nolock)) != 0 {
		t.Errorf("lock_nolock plan = %v / %v; want no DLM and no required binaries", dt.ModuleNames(nolock), dt.RequiredBinaries(nolock))
	}
}
