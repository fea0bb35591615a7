// SPDX-License-Identifier: Apache-2.0

package query

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// compatEngine answers over a cluster file of testdata with the built-in query map
// and the file itself as the XPath document, as the command does.
func compatEngine(t *testing.T, path string) *Engine {
	t.Helper()
	c, err := cluster.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return &Engine{Cluster: c, Map: DefaultMap(), XML: func() ([]byte, error) { return os.ReadFile(path) }}
}

type compatCase struct {
	q       string // the invocation as typed
	want    string // text output
	fail    bool   // counts towards the exit code (no answer or an error)
	wantErr string // substring of the error, when one is expected
}

func runCompatCases(t *testing.T, e *Engine, cases []compatCase) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, tt := range cases {
		t.Run(tt.q, func(t *testing.T) {
			invs, err := Split(strings.Fields(tt.q))
			if err != nil || len(invs) != 1 {
				t.Fatalf("Split: %v %v", invs, err)
			}
			seen[invs[0].Name] = true
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
			if r.Failed() != tt.fail {
				t.Errorf("Failed = %v, want %v", r.Failed(), tt.fail)
			}
		})
	}
	return seen
}

// Every query of the originals' query map (comoonics-bootimage's querymap.cfg and
// the older test map) on a cluster.conf that has every element they read.
func TestQueryMapCompat(t *testing.T) {
	e := compatEngine(t, filepath.Join("testdata", "compat.conf"))
	seen := runCompatCases(t, e, []compatCase{
		{q: "clustertype", want: "gfs"},
		{q: "clustertype_type", want: "gfs"},
		{q: "clustername_name", want: "ocfs2root"},
		{q: "name_name 2", want: "n2"},
		{q: "hwids", want: "00:0C:29:3B:AA:01 00:0C:29:3B:AA:02 00:0C:29:3B:AA:03 00:0C:29:3B:BB:01"},
		{q: "nodename_by_hwid 00:0C:29:3B:AA:02", want: "n1"},
		// The map compares MACs as written, as the originals' XPath did.
		{q: "nodename_by_hwid 00:0c:29:3b:aa:02", want: "", fail: true},
		{q: "nodeid_by_hwid 00:0C:29:3B:BB:01", want: "2"},
		{q: "nodename_by_id 1", want: "n1"},
		{q: "nodename_by_id 9", want: "", fail: true},
		{q: "hwid_by_nodeid 1 eth2", want: "00:0C:29:3B:AA:03"},
		{q: "hwid_by_nodeid 1 bond0", want: "", fail: true},
		{q: "hwids_by_nodeid 1", want: "00:0C:29:3B:AA:01 00:0C:29:3B:AA:02 00:0C:29:3B:AA:03"},
		{q: "mac 2 eth0", want: "00:0C:29:3B:BB:01"},
		{q: "macs 2", want: "00:0C:29:3B:BB:01"},
		{q: "eth_name 1", want: "bond0 eth0 eth1 eth2"},
		{q: "eth_name_name 1 eth1", want: "eth1"},
		{q: "eth_name_mac 1 eth1", want: "00:0C:29:3B:AA:02"},
		{q: "eth_name_onboot 1 eth2", want: "no"},
		{q: "eth_name_onboot 1 eth0", want: "", fail: true},
		{q: "eth_name_ip 1 bond0", want: "10.0.0.1"},
		{q: "eth_name_ip 1 eth2", want: "dhcp"},
		{q: "eth_name_mask 1 bond0", want: "255.255.255.0"},
		{q: "eth_name_gateway 1 bond0", want: "10.0.0.254"},
		{q: "eth_name_driver 1 eth0", want: "e1000"},
		{q: "eth_name_master 1 eth0", want: "bond0"},
		{q: "eth_name_slave 1 eth1", want: "yes"},
		{q: "eth_name_type 1 bond0", want: "Ethernet"},
		{q: "eth_name_bridge 1 eth2", want: "br0"},
		{q: "eth_name_properties 1 bond0", want: `BONDING_OPTS="miimon=100 mode=1" DELAY=0`},
		{q: "eth_name_properties 1 eth0", want: "", fail: true},
		{q: "eth_name_properties_name 1 bond0", want: "BONDING_OPTS DELAY"},
		{q: "eth_name_properties_value 1 bond0 DELAY", want: "DELAY=0"},
		{q: "syslog_name 1", want: "loghost1,loghost2"},
		{q: "syslog_level 1", want: "info"},
		{q: "syslog_subsys 1", want: "kern"},
		{q: "syslog_type 1", want: "rsyslogd"},
		{q: "syslog_filter 1", want: "kern,daemon.info"},
		{q: "syslogname 1", want: "loghost1,loghost2"},
		{q: "sysloglevel 1", want: "info"},
		{q: "syslogsubsys 1", want: "kern"},
		{q: "syslogtype 1", want: "rsyslogd"},
		{q: "syslogfilter 1", want: "kern,daemon.info"},
		{q: "syslog_name 2", want: "", fail: true},
		{q: "rootvolume_name 1", want: "/dev/sdb1"},
		{q: "rootvolume_fstype 2", want: "ocfs2"},
		{q: "rootvolume_mountopts 1", want: "", fail: true},
		{q: "rootsource_name 1", want: "iscsi://10.0.0.250:3260/iqn.2001-05.com.example:root"},
		{q: "rootsource_name 2", want: "", fail: true},
		{q: "filesystem_dest 1", want: "/var /data"},
		{q: "filesystem_dest_dest 1 /data", want: "/data"},
		// %(param0)s in an answer is the query's first argument: the node id.
		{q: "filesystem_dest_source 1 /var", want: "/cluster/cdsl/1/var"},
		{q: "filesystem_dest_source 1 /data", want: "/dev/sdc1"},
		{q: "filesystem_dest_mountopts 1 /var", want: "defaults"},
		{q: "filesystem_dest_fstype 1 /var", want: "bind"},
		{q: "filesystem_dest_mountwait 1 /var", want: "1"},
		{q: "filesystem_dest_mounttimes 1 /var", want: "2"},
		{q: "filesystem_dest_mounttimes 1 /data", want: "", fail: true},
		// An attribute written empty is an answer (exit code 0), as for the originals.
		{q: "scsi_name 1", want: "", fail: false},
		{q: "scsi_driver 1", want: "qla2xxx"},
		{q: "scsi_failover 1", want: "mapper"},
		{q: "scsi_failover 2", want: "", fail: true},
		{q: "chrootenv_mountpoint 1", want: "/var/comoonics/chroot"},
		{q: "chrootenv_fstype 1", want: "ext3"},
		{q: "chrootenv_device 1", want: "/dev/sda2"},
		{q: "chrootenv_chrootdir 1", want: "/var/comoonics/chroot/root"},
		{q: "chrootenv_mountopts 1", want: "defaults,noatime"},
		{q: "chroot_mountpoint 1", want: "/var/comoonics/chroot"},
		{q: "chroot_fstype 1", want: "ext3"},
		{q: "chroot_device 1", want: "/dev/sda2"},
		{q: "chroot_dir 1", want: "/var/comoonics/chroot/root"},
		{q: "chroot_mountopts 1", want: "defaults,noatime"},
		{q: "chroot_fstype 2", want: "", fail: true},
		{q: "fenceacksv_name 1", want: "fenceacksv1"},
		// Names are matched in any case, as the originals' INI reader lower-cased them.
		{q: "ETH_NAME_IP 1 bond0", want: "10.0.0.1"},
		{q: "eth_name_ip 1", wantErr: `refers to %(param1)s but the query has 1 argument(s)`},
		{q: "eth_name_ip", wantErr: `refers to %(param0)s, %(param1)s but the query has 0 argument(s)`},
	})
	for _, ent := range DefaultMap().Entries() {
		if !seen[ent.Name] {
			t.Errorf("query %s of the built-in map is not tested", ent.Name)
		}
	}
}

