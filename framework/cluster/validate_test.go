// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"errors"
	"strings"
	"testing"
)

// nodeXML builds a com_info node for the validation table.
func nodeXML(attrs, body string) string {
	return "<clusternode " + attrs + "><com_info>\n" + body + "</com_info></clusternode>\n"
}

const goodRoot = `<rootvolume name="/dev/vg/root" fstype="gfs2"/>` + "\n"

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		nodes string
		want  []string // one substring per expected problem, in order
	}{
		{"valid", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" mac="00:0c:29:00:00:01" ip="10.0.0.1" mask="255.255.255.0" gateway="10.0.0.254"/>`) +
			nodeXML(`name="b" nodeid="2" votes="2"`, goodRoot+`<eth name="bond0" ip="dhcp"/><eth name="eth0" mac="00-0C-29-00-00-02" master="bond0" slave="yes"/><eth name="eth0.5" mac="00:0C:29:00:00:02" ip="fd00::2" mask="64"/>`), nil},
		{"no nodes", "", []string{"v.conf:1: the cluster has no nodes"}},
		{"duplicate id", nodeXML(`name="a" nodeid="1"`, goodRoot) + nodeXML(`name="b" nodeid="1"`, goodRoot),
			[]string{`v.conf:5: node "b": node id 1 is already used by node "a" (line 2)`}},
		{"missing id", nodeXML(`name="a"`, goodRoot), []string{`v.conf:2: node "a": no node id`}},
		{"duplicate name", nodeXML(`name="a" nodeid="1"`, goodRoot) + nodeXML(`name="a" nodeid="2"`, goodRoot),
			[]string{`v.conf:5: node "a": the name is already used by the node at line 2`}},
		{"missing name", nodeXML(`nodeid="7"`, goodRoot), []string{`v.conf:2: node #7: no name`}},
		{"duplicate mac across nodes", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" mac="00:0C:29:00:00:01"/>`) + nodeXML(`name="b" nodeid="2"`, goodRoot+`<eth name="eth0" mac="00-0c-29-00-00-01"/>`),
			[]string{`v.conf:7: node "b": interface eth0: MAC 00-0c-29-00-00-01 is also on node "a" interface eth0`}},
		{"malformed mac", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" mac="00:0C:29:XX:00:01"/>`),
			[]string{`v.conf:4: node "a": interface eth0: malformed MAC address "00:0C:29:XX:00:01"`}},
		{"malformed ip", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" ip="10.0.0.300"/>`),
			[]string{`v.conf:4: node "a": interface eth0: malformed IP address "10.0.0.300"`}},
		{"malformed mask", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" ip="10.0.0.1" mask="255.0.255.0"/>`),
			[]string{`interface eth0: netmask "255.0.255.0" has holes`}},
		{"mask too long", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" ip="10.0.0.1" mask="33"/>`),
			[]string{`interface eth0: netmask /33 is out of range for 10.0.0.1`}},
		{"dotted mask on IPv6", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" ip="fd00::1" mask="255.255.255.0"/>`),
			[]string{`netmask "255.255.255.0" is dotted, but fd00::1 is an IPv6 address`}},
		{"gateway of the other IP version", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" ip="fd00::1" mask="64" gateway="10.0.0.1"/>`),
			[]string{`gateway 10.0.0.1 and address fd00::1 are of different IP versions`}},
		{"zero MAC", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" mac="00:00:00:00:00:00"/>`), []string{`MAC address "00:00:00:00:00:00" is all zeros`}},
		{"broadcast MAC", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" mac="FF:FF:FF:FF:FF:FF"/>`), []string{`is the broadcast address`}},
		{"multicast MAC", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" mac="01:00:5E:00:00:01"/>`), []string{`is a multicast address`}},
		{"DHCPv6", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" ip="dhcp6"/>`), []string{`DHCPv6 is not supported; use auto6`}},
		{"SLAAC and an IPv6 address with its prefix", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" ip="auto6"/><eth name="eth1" ip="2001:db8::5/48" gateway="fe80::1"/>`), nil},
		{"malformed gateway", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" ip="10.0.0.1" gateway="router"/>`),
			[]string{`interface eth0: malformed gateway "router"`}},
		{"no rootvolume", nodeXML(`name="a" nodeid="1"`, ``), []string{`v.conf:2: node "a": no root volume`}},
		{"rootvolume without name", nodeXML(`name="a" nodeid="1"`, `<rootvolume fstype="gfs2"/>`), []string{`node "a": no root volume`}},
		{"bad filesystem", nodeXML(`name="a" nodeid="1"`, goodRoot+`<filesystems><filesystem source="none" dest="scratch" mounttimes="x"/></filesystems>`),
			[]string{`filesystem none: dest "scratch" must be an absolute path`, `filesystem none: no fstype`, `filesystem none: mounttimes "x" is not a number`}},
		{"different root devices are valid", nodeXML(`name="a" nodeid="1"`, goodRoot) + nodeXML(`name="b" nodeid="2"`, `<rootvolume name="/dev/sdb" fstype="gfs2"/>`),
			nil},
		{"disagreeing fstype", nodeXML(`name="a" nodeid="1"`, goodRoot) + nodeXML(`name="b" nodeid="2"`, `<rootvolume name="/dev/vg/root"/>`),
			[]string{`v.conf:6: node "b": root filesystem type gfs differs from node "a"'s gfs2 at line 3`}},
		{"unknown fstype", nodeXML(`name="a" nodeid="1"`, `<rootvolume name="/dev/x" fstype="zfs"/>`),
			[]string{`v.conf:3: node "a": unknown root filesystem type "zfs"; use one of ext3, ext4, gfs, gfs2, glusterfs, nfs, nfs4, ocfs2`}},
		{"bad votes", nodeXML(`name="a" nodeid="1" votes="many"`, goodRoot), []string{`node "a": votes "many" is not a number`}},
		{"duplicate nic", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0"/><eth name="eth0"/>`), []string{`interface eth0 is described twice`}},
		{"unnamed nic", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth ip="10.0.0.1"/>`), []string{`an eth without a name`}},
		{"missing master", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" master="bond0" slave="yes"/>`),
			[]string{`interface eth0 is a slave of bond0, which the node does not describe`}},
		{"slave without master", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" slave="yes"/>`), []string{`interface eth0 is a slave but names no master`}},
		{"bad slave and onboot", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" slave="maybe" onboot="sometimes"/>`),
			[]string{`slave "maybe" must be yes or no`, `onboot "sometimes" must be yes or no`}},
		{"VLAN, bridge and ports are valid", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" mac="00:0c:29:00:00:01"/><eth name="eth0.100" bridge="br0"/><eth name="vl7" type="vlan"><properties><property name="PHYSDEV">eth0</property><property name="VLAN_ID">7</property></properties></eth><eth name="br0" type="Bridge" ip="10.0.0.1" mask="24"/>`), nil},
		{"VLAN id out of range", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0.4095"/>`), []string{`interface eth0.4095: VLAN id 4095 is out of range (1-4094)`}},
		{"VLAN without parent", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="vl7" type="vlan"/>`), []string{`interface vl7 is a VLAN without a link to run on`}},
		{"an undescribed bridge takes its port's address", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" ip="10.0.0.1" bridge="br9"/>`), nil},
		{"two ports give an undescribed bridge addresses", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="eth0" ip="10.0.0.1" bridge="br9"/><eth name="eth1" ip="10.0.0.2" bridge="br9"/>`), []string{`interfaces eth0 and eth1 both give an address to bridge br9`}},
		{"a port with an address of a described bridge", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="br0" type="bridge" ip="10.0.0.2"/><eth name="eth0" ip="10.0.0.1" bridge="br0"/>`), []string{`interface eth0 is a port of bridge br0 and has an address`}},
		{"bond slave as bridge port", nodeXML(`name="a" nodeid="1"`, goodRoot+`<eth name="bond0"/><eth name="br0" type="bridge"/><eth name="eth0" master="bond0" bridge="br0"/>`), []string{`interface eth0 is a bond slave and a bridge port`}},
		{"several problems at once", nodeXML(`name="a"`, `<eth name="eth0" mac="zz"/>`),
			[]string{`no node id`, `no root volume`, `malformed MAC address "zz"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "<cluster name=\"v\">\n<clusternodes>" + tt.nodes + "</clusternodes></cluster>"
			if tt.nodes == "" {
				doc = `<cluster name="v"><clusternodes/></cluster>`
			}
			c, err := ReadClusterConf("v.conf", []byte(doc))
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			err = c.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var probs Problems
			if !errors.As(err, &probs) {
				t.Fatalf("Validate = %v, want Problems", err)
			}
			if len(probs) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(probs), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(probs[i].Error(), w) {
					t.Errorf("problem %d = %q\nwant it to contain %q", i, probs[i].Error(), w)
				}
			}
		})
	}
}

func TestWarningsDifferentRootDevices(t *testing.T) {
	doc := "<cluster name=\"v\">\n<clusternodes>" + nodeXML(`name="a" nodeid="1"`, goodRoot) +
		nodeXML(`name="b" nodeid="2"`, `<rootvolume name="/dev/sdb" fstype="gfs2"/>`) +
		nodeXML(`name="c" nodeid="3"`, goodRoot) + "</clusternodes></cluster>"
	c, err := ReadClusterConf("v.conf", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	ws := c.Warnings()
	want := `v.conf:6: node "b": root volume /dev/sdb differs from node "a"'s /dev/vg/root at line 3`
	if len(ws) != 1 || !strings.Contains(ws[0].Error(), want) {
		t.Fatalf("warnings %v, want one containing %q", ws, want)
	}
}

func TestValidateSeedAndLarge(t *testing.T) {
	if err := mustLoad(t, "large.conf").Validate(); err != nil {
		t.Errorf("large.conf: %v", err)
	}
	// The reference's example lists alternatives ("gfs|gfs2|…") where values belong.
	err := mustLoad(t, "seed-example.conf").Validate()
	var probs Problems
	if !errors.As(err, &probs) || len(probs) != 5 {
		t.Fatalf("seed example: %v", err)
	}
	for _, p := range probs {
		if p.Node != `"gfs-node1"` || !strings.HasPrefix(p.Error(), "testdata/seed-example.conf:") {
			t.Errorf("problem %q does not name the file, line and node", p.Error())
		}
	}
}
