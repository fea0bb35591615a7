// SPDX-License-Identifier: Apache-2.0

package main

import (
	"slices"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

func TestContract(t *testing.T) { dt.Check(t, newDriver(hclog.NewNullLogger())) }

func TestValidate(t *testing.T) {
	tests := []struct {
		values  map[string]cty.Value
		errPath string
	}{
		{nil, ""},
		{map[string]cty.Value{"overlay_size": cty.StringVal("2g")}, ""},
		{map[string]cty.Value{"overlay_size": cty.StringVal("lots")}, "overlay_size"},
		{map[string]cty.Value{"image": cty.StringVal("root.sqfs")}, "image"},
	}
	for _, tt := range tests {
		ds := dt.Validate(t, newDriver(hclog.NewNullLogger()), "squashfs", tt.values)
		if tt.errPath == "" && ds.HasErrors() || tt.errPath != "" && !dt.ErrorAt(ds, tt.errPath) {
			t.Errorf("ValidateConfig(%v) = %v; want error at %q", tt.values, ds, tt.errPath)
		}
	}
}

func TestPlan(t *testing.T) {
	p := dt.Plan(t, newDriver(hclog.NewNullLogger()), "squashfs", map[string]cty.Value{"image": cty.StringVal("/images/root.sqfs")})
	if got := dt.ModuleNames(p); !slices.Equal(got, []string{"squashfs", "overlay", "loop", "ext4"}) {
		t.Errorf("modules = %v", got)
	}
}
