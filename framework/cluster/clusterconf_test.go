// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustLoad(t *testing.T, name string) *Cluster {
	t.Helper()
	c, err := Load(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return c
}

// The reference's com_info example (a single clusternode) parses with every value as written.
func TestReadSeedExample(t *testing.T) {
	c := mustLoad(t, "seed-example.conf")
	if len(c.Nodes) != 1 {
		t.Fatalf("nodes = %d, want 1", len(c.Nodes))
	}
	n := c.Nodes[0]
	want := &Node{
		ID: 1, Name: "gfs-node1", Votes: "1", HasComInfo: true,
		Extra:      []Element{{Name: "fence", Text: "…", Pos: Pos{Line: 19}}},
		RootVolume: &RootVolume{Name: "/dev/VG_SR/LV_SR", FSType: "gfs|gfs2|ocfs2|nfs|nfs4|ext3|ext4|glusterfs", MountOpts: "noatime,…", Pos: Pos{Line: 3}},
		RootSource: "scsi|iscsi://host:port/target|drbd…|gnbd…",
		NICs: []NIC{{
			Name: "eth0", MAC: "00:0C:29:3B:AA:BB", IP: "10.0.0.1|dhcp", Mask: "255.255.255.0", Gateway: "…",
			Master: "bond0", Slave: "yes", Type: "Ethernet|BRIDGE|…", Bridge: "br0", OnBoot: "yes|no", Driver: "e1000",
			Properties: []Property{{Name: "BONDING_OPTS", Value: `BONDING_OPTS="miimon=100 mode=1"`}},
			Pos:        Pos{Line: 5},
		}},
		Syslog:         &Syslog{Name: "loghost[,loghost2]", Type: "syslogd|rsyslogd|syslog-ng", Filter: "kern,daemon.info"},
		SCSI:           &SCSI{Failover: "driver|mapper|devicemapper|rdac|gnbd", Driver: "qla2xxx"},
		ChrootEnv:      &ChrootEnv{Mountpoint: "/var/comoonics/chroot", FSType: "tmpfs|ext3", Device: "none|/dev/sda2", ChrootDir: "/var/comoonics/chroot", MountOpts: "defaults"},
		Filesystems:    []Filesystem{{Source: "/cluster/cdsl/%(param0)s/var", Dest: "/var", FSType: "bind|rbind|…", MountOpts: "…", MountWait: "1", MountTimes: "1", Pos: Pos{Line: 14}}},
		FenceAckServer: &FenceAckServer{Port: "…", User: "root", Passwd: "…", SSL: &SSL{}},
		Hostname:       "…",
		Pos:            Pos{Line: 1},
	}
	if diff := cmp.Diff(want, n, cmp.Transformer("line", func(p Pos) int { return p.Line })); diff != "" {
		t.Errorf("seed node (-want +got):\n%s", diff)
	}
	if !c.HasSecrets() {
		t.Error("the fenceackserver passwd is not reported as a secret")
	}
}

func TestReadLarge(t *testing.T) {
	c := mustLoad(t, "large.conf")
	if c.Name != "sharedroot" || c.ConfigVersion != "42" || c.Type != "gfs" || c.Format != FormatClusterConf {
		t.Errorf("cluster header = %q %q %q %q", c.Name, c.ConfigVersion, c.Type, c.Format)
	}
	if got := c.NodeIDs(); !cmp.Equal(got, []int{1, 2, 3}) {
		t.Errorf("NodeIDs = %v", got)
	}
	if len(c.Extra) != 2 || c.Extra[0].Name != "cman" || c.Extra[0].Children[0].Name != "multicast" {
		t.Errorf("extra elements = %+v", c.Extra)
	}
	if len(c.RMExtra) != 2 || c.RMExtra[1].Name != "service" || len(c.RMAttrs) != 1 {
		t.Errorf("rm = %+v %+v", c.RMAttrs, c.RMExtra)
	}
	if len(c.FailoverDomains) != 3 || len(c.FailoverDomains[0].Nodes) != 3 {
		t.Errorf("failover domains = %+v", c.FailoverDomains)
	}
	n1, _ := c.NodeByName("node1")
	if len(n1.Fence) != 2 || n1.Fence[1].Devices[0].Attrs[0] != (Attr{Name: "nodename", Value: "node1"}) {
		t.Errorf("fence = %+v", n1.Fence)
	}
	if n1.NICs[1].Pos.Line != 17 {
		t.Errorf("eth0 line = %d, want 17", n1.NICs[1].Pos.Line)
	}
	secrets := c.Secrets()
	var where []string
	for _, s := range secrets {
		where = append(where, s.Where)
	}
	want := []string{`fence device "ipmi-node1" passwd`, `node "node1" fenceackserver passwd`}
	if !cmp.Equal(where, want) {
		t.Errorf("secrets = %q, want %q (passwd_script is a path, not a secret)", where, want)
	}
}

