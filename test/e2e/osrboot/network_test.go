// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
	"github.com/open-sharedroot/osr/test/e2e/vlanswitch"
)

// The VLAN of the network test and the addresses on it.
const (
	netVLAN   = 100
	netServer = "fd00:100::1"
	netNode   = "fd00:100::11"
)

// One boot builds every kind of network the configuration describes and
// mounts the root over IPv6 through all of them: two NICs in an
// active-backup bond, VLAN 100 on the bond, a bridge whose port is that
// VLAN, and on the bridge a static IPv6 address. The NICs are trunk ports
// of a userspace 802.1Q switch (vlanswitch), so the test needs no 8021q,
// bonding or bridge in the host's kernel; nfs-ganesha serves the root on
// the switch's access port of VLAN 100, a tap in the lab's namespace.
//
// The node shows its bond, VLAN, bridge, addresses, route and the network
// files the init handed over to the running system. Then the host pulls
// the cable of the bond's active NIC (qemu's set_link): the bond fails over
// to the other NIC and the root keeps working both ways.
func TestNetworkBondVLANBridgeIPv6Root(t *testing.T) {
	k := getKit(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tree := sharedRoot(t, k, 1)
	if err := tree.UseNetworkInit(); err != nil {
		t.Fatal(err)
	}
	lab, err := netlab.New(ctx, netlab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	sw, nics := netSwitch(t, ctx, lab)
	srv, err := ganesha.Start(ctx, ganesha.Config{NetNS: lab.NS, Addr: netip.MustParseAddr(netServer), Export: tree.Dir, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	root := "[" + netServer + "]:" + ganesha.DefaultPseudo
	conf := filepath.Join(t.TempDir(), "cluster.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`<?xml version="1.0"?>
<cluster name="osrnet" config_version="1">
 <clusternodes>
  <clusternode name="node1" nodeid="1" votes="1">
   <com_info>
    <rootvolume name="%s" fstype="nfs4"/>
    <eth name="eth0" mac="%s" master="bond0" slave="yes"/>
    <eth name="eth1" mac="%s" master="bond0" slave="yes"/>
    <eth name="bond0"><properties><property name="BONDING_OPTS">mode=active-backup miimon=100</property></properties></eth>
    <eth name="bond0.%d" bridge="br1"/>
    <eth name="br1" type="Bridge" ip="%s" mask="64"/>
   </com_info>
  </clusternode>
 </clusternodes>
</cluster>
`, root, qemu.NodeMAC(1), qemu.NodeMAC(2), netVLAN, netNode)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := k.OSR(ctx, "cluster", "validate", "--cluster", conf); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	initrd := build(t, k, "nfs", conf, "")
	m := machine(t, k, "net-node1", initrd, sharedroot.NetworkServerParam+netServer)
	sockDir := t.TempDir()
	for i := range nics {
		sock := filepath.Join(sockDir, nics[i].Name()+".sock")
		if err := nics[i].Listen(sock); err != nil {
			t.Fatal(err)
		}
		m.NICs = append(m.NICs, qemu.NIC{MAC: qemu.NodeMAC(i + 1), Stream: sock})
	}
	m.QMP = filepath.Join(sockDir, "qmp.sock")
	m.StopAfter = "this is a rescue shell" // a failed step: no need to wait for the timeout
	in, err := qemu.Start(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Kill)
	waitAll(t, ctx, in,
		"bond0: created bond (mode=active-backup miimon=100)",
		"enslaved to bond0",
		fmt.Sprintf("bond0.%d: created VLAN %d on bond0", netVLAN, netVLAN),
		"br1: created bridge",
		fmt.Sprintf("bond0.%d is a port of bridge br1", netVLAN),
		"br1: br1 has "+netNode+"/64",
		sharedroot.MarkerHostname+"node1",
		sharedroot.MarkerRoot+root+" / nfs4 rw",
		"br1 "+netNode+"/64;",
		sharedroot.MarkerBond+"mode active-backup 1 slaves eth0 eth1 active ",
		fmt.Sprintf("%sbond0.%d | %d | bond0;", sharedroot.MarkerVLAN, netVLAN, netVLAN),
		fmt.Sprintf("%sbr1 ports bond0.%d ", sharedroot.MarkerBridge, netVLAN),
		sharedroot.MarkerRoute+netServer+" from :: dev br1 ",
		sharedroot.MarkerNetFiles+fmt.Sprintf("networkd 00-osr-bond0.%d.network 00-osr-bond0.network 00-osr-br1.network 00-osr-eth0.network 00-osr-eth1.network "+
			"| NetworkManager osr-br1.nmconnection | ifupdown osr-br1 ", netVLAN),
		sharedroot.MarkerNetFile+"00-osr-br1.network: [Match] Name=br1 [Network] ",
		"KeepConfiguration=yes Address="+netNode+"/64 ",
		sharedroot.MarkerNetFile+"00-osr-eth1.network: [Match] Name=eth1 [Link] Unmanaged=yes ",
	)
	bootedAt, err := in.WaitFor(ctx, sharedroot.MarkerNetReady)
	if err != nil {
		t.Fatal(err)
	}
	// Which NIC is active: the bond line names it and its MAC.
	bond := consoleLine(t, in, sharedroot.MarkerBond)
	var mode, activeMAC string
	var modeNum int
	slaves := make([]string, 2)
	var activeName string
	if _, err := fmt.Sscanf(bond, sharedroot.MarkerBond+"mode %s %d slaves %s %s active %s %s", &mode, &modeNum, &slaves[0], &slaves[1], &activeName, &activeMAC); err != nil {
		t.Fatalf("bond line %q: %v", bond, err)
	}
	active := -1
	for i := range nics {
		if activeMAC == qemu.NodeMAC(i+1) {
			active = i
		}
	}
	if active < 0 {
		t.Fatalf("the bond's active NIC is none of the guest's: %q", bond)
	}
	standby := 1 - active
	standbyName := slaves[0]
	if standbyName == activeName {
		standbyName = slaves[1]
	}
	for _, p := range nics {
		t.Logf("switch port %s before the failover: %+v", p.Name(), p.Stats())
	}
	if st := nics[active].Stats(); st.In < 50 {
		t.Errorf("the active NIC %s carried only %d frames of VLAN %d while the root was mounted over it: %+v", nics[active].Name(), st.In, netVLAN, st)
	}

	// Pull the active NIC's cable; the host writes a file the node has never
	// looked up, so reading it must reach the server over the other NIC.
	pulled := time.Now()
	if err := in.SetLink(ctx, active, false); err != nil {
		t.Fatal(err)
	}
	token := randomToken(t)
	if err := tree.WriteFile(sharedroot.FailoverHostFile+token, []byte("written by the host after the pull "+token+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := in.Send("failover " + token + "\n"); err != nil {
		t.Fatal(err)
	}
	waitAll(t, ctx, in, fmt.Sprintf("%sactive %s %s, %s down", sharedroot.MarkerFailover, standbyName, qemu.NodeMAC(standby+1), activeName))
	activeInAfter := nics[active].Stats().In
	waitAll(t, ctx, in,
		sharedroot.MarkerFailoverRead+"written by the host after the pull "+token,
		sharedroot.MarkerFailoverWrote+token,
		sharedroot.MarkerDone)
	failover := time.Since(pulled)
	got, err := os.ReadFile(tree.Path(sharedroot.FailoverNodeFile + token))
	if err != nil {
		t.Fatalf("the node's write after the failover did not reach the server: %v", err)
	}
	if want := fmt.Sprintf(sharedroot.FailoverNodeContents, "node1"); string(got) != want {
		t.Errorf("the node wrote %q after the failover, want %q", got, want)
	}
	for _, p := range nics {
		t.Logf("switch port %s after the failover: %+v", p.Name(), p.Stats())
	}
	if st := nics[standby].Stats(); st.In < 5 {
		t.Errorf("the standby NIC %s carried only %d frames of VLAN %d after the failover: %+v", nics[standby].Name(), st.In, netVLAN, st)
	}
	if n := nics[active].Stats().In; n != activeInAfter {
		t.Errorf("the pulled NIC %s sent %d frames after the failover", nics[active].Name(), n-activeInAfter)
	}
	r, err := in.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: root over bond, VLAN and bridge after %.1fs; cable pulled, failover and the root's read and write in %.1fs; %.1fs wall, console log %s",
		r.Name, bootedAt.Seconds(), failover.Seconds(), r.Wall.Seconds(), r.LogPath)
	if err := sw.Close(); err != nil {
		t.Error(err)
	}
	for _, p := range nics {
		if err := p.Err(); err != nil {
			t.Errorf("switch port %s: %v", p.Name(), err)
		}
	}
}

// netSwitch starts the test's 802.1Q switch: an access port of VLAN 100
// on a tap in the lab's namespace carrying the server's address, and two
// trunk ports for the node's NICs (returned, without links yet).
func netSwitch(t *testing.T, ctx context.Context, lab *netlab.Lab) (*vlanswitch.Switch, []*vlanswitch.Port) {
	t.Helper()
	sw := vlanswitch.New()
	t.Cleanup(func() {
		if err := sw.Close(); err != nil {
			t.Error(err)
		}
	})
	tap, err := vlanswitch.OpenTap(filepath.Join("/run/netns", lab.NS), fmt.Sprintf("vlan%d", netVLAN))
	if err != nil {
		t.Fatal(err)
	}
	server, err := sw.AddPort(vlanswitch.PortConfig{Name: "server", Mode: vlanswitch.Access, VLANs: []uint16{netVLAN}})
	if err != nil {
		tap.Close()
		t.Fatal(err)
	}
	if err := server.Attach(tap); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"addr", "add", netServer + "/64", "dev", tap.Name, "nodad"},
		{"link", "set", tap.Name, "up"},
	} {
		if out, err := exec.CommandContext(ctx, "ip", append([]string{"-n", lab.NS}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	var nics []*vlanswitch.Port
	for i := range 2 {
		p, err := sw.AddPort(vlanswitch.PortConfig{Name: fmt.Sprintf("nic%d", i+1), Mode: vlanswitch.Trunk, VLANs: []uint16{netVLAN}})
		if err != nil {
			t.Fatal(err)
		}
		nics = append(nics, p)
	}
	return sw, nics
}

// consoleLine returns the whole console line that contains text.
func consoleLine(t *testing.T, in *qemu.Instance, text string) string {
	t.Helper()
	l, ok := in.Console.Find(text)
	if !ok {
		t.Fatalf("console lacks %q", text)
	}
	return strings.TrimSpace(l.Text)
}

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
