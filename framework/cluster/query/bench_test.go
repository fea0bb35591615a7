// SPDX-License-Identifier: Apache-2.0

package query

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// generateClusterConf writes a cluster.conf of n nodes, each with a bond of two NICs
// and a management NIC, for benchmarks and load tests.
func generateClusterConf(n int) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<cluster name=\"big\" config_version=\"1\">\n  <clusternodes>\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `    <clusternode name="node%d" nodeid="%d" votes="1">
      <com_info>
        <rootvolume name="/dev/VG_SR/LV_SR" fstype="gfs2"/>
        <eth name="bond0" ip="10.%d.%d.1" mask="255.255.255.0" gateway="10.0.0.254"><properties><property name="BONDING_OPTS">mode=1 miimon=100</property></properties></eth>
        <eth name="eth0" mac="00:1A:%02X:%02X:00:01" master="bond0" slave="yes"/>
        <eth name="eth1" mac="00:1A:%02X:%02X:00:02" master="bond0" slave="yes"/>
        <eth name="eth2" mac="00:1A:%02X:%02X:00:03" ip="192.168.%d.%d" mask="16" onboot="no"/>
        <syslog name="loghost"/>
      </com_info>
    </clusternode>
`, i, i, i/256, i%256, i/256, i%256, i/256, i%256, i/256, i%256, i/256, i%256)
	}
	b.WriteString("  </clusternodes>\n</cluster>\n")
	return []byte(b.String())
}

// TestGenerated1000 keeps the benchmark's input honest: it reads, validates and answers.
func TestGenerated1000(t *testing.T) {
	c, err := cluster.ReadClusterConf("big.conf", generateClusterConf(1000))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	e := &Engine{Cluster: c}
	if r := e.Run(Invocation{Name: "nodeid", Args: []string{"00:1a:03:e8:00:02"}}); r.Text() != "1000" {
		t.Errorf("nodeid = %q %v", r.Text(), r.Err)
	}
	if os.Getenv("OSR_WRITE_BIG_CLUSTER") != "" {
		// Writes the file used to time a real `osr cluster query` process.
		p := os.Getenv("OSR_WRITE_BIG_CLUSTER")
		if err := os.WriteFile(p, generateClusterConf(1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkQuery1000 is the work of one `osr cluster query nodeid MAC` process on a
// 1000-node cluster.conf: read the file, parse it, find the node by its last MAC.
func BenchmarkQuery1000(b *testing.B) {
	path := filepath.Join(b.TempDir(), "cluster.conf")
	data := generateClusterConf(1000)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		c, err := cluster.Load(path)
		if err != nil {
			b.Fatal(err)
		}
		e := &Engine{Cluster: c}
		if r := e.Run(Invocation{Name: "nodeid", Args: []string{"00:1a:03:e8:00:03"}}); r.Failed() {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkValidate1000 is the build-time check of a 1000-node configuration.
func BenchmarkValidate1000(b *testing.B) {
	c, err := cluster.ReadClusterConf("big.conf", generateClusterConf(1000))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := c.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueryMap1000 is the work of one `osr cluster query nodeid_by_hwid MAC`
// process on a 1000-node cluster.conf: the model and the XPath document are both
// read, then the query map's XPath runs.
func BenchmarkQueryMap1000(b *testing.B) {
	path := filepath.Join(b.TempDir(), "cluster.conf")
	data := generateClusterConf(1000)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		c, err := cluster.Load(path)
		if err != nil {
			b.Fatal(err)
		}
		e := &Engine{Cluster: c, Map: DefaultMap(), XML: func() ([]byte, error) { return os.ReadFile(path) }}
		if r := e.Run(Invocation{Name: "nodeid_by_hwid", Args: []string{"00:1A:03:E8:00:03"}}); r.Failed() || r.Text() != "1000" {
			b.Fatalf("%q %v", r.Text(), r.Err)
		}
	}
}
