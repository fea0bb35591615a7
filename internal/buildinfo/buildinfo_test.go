// SPDX-License-Identifier: Apache-2.0

package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	for _, tt := range []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"go install of a tag", debug.BuildInfo{Main: debug.Module{Version: "v0.2.0"}}, "v0.2.0"},
		{"go install of a pseudo-version",
			debug.BuildInfo{Main: debug.Module{Version: "v0.2.1-0.20261202041500-0123456789ab"}},
			"v0.2.1-0.20261202041500-0123456789ab"},
		{"build from a checkout", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "29279b3a1d2f7e9c0b8a6d5e4f3c2b1a09876543"}, {Key: "vcs.modified", Value: "false"}}},
			"devel-29279b3a1d2f"},
		{"modified checkout", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "29279b3a1d2f"}, {Key: "vcs.modified", Value: "true"}}},
			"devel-29279b3a1d2f-dirty"},
		{"nothing recorded", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fromBuildInfo(&tt.info); got != tt.want {
				t.Errorf("fromBuildInfo = %q, want %q", got, tt.want)
			}
		})
	}
}