// The built-in queries that have defaults answer them as the originals did.
func TestCompatDefaults(t *testing.T) {
	e := compatEngine(t, filepath.Join("testdata", "compat.conf"))
	runCompatCases(t, e, []compatCase{
		{q: "scsifailover n1", want: "mapper"},
		// driver for a cluster.conf node without <scsi>, whatever its filesystem.
		{q: "scsifailover n2", want: "driver"},
		{q: "rootfs n2", want: "ocfs2"},
		{q: "mountopts n2", want: "noatime"},
		{q: "nodes", want: "2"},
		{q: "nodeids", want: "1 2"},
	})
	hcl := compatEngine(t, filepath.Join("..", "testdata", "two-node.hcl"))
	hcl.XML = nil // the command renders HCL to the cluster.conf model; see TestXPathOverHCL
	if got := hcl.Run(Invocation{Name: "scsifailover", Args: []string{"n1"}}).Text(); got != "driver" {
		t.Errorf("scsifailover of an nfs4 node in HCL = %q, want driver (nfs's default)", got)
	}
}

func TestXPathQueries(t *testing.T) {
	e := compatEngine(t, filepath.Join("testdata", "compat.conf"))
	runCompatCases(t, e, []compatCase{
		{q: "query_value /cluster/clusternodes/clusternode/@name", want: "n1 n2"},
		{q: "query_value /cluster/clusternodes/clusternode[@nodeid=%(param0)s]/@name 2", want: "n2"},
		{q: `query_value /cluster/clusternodes/clusternode[@nodeid=%(param0)s]/com_info/eth[@name="%(param1)s"]/@mac 1 eth2`, want: "00:0C:29:3B:AA:03"},
		{q: "query_value count(/cluster/clusternodes/clusternode)", want: "2"},
		{q: "query_value string(/cluster/@name)", want: "ocfs2root"},
		{q: "query_value /cluster/@nothere", want: "", fail: true},
		{q: "query_value //filesystem[@dest='/var']/@source 7", want: "/cluster/cdsl/7/var"},
		{q: "query_value //filesystem[@dest='/var']/@source", wantErr: `the answer "/cluster/cdsl/%(param0)s/var" refers to %(param0)s but the query has 0 argument(s)`},
		{q: "query_value //eth[@name='bond0']/properties/property/text()", want: `BONDING_OPTS="miimon=100 mode=1" DELAY=0`},
		{q: "query_value /cluster/clusternodes/clusternode[", wantErr: `XPath "/cluster/clusternodes/clusternode["`},
		{q: "query_value /cluster/clusternodes/clusternode[@nodeid=%(param0)s]/@name", wantErr: "the XPath"},
		{q: "query_xml /cluster/clusternodes/clusternode[@nodeid=2]/com_info/eth",
			want: "<eth ip=\"10.0.0.2\" mac=\"00:0C:29:3B:BB:01\" mask=\"255.255.255.0\" name=\"eth0\"/>\n"},
		{q: "query_xml //syslog/@type", want: "rsyslogd"},
		{q: "query_xml //nothing", want: "", fail: true},
		{q: "query_value", wantErr: "query query_value needs 1 argument(s): query_value XPATH [PARAM...]"},
	})
}

