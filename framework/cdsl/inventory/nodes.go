// SPDX-License-Identifier: Apache-2.0

package inventory

import (
	"strconv"
	"strings"
)

// NodeKey is how the inventory names a cluster node, in its CDSL entries and in
// the names of node directories: the node id in decimal when UseNodeIDs is set,
// else the node name. It is "" when the node lacks what the settings ask for (id
// 0, or an empty name).
func (s Settings) NodeKey(id int, name string) string {
	if s.UseNodeIDs {
		if id <= 0 {
			return ""
		}
		return strconv.Itoa(id)
	}
	return name
}

// NodeDirName is the name, in the tree, of the directory of the node the
// inventory calls key (see NodeKey). The node prefix applies to node ids only;
// the default dir keeps its name.
func (s Settings) NodeDirName(key string) string {
	if key == s.DefaultDir || !s.UseNodeIDs {
		return key
	}
	return s.NodePrefix + key
}

// NodeOfDir maps a node directory name back to the node key it belongs to; it
// undoes NodeDirName.
func (s Settings) NodeOfDir(dir string) string {
	if s.UseNodeIDs && s.NodePrefix != "" {
		return strings.TrimPrefix(dir, s.NodePrefix)
	}
	return dir
}
