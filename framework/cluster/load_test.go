// SPDX-License-Identifier: Apache-2.0

package cluster

import "testing"

func TestIsClusterFile(t *testing.T) {
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"cluster.conf", "\ufeff  <?xml version=\"1.0\"?>\n<cluster name=\"a\"/>", true},
		{"HCL cluster file", "# two nodes\ncluster \"lab\" {\n  node \"n1\" { id = 1 }\n}\n", true},
		{"osr.hcl", "cluster_config = \"/etc/cluster/cluster.conf\"\ninitrd {\n  driver = \"nfs\"\n}\n", false},
		{"empty osr.hcl", "", false},
		{"HCL that does not parse", "cluster \"x\" {\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsClusterFile([]byte(tt.data)); got != tt.want {
				t.Errorf("IsClusterFile(%q) = %v; want %v", tt.data, got, tt.want)
			}
		})
	}
}
