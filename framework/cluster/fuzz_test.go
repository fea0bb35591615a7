// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// exercise runs what every consumer runs on a cluster that was read.
func exercise(c *Cluster) {
	_ = c.Validate()
	_ = c.Secrets()
	for _, n := range c.Nodes {
		_, _ = n.RootFS(), n.MountOpts()
		for i := range n.NICs {
			nic := &n.NICs[i]
			_, _, _ = nic.Prefix()
			_, _, _ = nic.GatewayAddr()
			if nic.MAC != "" {
				c.NodeByMAC(nic.MAC)
			}
		}
	}
}

func FuzzReadClusterConf(f *testing.F) {
	addSeeds(f, "*.conf")
	f.Add([]byte(`<cluster name="x"><clusternodes><clusternode name="a" nodeid="1"/></clusternodes></cluster>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ReadClusterConf("fuzz.conf", data)
		if err != nil {
			if c != nil {
				t.Fatal("a cluster and an error")
			}
			return
		}
		exercise(c)
	})
}

func FuzzReadHCL(f *testing.F) {
	addSeeds(f, "*.hcl")
	f.Add([]byte(`cluster "x" { node "a" { id = 1 } }`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ReadHCL("fuzz.hcl", data)
		if err != nil {
			if c != nil {
				t.Fatal("a cluster and an error")
			}
			return
		}
		exercise(c)
	})
}
