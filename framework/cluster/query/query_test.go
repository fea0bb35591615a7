// SPDX-License-Identifier: Apache-2.0

package query

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/open-sharedroot/osr/framework/cluster"
)

func engine(t *testing.T, name string) *Engine {
	t.Helper()
	c, err := cluster.Load(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return &Engine{Cluster: c, Convert: func(c *cluster.Cluster, f string) (string, error) { return "converted to " + f, nil }}
}

type queryCase struct {
	q       string // the invocation as typed
	want    string // text output ("" for a failed or empty answer)
	wantErr string // substring of the error
}

func runCases(t *testing.T, e *Engine, cases []queryCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.q, func(t *testing.T) {
			invs, err := Split(strings.Fields(tt.q))
			if err != nil || len(invs) != 1 {
				t.Fatalf("Split: %v %v", invs, err)
			}
			r := e.Run(invs[0])
			if tt.wantErr != "" {
				if r.Err == nil || !strings.Contains(r.Err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", r.Err, tt.wantErr)
				}
				return
			}
			if r.Err != nil {
				t.Fatalf("err = %v", r.Err)
			}
			if got := r.Text(); got != tt.want {
				t.Errorf("answer = %q, want %q", got, tt.want)
			}
			if r.Failed() != (tt.want == "") {
				t.Errorf("Failed = %v for answer %q", r.Failed(), tt.want)
			}
		})
	}
}

// Every query on the reference's com_info example.
func TestQueriesSeed(t *testing.T) {
	runCases(t, engine(t, "seed-example.conf"), []queryCase{
		{q: "nodeids", want: "1"},
		{q: "nodes", want: "1"},
		{q: "clustername", want: ""},
		{q: "nodename 00:0C:29:3B:AA:BB", want: "gfs-node1"},
		{q: "nodename 00:0c:29:3b:aa:bb", want: "gfs-node1"},
		{q: "nodeid 00-0c-29-3b-aa-bb", want: "1"},
		{q: "nodenamebyid 1", want: "gfs-node1"},
		{q: "ip gfs-node1 eth0", want: "10.0.0.1|dhcp"},
		{q: "mask gfs-node1 eth0", want: "255.255.255.0"},
		{q: "gateway gfs-node1 eth0", want: "…"},
		{q: "master gfs-node1 eth0", want: "bond0"},
		{q: "slave gfs-node1 eth0", want: "yes"},
		{q: "netdevs gfs-node1", want: "eth0"},
		{q: "hosts", want: "10.0.0.1|dhcp \tgfs-node1"},
		{q: "ifconfig 00:0C:29:3B:AA:BB", want: "eth0 10.0.0.1|dhcp 255.255.255.0"},
		{q: "rootvolume gfs-node1", want: "/dev/VG_SR/LV_SR"},
		{q: "rootfs gfs-node1", want: "gfs|gfs2|ocfs2|nfs|nfs4|ext3|ext4|glusterfs"},
		{q: "mountopts gfs-node1", want: "noatime,…"},
		{q: "syslog gfs-node1", want: "loghost[,loghost2]"},
		{q: "scsifailover gfs-node1", want: "driver|mapper|devicemapper|rdac|gnbd"},
		{q: "failoverdomainnodes any", wantErr: `no failover domain named "any"`},
		{q: "failoverdomainprefnode any", wantErr: `no failover domain named "any"`},
		{q: "convert ocfs2", want: "converted to ocfs2"},
	})
}

// Every query on a larger cluster: bonding, several NICs, DHCP, lower-case MACs, failover domains.
func TestQueriesLarge(t *testing.T) {
	runCases(t, engine(t, "large.conf"), []queryCase{
		{q: "nodeids", want: "1 2 3"},
		{q: "nodeids ,", want: "1,2,3"},
		{q: "nodes", want: "3"},
		{q: "clustername", want: "sharedroot"},
		{q: "nodename 00:1A:64:00:02:B0", want: "node2"},
		{q: "nodename 00:1a:64:00:02:b1", want: "node2"},
		{q: "nodename 00:00:00:00:00:01", wantErr: "no node has an interface with MAC 00:00:00:00:00:01"},
		{q: "nodeid 00:1A:64:00:01:a2", want: "1"},
		{q: "nodeid 52-54-00-00-03-C0", want: "3"},
		{q: "nodenamebyid 3", want: "node3"},
		{q: "nodenamebyid 4", wantErr: "no node has id 4"},
		{q: "nodenamebyid three", wantErr: `node id "three" is not a number`},
		{q: "ip node1 bond0", want: "10.1.0.11"},
		{q: "ip node1 eth0", want: ""},
		{q: "ip node2 eth0", want: "dhcp"},
		{q: "ip node2 00:1A:64:00:02:B1", want: "10.2.0.12"},
		{q: "ip node9 eth0", wantErr: `no node named "node9"`},
		{q: "ip node1 eth7", wantErr: `node node1 has no interface "eth7"; it has: bond0 eth0 eth1 eth2`},
		{q: "ip node1", wantErr: "query ip needs 2 argument(s): ip NODENAME DEV"},
		{q: "mask node2 eth1", want: "255.255.0.0"},
		{q: "mask node1 eth2", want: "24"},
		{q: "gateway node1 bond0", want: "10.1.0.254"},
		{q: "gateway node1 eth2", want: ""},
		{q: "master node1 eth1", want: "bond0"},
		{q: "master node1 bond0", want: ""},
		{q: "slave node1 eth0", want: "yes"},
		{q: "netdevs node1", want: "bond0 eth0 eth1 eth2"},
		{q: "netdevs 2 :", want: "eth0:eth1"},
		{q: "hosts", want: "10.1.0.11 \tnode1\n10.2.0.12 \tnode2\n10.1.0.13 \tnode3"},
		{q: "ifconfig 00-1a-64-00-02-b1", want: "eth1 10.2.0.12 255.255.0.0"},
		{q: "ifconfig 00:1A:64:00:01:A0", want: "eth0  "},
		{q: "rootvolume node3", want: "/dev/VG_SR/LV_SR"},
		{q: "rootfs node2", want: "gfs2"},
		{q: "mountopts node1", want: "noatime,localflocks"},
		{q: "mountopts node2", want: "noatime,localflocks,acl"},
		{q: "syslog node1", want: "loghost1,loghost2"},
		{q: "syslog node3", want: ""},
		{q: "scsifailover node1", want: "mapper"},
		{q: "scsifailover node2", want: "driver"},
		{q: "failoverdomainnodes web", want: "node1 node2 node3"},
		{q: "failoverdomainnodes db ,", want: "node2,node1"},
		{q: "failoverdomainnodes empty", want: ""},
		{q: "failoverdomainprefnode web", want: "node3"},
		{q: "failoverdomainprefnode db", want: "node2"},
		{q: "failoverdomainprefnode empty", wantErr: `failover domain "empty" has no members`},
		{q: "nodids", wantErr: `unknown query "nodids" (did you mean "nodeids"?)`},
		{q: "query=rootfs node1", want: "gfs2"},
	})
}

