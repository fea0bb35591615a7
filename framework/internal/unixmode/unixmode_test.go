// SPDX-License-Identifier: Apache-2.0

package unixmode

import (
	"io/fs"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		mode fs.FileMode
		unix uint32
	}{
		{0o644, 0o644},
		{0o755 | fs.ModeSetuid, 0o4755},
		{0o2750&0o777 | fs.ModeSetgid, 0o2750},
		{0o777 | fs.ModeSticky, 0o1777},
	}
	for _, tt := range tests {
		if got := ToUnix(tt.mode); got != tt.unix {
			t.Errorf("ToUnix(%v) = %#o; want %#o", tt.mode, got, tt.unix)
		}
		if got := FromUnix(tt.unix); got != tt.mode {
			t.Errorf("FromUnix(%#o) = %v; want %v", tt.unix, got, tt.mode)
		}
	}
}
