// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadHCL(t *testing.T) {
	c := mustLoad(t, "two-node.hcl")
	if c.Format != FormatHCL || c.Name != "lab" || c.ConfigVersion != "3" {
		t.Fatalf("cluster = %q %q %q", c.Format, c.Name, c.ConfigVersion)
	}
	n2, ok := c.NodeByID(2)
	if !ok {
		t.Fatal("node 2 missing")
	}
	want := &Node{
		ID: 2, Name: "n2", Votes: "2", HasComInfo: true,
		RootVolume:     &RootVolume{Name: "192.168.122.1:/nfsroot", FSType: "nfs4", Pos: Pos{Line: 22}},
		NICs:           []NIC{{Name: "eth0", MAC: "52-54-00-00-01-72", IP: "dhcp", Pos: Pos{Line: 26}}},
		FenceAckServer: &FenceAckServer{User: "root", Passwd: "hunter2"},
		Pos:            Pos{Line: 19},
	}
	if diff := cmp.Diff(want, n2, cmp.Transformer("line", func(p Pos) int { return p.Line })); diff != "" {
		t.Errorf("node n2 (-want +got):\n%s", diff)
	}
	n1, _ := c.NodeByName("n1")
	if n1.NICs[0].Mask != "24" || n1.MountOpts() != "" || n1.RootFS() != "nfs4" {
		t.Errorf("n1 mask %q mountopts %q rootfs %q", n1.NICs[0].Mask, n1.MountOpts(), n1.RootFS())
	}
	if d, ok := c.FailoverDomain("all"); !ok || len(d.Nodes) != 2 || d.Nodes[1].Priority != "2" || !c.HasRM {
		t.Errorf("failover domain = %+v", d)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestReadHCLOrderedMaps(t *testing.T) {
	src := `cluster "c" {
  attributes = { zeta = "1", alpha = 2, "with-dash" = true }
  node "a" {
    id = 1
    eth "bond0" {
      properties = { BONDING_OPTS = "mode=1", DELAY = 0, "A" = "x" }
    }
  }
}`
	c, err := ReadHCL("o.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	wantAttrs := []Attr{{"zeta", "1"}, {"alpha", "2"}, {"with-dash", "true"}}
	if !cmp.Equal(c.Attrs, wantAttrs) {
		t.Errorf("attributes = %v, want %v (in written order)", c.Attrs, wantAttrs)
	}
	wantProps := []Property{{Name: "BONDING_OPTS", Value: "mode=1"}, {Name: "DELAY", Value: "0"}, {Name: "A", Value: "x"}}
	if !cmp.Equal(c.Nodes[0].NICs[0].Properties, wantProps) {
		t.Errorf("properties = %v", c.Nodes[0].NICs[0].Properties)
	}
}

func TestReadHCLErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"syntax", "cluster \"c\" {\n  node \"a\" {\n", "c.hcl:2: Unclosed configuration block"},
		{"no cluster", "# nothing\n", "c.hcl: no cluster block found"},
		{"two clusters", "cluster \"a\" {}\ncluster \"b\" {}\n", "c.hcl:2: Duplicate cluster block"},
		{"misspelt attribute", "cluster \"c\" {\n  node \"a\" {\n    id = 1\n    rootvolume {\n      fstyp = \"gfs2\"\n    }\n  }\n}\n",
			`c.hcl:5: Unsupported argument; An argument named "fstyp" is not expected here. Did you mean "fstype"?`},
		{"unknown block", "cluster \"c\" {\n  nodes \"a\" {}\n}\n", `c.hcl:2: Unsupported block type; Blocks of type "nodes" are not expected here. Did you mean "node"?`},
		{"bad id", "cluster \"c\" {\n  node \"a\" {\n    id = \"one\"\n  }\n}\n", `c.hcl:3: Invalid node id; node "a": id "one" is not a positive number.`},
		{"list for string", "cluster \"c\" {\n  node \"a\" {\n    votes = [1]\n  }\n}\n", "c.hcl:3: Incorrect value type; votes must be a string"},
		{"two rootvolumes", "cluster \"c\" {\n  node \"a\" {\n    rootvolume {}\n    rootvolume {}\n  }\n}\n", `c.hcl:4: Duplicate rootvolume block; node "a" already has a rootvolume block at line 3`},
		{"variables", "cluster \"c\" {\n  node \"a\" {\n    votes = var.x\n  }\n}\n", "c.hcl:3: Variables not allowed"},
		{"properties not a map", "cluster \"c\" {\n  node \"a\" {\n    eth \"e\" {\n      properties = \"x\"\n    }\n  }\n}\n", "c.hcl:4: Incorrect value type; properties must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadHCL("c.hcl", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}