// Unknown attributes in com_info are read past with a warning naming file and
// line, as the originals read past them.
func TestReadClusterConfWarnsUnknownAttributes(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"typo in com_info", "<cluster><clusternodes>\n<clusternode name=\"a\" nodeid=\"1\"><com_info>\n<rootvolume name=\"/dev/x\" fstyp=\"gfs2\"/></com_info></clusternode></clusternodes></cluster>",
			`c.conf:3: unknown attribute "fstyp" on <rootvolume> is ignored; known attributes: fstype, mountopts, name`},
		{"bad property attr", "<cluster><clusternodes><clusternode name=\"a\"><com_info><eth name=\"e\"><properties>\n<property name=\"X\" val=\"1\"/></properties></eth></com_info></clusternode></clusternodes></cluster>",
			`c.conf:2: unknown attribute "val" on <property> is ignored`},
		{"attribute of another tool", "<cluster><clusternodes><clusternode name=\"a\" nodeid=\"1\"><com_info>\n\n<syslog name=\"loghost\" port=\"514\"/></com_info></clusternode></clusternodes></cluster>",
			`c.conf:3: unknown attribute "port" on <syslog> is ignored`},
		{"misspelt hostname", "<cluster><clusternodes><clusternode name=\"a\" nodeid=\"1\"><com_info>\n<hostnmae name=\"a\"/></com_info></clusternode></clusternodes></cluster>",
			`c.conf:2: unknown element <hostnmae> in <com_info> is ignored (did you mean <hostname>?)`},
		{"misspelt syslog", "<cluster><clusternodes><clusternode name=\"a\" nodeid=\"1\"><com_info>\n\n\n<syslgo name=\"loghost\"/></com_info></clusternode></clusternodes></cluster>",
			`c.conf:4: unknown element <syslgo> in <com_info> is ignored (did you mean <syslog>?)`},
		{"element of another tool", "<cluster><clusternodes><clusternode name=\"a\" nodeid=\"1\"><com_info>\n<monitoring url=\"x\"/></com_info></clusternode></clusternodes></cluster>",
			`c.conf:2: unknown element <monitoring> in <com_info> is ignored; known elements: chrootenv, eth,`},
		{"child of a leaf", "<cluster><clusternodes><clusternode name=\"a\" nodeid=\"1\"><com_info><rootvolume name=\"x\">\n<fstype>gfs2</fstype></rootvolume></com_info></clusternode></clusternodes></cluster>",
			`c.conf:2: element <fstype> inside <rootvolume> is ignored`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ReadClusterConf("c.conf", []byte(tt.doc))
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			ws := c.Warnings()
			if len(ws) != 1 || !strings.Contains(ws[0].Error(), tt.want) {
				t.Fatalf("warnings %v, want one containing %q", ws, tt.want)
			}
		})
	}
}

func TestReadClusterConfErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not xml", "<cluster", "c.conf: XML syntax error on line 1"},
		{"empty", "", "c.conf: no XML element found"},
		{"wrong root", "<config/>", "c.conf:1: the root element is <config>, want <cluster>"},
		{"bad nodeid", "<cluster>\n<clusternodes>\n<clusternode name=\"a\" nodeid=\"x\"/></clusternodes></cluster>", `c.conf:3: node "a": nodeid "x" is not a positive number`},
		{"two rootvolumes", "<cluster><clusternodes><clusternode name=\"a\" nodeid=\"1\"><com_info>\n<rootvolume name=\"x\"/>\n<rootvolume name=\"y\"/></com_info></clusternode></clusternodes></cluster>",
			`c.conf:3: node "a" has a second <rootvolume>`},
		{"stray in clusternodes", "<cluster><clusternodes>\n<node/></clusternodes></cluster>", "c.conf:2: unexpected <node> in <clusternodes>"},
		{"encoding", `<?xml version="1.0" encoding="EBCDIC"?><cluster/>`, `unsupported XML encoding "EBCDIC"`},
		{"filesystem outside filesystems", "<cluster><clusternodes><clusternode name=\"a\" nodeid=\"1\"><com_info>\n<filesystem dest=\"/var\"/></com_info></clusternode></clusternodes></cluster>",
			`c.conf:2: <filesystem> directly in <com_info> does nothing: it belongs inside <com_info><filesystems>`},
		{"ssl outside fenceackserver", "<cluster><clusternodes><clusternode name=\"a\" nodeid=\"1\"><com_info>\n\n<ssl certfile=\"x\"/></com_info></clusternode></clusternodes></cluster>",
			`c.conf:3: <ssl> directly in <com_info> does nothing`},
		{"eth outside com_info", "<cluster><clusternodes><clusternode name=\"a\" nodeid=\"1\">\n<eth name=\"eth0\"/></clusternode></clusternodes></cluster>",
			`c.conf:2: <eth> directly in <clusternode> does nothing: it belongs inside <com_info>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadClusterConf("c.conf", []byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReadLatin1(t *testing.T) {
	doc := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><cluster name=\"c\"><clusternodes><clusternode name=\"a\"><com_info><rootvolume name=\"/dev/m\xfcnchen\"/></com_info></clusternode></clusternodes></cluster>")
	c, err := ReadClusterConf("l.conf", doc)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Nodes[0].RootVolume.Name; got != "/dev/münchen" {
		t.Errorf("root volume = %q", got)
	}
}

func TestPropertyValueAttribute(t *testing.T) {
	doc := `<cluster><clusternodes><clusternode name="a" nodeid="1"><com_info><eth name="eth1" ip="dhcp">
	<properties><property name="MASTER" value="yes"/><property name="DELAY"> 0 </property></properties></eth></com_info></clusternode></clusternodes></cluster>`
	c, err := ReadClusterConf("p.conf", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Nodes[0].NICs[0].Properties
	want := []Property{{Name: "MASTER", Value: "yes", ValueAttr: true}, {Name: "DELAY", Value: "0"}}
	if !cmp.Equal(got, want) {
		t.Errorf("properties = %+v, want %+v", got, want)
	}
}

func TestLoadDetectsFormat(t *testing.T) {
	dir := t.TempDir()
	xmlPath := filepath.Join(dir, "cluster.conf")
	hclPath := filepath.Join(dir, "cluster.hcl")
	os.WriteFile(xmlPath, []byte("\xef\xbb\xbf\n  <cluster name=\"x\"/>"), 0o644)
	os.WriteFile(hclPath, []byte("# comment\ncluster \"x\" {}\n"), 0o644)
	for path, want := range map[string]Format{xmlPath: FormatClusterConf, hclPath: FormatHCL} {
		c, err := Load(path)
		if err != nil {
			t.Fatalf("Load(%s): %v", path, err)
		}
		if c.Format != want || c.Name != "x" || c.Pos.File != path {
			t.Errorf("Load(%s) = format %q name %q file %q", path, c.Format, c.Name, c.Pos.File)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil || !os.IsNotExist(errorsUnwrapAll(err)) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
}

func errorsUnwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
