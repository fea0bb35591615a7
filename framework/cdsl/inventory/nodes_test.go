// SPDX-License-Identifier: Apache-2.0

package inventory

import "testing"

func TestNodeNaming(t *testing.T) {
	byID := V2Defaults()
	prefixed := V2Defaults()
	prefixed.NodePrefix = "node_"
	byName := V2Defaults()
	byName.UseNodeIDs = false
	tests := []struct {
		name     string
		s        Settings
		id       int
		node     string
		wantKey  string
		wantDir  string
		wantBack string
	}{
		{"id", byID, 2, "n2", "2", "2", "2"},
		{"id with prefix", prefixed, 2, "n2", "2", "node_2", "2"},
		{"name", byName, 2, "n2", "n2", "n2", "n2"},
		{"no id", byID, 0, "n2", "", "", ""},
		{"no name", byName, 2, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.s.NodeKey(tt.id, tt.node)
			if key != tt.wantKey {
				t.Fatalf("NodeKey(%d, %q) = %q; want %q", tt.id, tt.node, key, tt.wantKey)
			}
			if key == "" {
				return
			}
			dir := tt.s.NodeDirName(key)
			if dir != tt.wantDir {
				t.Errorf("NodeDirName(%q) = %q; want %q", key, dir, tt.wantDir)
			}
			if back := tt.s.NodeOfDir(dir); back != tt.wantBack {
				t.Errorf("NodeOfDir(%q) = %q; want %q", dir, back, tt.wantBack)
			}
		})
	}
	if got := prefixed.NodeDirName("default"); got != "default" {
		t.Errorf("the default dir got a prefix: %q", got)
	}
}
