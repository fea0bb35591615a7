// SPDX-License-Identifier: Apache-2.0

package query

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/cluster/internal/bigconf"
)

var generateClusterConf = bigconf.Generate

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
