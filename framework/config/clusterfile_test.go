// SPDX-License-Identifier: Apache-2.0

package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveCluster(t *testing.T) {
	withHCL := &Config{ClusterConfig: "/srv/hcl.conf"}
	tests := []struct {
		name       string
		flag, env  string
		cfg        *Config
		want       ClusterFile
		needConfig bool
	}{
		{"flag wins", "/a.conf", "/env.conf", withHCL, ClusterFile{Path: "/a.conf", From: "--cluster", Explicit: true}, false},
		{"environment over osr.hcl", "", "/env.conf", withHCL, ClusterFile{Path: "/env.conf", From: "$OSR_CLUSTER_CONF", Explicit: true}, false},
		{"osr.hcl", "", "", withHCL, ClusterFile{Path: "/srv/hcl.conf", From: "cluster_config in osr.hcl", Explicit: true}, true},
		{"osr.hcl without cluster_config", "", "", &Config{}, ClusterFile{Path: DefaultClusterPath}, true},
		{"no osr.hcl", "", "", nil, ClusterFile{Path: DefaultClusterPath}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvClusterPath, tt.env)
			if diff := cmp.Diff(tt.want, ResolveCluster(tt.flag, tt.cfg)); diff != "" {
				t.Errorf("ResolveCluster (-want +got):\n%s", diff)
			}
			if got, want := ResolveCluster(tt.flag, tt.cfg).Origin(), map[bool]string{true: "named by " + tt.want.From, false: "osr's default"}[tt.want.Explicit]; got != want {
				t.Errorf("Origin() = %q; want %q", got, want)
			}
			if got := NeedsConfig(tt.flag); got != tt.needConfig {
				t.Errorf("NeedsConfig(%q) = %v; want %v", tt.flag, got, tt.needConfig)
			}
		})
	}
}
