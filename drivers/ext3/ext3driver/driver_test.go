// SPDX-License-Identifier: Apache-2.0

package ext3driver

import (
	"slices"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

func TestContract(t *testing.T) {
	info := dt.Check(t, newDriver(hclog.NewNullLogger()))
	for _, f := range []string{"ext3", "ext4", "ext2"} {
		if !info.ServesFSType(f) {
			t.Errorf("FSTypes = %v; missing %s", info.FSTypes, f)
		}
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
		{"force on read-only", map[string]cty.Value{"fsck": cty.StringVal("force")}, "fsck", false},
		{"read-write warns", map[string]cty.Value{"read_only": cty.False}, "", true},
		{"rw option on read-only", map[string]cty.Value{"mount_options": dt.Strings("rw")}, "mount_options", false},
		{"ro option", map[string]cty.Value{"mount_options": dt.Strings("ro")}, "mount_options", false},
		{"fsck -y", map[string]cty.Value{"fsck_options": dt.Strings("-y")}, "fsck_options", false},
		{"fsck non-option", map[string]cty.Value{"fsck_options": dt.Strings("yes")}, "fsck_options", false},
		{"fsck -f fine", map[string]cty.Value{"fsck_options": dt.Strings("-f")}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := dt.Validate(t, newDriver(hclog.NewNullLogger()), "ext3", tt.values)
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
	tests := []struct {
		name     string
		values   map[string]cty.Value
		required []string
	}{
		{"read-only shared: no fsck needed", nil, nil},
		{"read-write auto fsck", map[string]cty.Value{"read_only": cty.False}, []string{"e2fsck"}},
		{"read-write never", map[string]cty.Value{"read_only": cty.False, "fsck": cty.StringVal("never")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := dt.Plan(t, newDriver(hclog.NewNullLogger()), "ext4", tt.values)
			if !slices.Contains(dt.ModuleNames(p), "ext4") {
				t.Errorf("modules = %v; missing ext4", dt.ModuleNames(p))
			}
			if got := dt.RequiredBinaries(p); !slices.Equal(got, tt.required) {
				t.Errorf("required binaries = %v; want %v", got, tt.required)
			}
		})
	}
}
