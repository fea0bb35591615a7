// SPDX-License-Identifier: Apache-2.0

package query

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/cluster/render"
)

func TestReadMap(t *testing.T) {
	src := `# a site's own queries
[DEFAULT]
everywhere = /cluster/@name

[redhatcluster]
; the MAC of the node's second NIC
first_mac = /cluster/clusternodes/clusternode[@nodeid=%(param0)s]/com_info/eth[2]/@mac
Site_Name: /cluster/@name ; trailing comment
eth_name_ip = xml:/cluster/clusternodes/clusternode[@nodeid=%(param0)s]
    /com_info/eth[@name="%(param1)s"]/@ip
empty = ""

[other]
ignored = /cluster
`
	m, err := ReadMap("site.cfg", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]MapEntry{
		"everywhere": {Name: "everywhere", XPath: "/cluster/@name", Source: "site.cfg:3"},
		"first_mac":  {Name: "first_mac", XPath: "/cluster/clusternodes/clusternode[@nodeid=%(param0)s]/com_info/eth[2]/@mac", Source: "site.cfg:7"},
		"site_name":  {Name: "site_name", XPath: "/cluster/@name", Source: "site.cfg:8"},
		"eth_name_ip": {Name: "eth_name_ip", XPath: "/cluster/clusternodes/clusternode[@nodeid=%(param0)s]\n/com_info/eth[@name=\"%(param1)s\"]/@ip",
			XML: true, Source: "site.cfg:9"},
		"empty": {Name: "empty", Source: "site.cfg:11"},
	}
	got := m.Entries()
	if len(got) != len(want) {
		t.Fatalf("entries = %+v", got)
	}
	for _, g := range got {
		if g != want[g.Name] {
			t.Errorf("entry %s = %+v, want %+v", g.Name, g, want[g.Name])
		}
	}

	// Laid over the built-in map, the file's entries win and add.
	d := DefaultMap()
	d.Overlay(m)
	e := compatEngine(t, filepath.Join("testdata", "compat.conf"))
	e.Map = d
	for q, wantText := range map[string]string{
		"first_mac 1":         "00:0C:29:3B:AA:01",
		"SITE_NAME":           "ocfs2root",
		"eth_name_ip 1 bond0": "10.0.0.1",
		"rootsource_name 2":   "",
	} {
		invs, _ := Split(strings.Fields(q))
		if r := e.Run(invs[0]); r.Text() != wantText {
			t.Errorf("%s = %q %v, want %q", q, r.Text(), r.Err, wantText)
		}
	}
	if r := e.Run(Invocation{Name: "empty"}); r.Err == nil {
		t.Errorf("an empty XPath answered %q", r.Text())
	}
}

// Entries may name each other as %(name)s, within the section and [DEFAULT], the
// section's own winning, as in the originals' INI files.
func TestReadMapInterpolation(t *testing.T) {
	src := `[DEFAULT]
clusterpath=/cluster
clusternodepath=%(clusterpath)s/clusternodes/clusternode
nodepath=%(clusternodepath)s

[redhatcluster]
nodepath=%(clusternodepath)s[@nodeid=%(param0)s]/com_info
node_ips=%(nodepath)s/eth/@ip
loop=%(loop)s
`
	_, err := ReadMap("site.cfg", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `site.cfg:9: entry "loop": %(loop)s is nested more than 10 deep`) {
		t.Fatalf("self-reference: %v", err)
	}
	m, err := ReadMap("site.cfg", []byte(strings.Replace(src, "loop=%(loop)s\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	ent, _ := m.Lookup("node_ips")
	if want := "/cluster/clusternodes/clusternode[@nodeid=%(param0)s]/com_info/eth/@ip"; ent.XPath != want {
		t.Errorf("node_ips = %q, want %q", ent.XPath, want)
	}
	e := compatEngine(t, filepath.Join("testdata", "compat.conf"))
	e.Map = m
	if r := e.Run(Invocation{Name: "node_ips", Args: []string{"1"}}); r.Text() != "10.0.0.1 dhcp" {
		t.Errorf("node_ips 1 = %q %v", r.Text(), r.Err)
	}
}

func TestReadMapErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"nodes = count(/cluster)\n", `site.cfg:1: entry "nodes" comes before any section; put the queries under a [redhatcluster] line`},
		{"[redhatcluster]\n\njust words\n", `site.cfg:3: "just words" is not a "name = XPATH" entry`},
		{"[redhatcluster\n", `site.cfg:1: section header "[redhatcluster" has no closing ']'`},
		{"[redhatcluster]\n= /cluster\n", `site.cfg:2: "= /cluster" is not a "name = XPATH" entry`},
	}
	for _, tt := range tests {
		_, err := ReadMap("site.cfg", []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadMap(%q) = %v, want %q", tt.src, err, tt.want)
		}
	}
}

// An HCL cluster file answers the XPath queries through its cluster.conf rendering.
func TestXPathOverHCL(t *testing.T) {
	c, err := cluster.Load(filepath.Join("..", "testdata", "two-node.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{Cluster: c, Map: DefaultMap(), XML: func() ([]byte, error) { return render.ClusterConfXML(c), nil }}
	runCompatCases(t, e, []compatCase{
		{q: "hwids", want: "52:54:00:00:01:71 52-54-00-00-01-72"},
		{q: "eth_name_ip 2 eth0", want: "dhcp"},
		{q: "rootvolume_fstype 1", want: "nfs4"},
		{q: "query_value /cluster/@name", want: "lab"},
		{q: "query_value count(//clusternode)", want: "2"},
	})
}