// query_xml of elements matches the golden file: sorted attributes, tab indents,
// one element a line, answers one a line (the query's separator).
func TestQueryXMLGolden(t *testing.T) {
	e := compatEngine(t, filepath.Join("testdata", "compat.conf"))
	r := e.Run(Invocation{Name: "query_xml", Args: []string{"/cluster/clusternodes/clusternode[@nodeid=%(param0)s]/com_info/eth", "1"}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	golden(t, filepath.Join("testdata", "query_xml_eth.golden"), r.Text())
	e.Properties = true
	r = e.Run(Invocation{Name: "query_xml", Args: []string{`//eth[@name="bond0"]`}})
	if got, want := r.Text(), "BONDING_OPTS=BONDING_OPTS=\"miimon=100 mode=1\"\nDELAY=DELAY=0"; got != want {
		t.Errorf("-p query_xml = %q, want %q", got, want)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if os.Getenv("OSR_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (OSR_UPDATE_GOLDEN=1 writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// -E leaves %(paramN)s as written.
func TestNoParams(t *testing.T) {
	e := compatEngine(t, filepath.Join("testdata", "compat.conf"))
	e.NoParams = true
	r := e.Run(Invocation{Name: "query_value", Args: []string{"//filesystem[@dest='/var']/@source", "1"}})
	if r.Err != nil || r.Text() != "/cluster/cdsl/%(param0)s/var" {
		t.Errorf("-E query_value = %q %v", r.Text(), r.Err)
	}
}

// -p prints a property written as value="…" or as text alike, in document order.
func TestPropertiesOutput(t *testing.T) {
	doc := []byte(`<cluster name="c"><clusternodes><clusternode name="a" nodeid="1"><com_info>
  <eth name="eth1" ip="dhcp"><properties>
    <property name="MASTER" value="yes"/>
    <property name="SLAVE">no</property>
    <property name="DELAY">0</property>
  </properties></eth>
</com_info></clusternode></clusternodes></cluster>`)
	c, err := cluster.ReadClusterConf("props.conf", doc)
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{Cluster: c, Map: DefaultMap(), Properties: true, XML: func() ([]byte, error) { return doc, nil }}
	r := e.Run(Invocation{Name: "query_xml", Args: []string{`/cluster/clusternodes/clusternode[@name="a"]/com_info/eth[@name="eth1"]`}})
	if r.Err != nil || r.Text() != "MASTER=yes\nSLAVE=no\nDELAY=0" {
		t.Errorf("-p query_xml = %q %v", r.Text(), r.Err)
	}
	if r := e.Run(Invocation{Name: "eth_name_properties", Args: []string{"1", "eth1"}}); r.Text() != "no 0" {
		t.Errorf("eth_name_properties = %q %v", r.Text(), r.Err)
	}
}
