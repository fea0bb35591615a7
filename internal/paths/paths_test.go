// SPDX-License-Identifier: Apache-2.0

package paths

import "testing"

func TestDefaults(t *testing.T) {
	for _, tt := range []struct{ name, got, want string }{
		{"ConfigFile", ConfigFile(), "/etc/osr/osr.hcl"},
		{"DriverDir", DriverDir(), "/usr/libexec/osr/drivers"},
		{"ListfileDir", ListfileDir(), "/usr/share/osr/listfiles"},
		{"ListfileDropinDir", ListfileDropinDir(), "/etc/osr/listfiles.d"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s() = %q, want %q (a plain go build must get the package layout)", tt.name, tt.got, tt.want)
		}
	}
	if n := len(All()); n != 4 {
		t.Errorf("All() has %d paths, want 4", n)
	}
}
