// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoNodesFromCluster(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "cluster.conf")
	if err := os.WriteFile(conf, []byte(`<?xml version="1.0"?>
<cluster name="webfarm" config_version="3">
 <clusternodes>
  <clusternode name="web1" nodeid="3">
   <com_info><rootvolume name="/dev/vg/root" fstype="gfs2"/><eth name="eth0" mac="52:54:00:AA:00:03" ip="10.9.8.3" mask="255.255.255.0"/></com_info>
  </clusternode>
  <clusternode name="web2" nodeid="7">
   <com_info><rootvolume name="/dev/vg/root" fstype="gfs2"/><eth name="eth0" mac="52:54:00:AA:00:07" ip="10.9.8.254" mask="24"/></com_info>
  </clusternode>
 </clusternodes>
</cluster>
`), 0o644); err != nil {
		t.Fatal(err)
	}
	name, nodes, prefix, err := clusterDemo{clusterFile: conf}.demoNodes()
	if err != nil {
		t.Fatal(err)
	}
	if name != "webfarm" || len(nodes) != 2 || nodes[0].NodeName() != "web1" || nodes[0].ID != 3 || nodes[1].ID != 7 || nodes[1].MAC != "52:54:00:aa:00:07" {
		t.Errorf("demoNodes = %q %+v", name, nodes)
	}
	if want := netip.MustParsePrefix("10.9.8.253/24"); prefix != want {
		t.Errorf("host address %s; want %s (the highest one no node uses)", prefix, want)
	}
}

func TestDemoFromEnv(t *testing.T) {
	for _, tt := range []struct {
		fs, cluster, kill string
		custom            bool
		err               string
	}{
		{"", "", "", false, ""},
		{"nfs", "", "", false, ""},
		{"gfs2", "", "", true, ""},
		{"", "", "node2", true, ""},
		{"zfs", "", "", false, "FS=zfs: want nfs, gfs2, ocfs2 or ext3"},
	} {
		t.Setenv("FS", tt.fs)
		t.Setenv("CLUSTER", tt.cluster)
		t.Setenv("KILL", tt.kill)
		_, custom, err := demoFromEnv(false)
		if custom != tt.custom || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("FS=%q KILL=%q: custom %v, err %v", tt.fs, tt.kill, custom, err)
		}
	}
}

func TestMaskBits(t *testing.T) {
	for mask, want := range map[string]int{"255.255.255.0": 24, "255.255.0.0": 16, "22": 22, "": 24} {
		if got, err := maskBits(mask); err != nil || got != want {
			t.Errorf("maskBits(%q) = %d, %v; want %d", mask, got, err, want)
		}
	}
	if _, err := maskBits("none"); err == nil {
		t.Errorf("maskBits(none) accepted")
	}
}
