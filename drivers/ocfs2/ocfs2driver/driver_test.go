// SPDX-License-Identifier: Apache-2.0

package ocfs2driver

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
	}{
		{"defaults", nil, ""},
		{"good name", map[string]cty.Value{"cluster_name": cty.StringVal("osrc")}, ""},
		{"name too long", map[string]cty.Value{"cluster_name": cty.StringVal("abcdefghijklmnopq")}, "cluster_name"},
		{"name with dash", map[string]cty.Value{"cluster_name": cty.StringVal("osr-c")}, "cluster_name"},
		{"port", map[string]cty.Value{"port": cty.NumberIntVal(0)}, "port"},
		{"dead threshold", map[string]cty.Value{"dead_threshold": cty.NumberIntVal(1)}, "dead_threshold"},
		{"keepalive above idle", map[string]cty.Value{"keepalive_delay_ms": cty.NumberIntVal(40000)}, "keepalive_delay_ms"},
		{"global heartbeat on user stack", map[string]cty.Value{"heartbeat": cty.StringVal("global"), "cluster_stack": cty.StringVal("user")}, "heartbeat"},
		{"heartbeat option", map[string]cty.Value{"mount_options": dt.Strings("heartbeat=none")}, "mount_options"},
		{"user stack", map[string]cty.Value{"cluster_stack": cty.StringVal("user")}, "cluster_stack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := dt.Validate(t, newDriver(hclog.NewNullLogger()), "ocfs2", tt.values)
			if tt.errPath == "" && ds.HasErrors() || tt.errPath != "" && !dt.ErrorAt(ds, tt.errPath) {
				t.Errorf("ValidateConfig(%v) = %v; want error at %q", tt.values, ds, tt.errPath)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		stack    string
		want     []string
		notWant  string
		required []string
	}{
		{"o2cb", []string{"ocfs2", "ocfs2_stack_o2cb", "ocfs2_nodemanager", "ocfs2_dlm", "configfs"}, "dlm", nil},
		{"local", []string{"ocfs2", "ocfs2_stackglue"}, "ocfs2_nodemanager", nil},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			p := dt.Plan(t, newDriver(hclog.NewNullLogger()), "ocfs2", map[string]cty.Value{"cluster_stack": cty.StringVal(tt.stack)})
			mods := dt.ModuleNames(p)
			for _, m := range tt.want {
				if !slices.Contains(mods, m) {
					t.Errorf("modules = %v; missing %s", mods, m)
				}
			}
			if slices.Contains(mods, tt.notWant) {
				t.Errorf("modules = %v; must not hold %s", mods, tt.notWant)
			}
			if got := dt.RequiredBinaries(p); !slices.Equal(got, tt.required) {
				t.Errorf("required binaries = %v; want %v", got, tt.required)
			}
		})
	}
}
