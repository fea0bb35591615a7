// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"os"
	"path/filepath"
	"strings"
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

// exercise runs what every consumer runs on a cluster that was read, and
// checks that no name a reader let through could break rendered output.
func exercise(t *testing.T, c *Cluster) {
	if c.Name != "" {
		if err := CheckClusterName(c.Name); err != nil {
			t.Errorf("the reader let cluster name %q through: %v", c.Name, err)
		}
	}
	for _, n := range c.Nodes {
		if n.Name != "" {
			if err := CheckNodeName(n.Name); err != nil {
				t.Errorf("the reader let node name %q through: %v", n.Name, err)
			}
		}
	}
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
	f.Add([]byte("<cluster name=\"x&#10;crypto_cipher: none\"><clusternodes><clusternode name=\"a\" nodeid=\"1\"><com_info><hostnmae/><filesystem/></com_info></clusternode></clusternodes></cluster>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastPath(t, data)
		c, err := ReadClusterConf("fuzz.conf", data)
		if err != nil {
			if c != nil {
				t.Fatal("a cluster and an error")
			}
			return
		}
		exercise(t, c)
	})
}

func FuzzReadHCL(f *testing.F) {
	addSeeds(f, "*.hcl")
	f.Add([]byte(`cluster "x" { node "a" { id = 1 } }`))
	f.Add([]byte("cluster \"x\" {\n  a = " + strings.Repeat("[", 300) + "\n}\n"))
	f.Add([]byte("cluster \"x\\ny\" { node \"a\\n}\" { id = 1 } }"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ReadHCL("fuzz.hcl", data)
		if err != nil {
			if c != nil {
				t.Fatal("a cluster and an error")
			}
			return
		}
		exercise(t, c)
	})
}
