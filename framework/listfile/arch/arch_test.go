// SPDX-License-Identifier: Apache-2.0

package arch

import "testing"

func TestCanonical(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"amd64", "amd64", true},
		{"x86_64", "amd64", true},
		{"aarch64", "arm64", true},
		{"i686", "386", true},
		{"ppc64el", "ppc64le", true},
		{"armhf", "arm", true},
		{"sparc", "", false},
	}
	for _, tt := range tests {
		got, ok := Canonical(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Canonical(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNative(t *testing.T) {
	tests := []struct{ canonical, dpkg, rpm string }{
		{"amd64", "amd64", "x86_64"},
		{"arm64", "arm64", "aarch64"},
		{"386", "i386", "i686"},
		{"ppc64le", "ppc64el", "ppc64le"},
		{"s390x", "s390x", "s390x"},
	}
	for _, tt := range tests {
		if got := Dpkg(tt.canonical); got != tt.dpkg {
			t.Errorf("Dpkg(%q) = %q, want %q", tt.canonical, got, tt.dpkg)
		}
		if got := RPM(tt.canonical); got != tt.rpm {
			t.Errorf("RPM(%q) = %q, want %q", tt.canonical, got, tt.rpm)
		}
		// Every native name maps back to the canonical one.
		for _, n := range []string{Dpkg(tt.canonical), RPM(tt.canonical)} {
			if !Same(n, tt.canonical) {
				t.Errorf("Same(%q, %q) = false", n, tt.canonical)
			}
		}
	}
	if Same("sparc", "sparc") {
		t.Error("Same on an unknown name must be false")
	}
}