func TestSeparatorOverride(t *testing.T) {
	e := engine(t, "large.conf")
	sep := ";"
	e.Sep = &sep
	if got := e.Run(Invocation{Name: "hosts"}).Text(); got != "10.1.0.11 \tnode1;10.2.0.12 \tnode2;10.1.0.13 \tnode3" {
		t.Errorf("hosts with -s ';' = %q", got)
	}
	if got := e.Run(Invocation{Name: "nodeids", Args: []string{","}}).Text(); got != "1;2;3" {
		t.Errorf("-s wins over the trailing separator argument: %q", got)
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in      string
		want    []Invocation
		wantErr bool
	}{
		{in: "nodeids", want: []Invocation{{Name: "nodeids"}}},
		{in: "ip n1 eth0 query=nodes query=rootfs n1", want: []Invocation{{Name: "ip", Args: []string{"n1", "eth0"}}, {Name: "nodes"}, {Name: "rootfs", Args: []string{"n1"}}}},
		{in: "query=nodeid X query= nodes", want: []Invocation{{Name: "nodeid", Args: []string{"X"}}, {Name: "nodes"}}},
		{in: "nodes query", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Split(strings.Fields(tt.in))
		if (err != nil) != tt.wantErr {
			t.Fatalf("Split(%q) err = %v", tt.in, err)
		}
		if !tt.wantErr && !cmp.Equal(got, tt.want) {
			t.Errorf("Split(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestReadBatch(t *testing.T) {
	in := `# the init's questions
nodeid 00:1A:64:00:01:A0
 query=rootfs node1 query=mountopts node1
ip node1 bond0   # trailing comment

nodes`
	got, err := ReadBatch(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Invocation{
		{Name: "nodeid", Args: []string{"00:1A:64:00:01:A0"}},
		{Name: "rootfs", Args: []string{"node1"}},
		{Name: "mountopts", Args: []string{"node1"}},
		{Name: "ip", Args: []string{"node1", "bond0"}},
		{Name: "nodes"},
	}
	if !cmp.Equal(got, want) {
		t.Errorf("ReadBatch = %+v", got)
	}
	if _, err := ReadBatch(strings.NewReader("nodes\nquery=\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("ReadBatch error = %v, want one naming line 2", err)
	}
}

func TestOutput(t *testing.T) {
	e := engine(t, "large.conf")
	results := []Result{
		e.Run(Invocation{Name: "nodeids"}),
		e.Run(Invocation{Name: "syslog", Args: []string{"node3"}}),
		e.Run(Invocation{Name: "rootfs", Args: []string{"nope"}}),
		e.Run(Invocation{Name: "clustername"}),
	}
	var text bytes.Buffer
	if err := WriteText(&text, results, TextOptions{Prefix: "<", Suffix: ">;"}); err != nil {
		t.Fatal(err)
	}
	if got := text.String(); got != "<1 2 3>;<sharedroot>;" {
		t.Errorf("text = %q", got)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, results); err != nil {
		t.Fatal(err)
	}
	want := `{"query":"nodeids","args":[],"values":["1","2","3"],"ok":true}
{"query":"syslog","args":["node3"],"values":[""],"ok":false,"error":"empty answer"}
{"query":"rootfs","args":["nope"],"values":[],"ok":false,"error":"no node named \"nope\" (nor with that id or MAC); 'osr cluster nodes' lists them"}
{"query":"clustername","args":[],"values":["sharedroot"],"ok":true}
`
	if diff := cmp.Diff(want, js.String()); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}
	if r := e.Run(Invocation{Name: "bogus"}); !errors.Is(r.Err, ErrUnknownQuery) {
		t.Errorf("unknown query error = %v", r.Err)
	}
}

func TestDefsDocumented(t *testing.T) {
	names := map[string]bool{}
	for _, d := range Defs() {
		if d.Summary == "" {
			t.Errorf("query %s has no summary", d.Name)
		}
		names[d.Name] = true
	}
	for _, n := range strings.Fields("nodeids nodename nodeid nodenamebyid ip mask gateway master slave netdevs hosts ifconfig rootvolume rootfs mountopts syslog scsifailover failoverdomainnodes failoverdomainprefnode clustername nodes convert") {
		if !names[n] {
			t.Errorf("query %s is missing", n)
		}
	}
}
