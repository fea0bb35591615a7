// SPDX-License-Identifier: Apache-2.0

package render

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/internal/goldenfile"
)

func load(t *testing.T, name string) *cluster.Cluster {
	t.Helper()
	c, err := cluster.Load(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// golden compares got with testdata/name; go test -update rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func TestGolden(t *testing.T) {
	for _, in := range []string{"large.conf", "two-node.hcl", "seed-example.conf"} {
		c := load(t, in)
		for _, f := range []Format{ClusterConf, HCL, OCFS2, Corosync} {
			t.Run(in+"/"+string(f), func(t *testing.T) {
				got, err := Render(c, f)
				if in == "seed-example.conf" && (f == OCFS2 || f == Corosync) {
					// The example has no cluster name; both node lists need one.
					if err == nil || !strings.Contains(err.Error(), "no name") {
						t.Fatalf("err = %v, want a missing-name error", err)
					}
					return
				}
				if in == "two-node.hcl" && f == OCFS2 {
					// n2 uses DHCP; o2cb needs a static address for every node.
					if err == nil || !strings.Contains(err.Error(), "two-node.hcl:19: node n2 has no static IP address") {
						t.Fatalf("err = %v, want a missing-address error", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				golden(t, strings.TrimSuffix(in, filepath.Ext(in))+"."+string(f), got)
			})
		}
	}
}

// ignoreSpelling leaves out what a conversion does not carry: where a value was
// written, the format it was read from, and whether a property's value was an attribute.
var ignoreSpelling = cmp.Options{
	cmpopts.IgnoreTypes(cluster.Pos{}, cluster.Format("")),
	cmpopts.IgnoreFields(cluster.Property{}, "ValueAttr"),
	// Warnings are about the file read (its mode, for one), not its values.
	cmpopts.IgnoreFields(cluster.Cluster{}, "ReadWarnings"),
	cmpopts.EquateEmpty(),
}

// Converting cluster.conf → HCL → cluster.conf (and HCL → cluster.conf → HCL) keeps every value.
func TestRoundTrip(t *testing.T) {
	for _, in := range []string{"large.conf", "seed-example.conf", "two-node.hcl"} {
		t.Run(in, func(t *testing.T) {
			orig := load(t, in)
			hclText := HCLFile(orig)
			viaHCL, err := cluster.ReadHCL("rt.hcl", hclText)
			if err != nil {
				t.Fatalf("read rendered HCL: %v\n%s", err, hclText)
			}
			xmlText := ClusterConfXML(viaHCL)
			back, err := cluster.ReadClusterConf("rt.conf", xmlText)
			if err != nil {
				t.Fatalf("read rendered cluster.conf: %v\n%s", err, xmlText)
			}
			if diff := cmp.Diff(orig, viaHCL, ignoreSpelling); diff != "" {
				t.Errorf("%s → HCL lost values (-orig +hcl):\n%s", in, diff)
			}
			if diff := cmp.Diff(orig, back, ignoreSpelling); diff != "" {
				t.Errorf("%s → HCL → cluster.conf lost values (-orig +back):\n%s", in, diff)
			}
			// The XML writer keeps the property spelling of a file read from XML.
			if orig.Format == cluster.FormatClusterConf {
				again, err := cluster.ReadClusterConf("rt2.conf", ClusterConfXML(orig))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(orig, again, cmpopts.IgnoreTypes(cluster.Pos{}), cmpopts.IgnoreFields(cluster.Cluster{}, "ReadWarnings"), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("cluster.conf → cluster.conf changed (-orig +again):\n%s", diff)
				}
			}
		})
	}
}

func TestRoundTripEscaping(t *testing.T) {
	c := &cluster.Cluster{Name: "c", Nodes: []*cluster.Node{{
		ID: 1, Name: "n1", HasComInfo: true,
		RootVolume: &cluster.RootVolume{Name: "srv:/export/%{y}", FSType: "nfs", MountOpts: `a "quoted" <opt> & more ${x}`},
		NICs: []cluster.NIC{{Name: "eth0", Properties: []cluster.Property{
			{Name: "ETHTOOL_OPTS", Value: "-K eth0 tx off\tgso off"}, {Name: "with space", Value: "line1\nline2"},
		}}},
	}}}
	back, err := cluster.ReadHCL("e.hcl", HCLFile(c))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, back, ignoreSpelling); diff != "" {
		t.Errorf("HCL escaping (-want +got):\n%s", diff)
	}
	back, err = cluster.ReadClusterConf("e.conf", ClusterConfXML(c))
	if err != nil {
		t.Fatal(err)
	}
	// XML text content is trimmed on reading, inner white space is kept.
	if diff := cmp.Diff(c, back, ignoreSpelling); diff != "" {
		t.Errorf("XML escaping (-want +got):\n%s", diff)
	}
}

func TestNodeListErrors(t *testing.T) {
	c := load(t, "large.conf")
	c.Nodes[1].NICs[1].IP = "dhcp" // node2 now has no static address
	if _, err := OCFS2Conf(c); err == nil || !strings.Contains(err.Error(), "node node2 has no static IP address") {
		t.Errorf("OCFS2Conf = %v", err)
	}
	out, err := CorosyncConf(c)
	if err != nil || !strings.Contains(string(out), "ring0_addr: node2\n") {
		t.Errorf("corosync falls back to the node name: %v\n%s", err, out)
	}
}

func TestParseFormat(t *testing.T) {
	for name, want := range map[string]Format{"xml": ClusterConf, "cluster.conf": ClusterConf, "HCL": HCL, "o2cb": OCFS2, "corosync.conf": Corosync} {
		if f, err := ParseFormat(name); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %q, %v", name, f, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), "use one of clusterconf, corosync, hcl, ocfs2") {
		t.Errorf("ParseFormat(yaml) = %v", err)
	}
	if s, err := Convert(load(t, "large.conf"), "ocfs2"); err != nil || !strings.HasSuffix(s, "name = sharedroot") {
		t.Errorf("Convert = %q, %v", s, err)
	}
}

func TestCorosyncToken(t *testing.T) {
	c := load(t, "large.conf")
	tests := []struct {
		name  string
		totem []cluster.Attr
		opt   int
		want  string
	}{
		{"default", nil, 0, "\ttoken: 3000\n"},
		{"from <totem token>", []cluster.Attr{{Name: "token", Value: "8000"}}, 0, "\ttoken: 8000\n"},
		{"the option wins", []cluster.Attr{{Name: "token", Value: "8000"}}, 5000, "\ttoken: 5000\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := *c
			cc.Extra = nil
			if tt.totem != nil {
				cc.Extra = []cluster.Element{{Name: "totem", Attrs: tt.totem}}
			}
			out, err := CorosyncConfWith(&cc, CorosyncOptions{TokenMS: tt.opt})
			if err != nil || !strings.Contains(string(out), tt.want) {
				t.Errorf("CorosyncConfWith = %v\n%s; want %q", err, out, tt.want)
			}
		})
	}
	cc := *c
	cc.Extra = []cluster.Element{{Name: "totem", Attrs: []cluster.Attr{{Name: "token", Value: "soon"}}, Pos: cluster.Pos{File: "c.conf", Line: 4}}}
	if _, err := CorosyncConf(&cc); err == nil || !strings.Contains(err.Error(), `c.conf:4: <totem token="soon">`) {
		t.Errorf("bad token: %v", err)
	}
}

// A cluster built in code with names that would break out of their line is
// not rendered into a daemon's configuration.
func TestConfigRefusesInjectedNames(t *testing.T) {
	mk := func(clusterName, nodeName, ip string) *cluster.Cluster {
		return &cluster.Cluster{Name: clusterName, Nodes: []*cluster.Node{{ID: 1, Name: nodeName, NICs: []cluster.NIC{{Name: "eth0", IP: ip}}}}}
	}
	tests := []struct {
		name string
		c    *cluster.Cluster
	}{
		{"cluster name", mk("c\n\tcrypto_cipher: none", "a", "10.0.0.1")},
		{"node name", mk("c", "a\n\t}\n\tnode {\n\t\tring0_addr: 10.6.6.6", "10.0.0.1")},
		{"address", mk("c", "a", "10.0.0.1\n\t\tname: b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := CorosyncConfWith(tt.c, CorosyncOptions{TokenMS: 3000}); err == nil {
				t.Errorf("CorosyncConfWith() wrote:\n%s", out)
			}
			if out, err := OCFS2Conf(tt.c); err == nil {
				t.Errorf("OCFS2Conf() wrote:\n%s", out)
			}
		})
	}
}
