// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/internal/goldenfile"
)

func loadCluster(t *testing.T, text string) *cluster.Cluster {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cluster.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := cluster.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func clusterConf(extra string, nodes int) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<cluster name=\"osrc\" config_version=\"1\">\n" + extra)
	b.WriteString(" <fencedevices><fencedevice name=\"admin\" agent=\"fence_manual\"/></fencedevices>\n <clusternodes>\n")
	for id := 1; id <= nodes; id++ {
		b.WriteString("  <clusternode name=\"node" + string(rune('0'+id)) + "\" nodeid=\"" + string(rune('0'+id)) + "\" votes=\"1\">\n")
		b.WriteString("   <fence><method name=\"1\"><device name=\"admin\"/></method></fence>\n")
		b.WriteString("   <com_info><rootvolume name=\"/dev/vda\" fstype=\"gfs2\"/>")
		b.WriteString("<eth name=\"eth0\" mac=\"52:54:00:00:01:0" + string(rune('0'+id)) + "\" ip=\"10.0.0." + string(rune('0'+id)) + "\" mask=\"255.255.255.0\"/></com_info>\n  </clusternode>\n")
	}
	b.WriteString(" </clusternodes>\n</cluster>\n")
	return b.String()
}

func writeKey(t *testing.T, size int, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "authkey")
	if err := os.WriteFile(p, make([]byte, size), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// golden compares got with testdata/name; go test -update rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func TestFiles(t *testing.T) {
	c := loadCluster(t, clusterConf("", 2))
	key := writeKey(t, 256, 0o600)
	files, err := Files(c, Settings{AuthKey: key, TokenMS: 5000})
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	golden(t, "two-node.corosync.conf", byPath[CorosyncConfPath].Data)
	golden(t, "two-node.dlm.conf", byPath[DLMConfPath].Data)
	if k := byPath[AuthKeyPath]; k.Source != key || !k.Secret || k.Mode != 0o600 {
		t.Errorf("authkey entry = %+v; want a secret copy of %s", k, key)
	}
	for _, d := range []string{"/proc", "/sys", "/dev", "/var/lib/corosync", PIDDir} {
		if !byPath[d].Dir {
			t.Errorf("no directory %s in the chroot", d)
		}
	}
	three := loadCluster(t, clusterConf("", 3))
	conf, err := CorosyncConf(three, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), "expected_votes: 3") || strings.Contains(string(conf), "two_node") || !strings.Contains(string(conf), "token: 3000") {
		t.Errorf("three-node corosync.conf:\n%s", conf)
	}
}

func TestFilesErrors(t *testing.T) {
	two := clusterConf("", 2)
	tests := []struct {
		name    string
		conf    string
		key     func(t *testing.T) string
		wantErr string
	}{
		{"missing authkey", two, func(t *testing.T) string { return filepath.Join(t.TempDir(), "authkey") }, "create it once with corosync-keygen"},
		{"authkey too short", two, func(t *testing.T) string { return writeKey(t, 16, 0o600) }, "has 16 bytes; corosync takes 128 to 512"},
		{"authkey readable by others", two, func(t *testing.T) string { return writeKey(t, 256, 0o644) }, "chmod 600"},
		{"two nodes without two_node", clusterConf(" <cman two_node=\"0\" expected_votes=\"2\"/>\n", 2), func(t *testing.T) string { return writeKey(t, 256, 0o600) },
			`cluster.conf:3: <cman two_node="0"> in a two-node cluster`},
		{"bad token", clusterConf(" <totem token=\"fast\"/>\n", 2), func(t *testing.T) string { return writeKey(t, 256, 0o600) },
			`cluster.conf:3: <totem token="fast">`},
		{"a fence key missing on the build host", strings.ReplaceAll(two, `<fencedevice name="admin" agent="fence_manual"/>`,
			`<fencedevice name="admin" agent="fence_osr_ssh" ipaddr="10.0.0.9" login="fence" identity_file="/nonexistent/fence_id" known_hosts="/nonexistent/known_hosts" command="off {node}"/>`),
			func(t *testing.T) string { return writeKey(t, 256, 0o600) }, "file /nonexistent/fence_id for the cluster stack's chroot (a fence device reads it"},
		{"a node without fencing", strings.Replace(two, `<fence><method name="1"><device name="admin"/></method></fence>`, "", 1), func(t *testing.T) string { return writeKey(t, 256, 0o600) },
			`node "node1" has no fence method`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Files(loadCluster(t, tt.conf), Settings{AuthKey: tt.key(t)})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Files() error = %v; want %q", err, tt.wantErr)
			}
		})
	}
}

func TestDescribeMembers(t *testing.T) {
	c := loadCluster(t, clusterConf("", 2))
	s := &Stack{Cluster: c}
	waiting, err := os.ReadFile("testdata/quorumtool-s-waitforall.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := s.describeMembers(ParseQuorum(string(waiting)), nil)
	want := "members node1 (node id 1); missing node2 (node id 2); 1 of 2 expected votes (wait_for_all: the first start of a two-node cluster waits for both nodes)"
	if got != want {
		t.Errorf("describeMembers = %q; want %q", got, want)
	}
}
