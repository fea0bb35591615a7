// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/test/e2e/fencehost"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// fencePort is where the fence host listens on the lab's bridge.
const fencePort = 2222

// dlmCluster is a GFS2 lock_dlm root for two nodes on a private network: the
// populated image, the nodes' network, the fence host that kills a node's qemu
// when the survivor's fence agent asks, and the initrd built for them.
type dlmCluster struct {
	img    string
	lab    *netlab.Lab
	fence  *fencehost.Server
	nodes  []osrlab.Node
	initrd string
}

// newDLMCluster makes a lock_dlm GFS2 image (table osrc:root, two journals)
// holding the shared root with the cluster init, populated with lock_nolock by the
// lab's initrd, a network lab with a tap per node, a fence host on its bridge, a
// fresh corosync authkey, and the initrd for the nodes: fenced by the fence host,
// corosync's token 5 s (two TCG guests on a busy host miss 3 s tokens).
func newDLMCluster(t testing.TB, k *osrlab.Kit) *dlmCluster {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c := &dlmCluster{}
	tree := sharedRoot(t, k, 2)
	if err := tree.UseClusterInit(); err != nil {
		t.Fatal(err)
	}
	c.img = filepath.Join(dir, "root.gfs2")
	if err := sharedroot.MakeGFS2(ctx, c.img, 256, sharedroot.GFS2Options{LockProto: "lock_dlm", Table: "osrc:root", Journals: 2}); err != nil {
		t.Fatal(err)
	}
	populate(t, k, "gfs2", tree, c.img, "osr.flags=rw,lockproto=lock_nolock")
	lab, err := netlab.New(ctx, netlab.Options{Taps: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	c.lab = lab
	host := lab.Addr.Addr().String()
	fh, err := fencehost.StartInNetns(lab.NS, fmt.Sprintf("%s:%d", host, fencePort))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := fh.Close(); err != nil {
			t.Error(err)
		}
	})
	c.fence = fh
	idFile, knownHosts, err := fh.WriteClientFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 2; id++ {
		c.nodes = append(c.nodes, osrlab.Node{ID: id, MAC: qemu.NodeMAC(id), IP: lab.NodeAddr(id).Addr().String(), Mask: "255.255.255.0", RootFS: "gfs2", Root: "/dev/vda"})
	}
	conf := filepath.Join(dir, "cluster.conf")
	if err := osrlab.WriteFencedClusterConf(conf, "osrc", c.nodes, osrlab.SSHFence{Host: host, Port: fencePort}); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 256)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "authkey")
	if err := os.WriteFile(keyPath, key, 0o600); err != nil {
		t.Fatal(err)
	}
	osrHCL := fmt.Sprintf(`cluster_stack {
  authkey = %q
  token   = 5000
  files = {
    %q = %q
    %q = %q
  }
}
`, keyPath, osrlab.FenceIdentityFile, idFile, osrlab.FenceKnownHosts, knownHosts)
	c.initrd = build(t, k, "gfs2", conf, osrHCL)
	return c
}

// machine is node id of the cluster.
// Its console shows the kernel's informational messages (KERN_INFO: DLM and
// GFS2 recovery).
func (c *dlmCluster) machine(t testing.TB, k *osrlab.Kit, name string, id int, params ...string) qemu.Machine {
	m := machine(t, k, name, c.initrd, append([]string{"loglevel=7"}, params...)...)
	m.NetNS = c.lab.NS
	m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(id), Tap: c.lab.Tap(id)}}
	m.Disks = []qemu.Disk{{Path: c.img, Mode: qemu.Shared}}
	return m
}

// start boots node id and registers its qemu with the fence host.
func (c *dlmCluster) start(t testing.TB, ctx context.Context, m qemu.Machine, id int) *qemu.Instance {
	t.Helper()
	in, err := qemu.Start(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Kill()
		in.Wait()
	})
	if err := c.fence.Register(osrlab.NodeName(id), in.PID()); err != nil {
		t.Fatal(err)
	}
	return in
}

// Two nodes start corosync and dlm_controld from osr's initrd, wait for quorum
// and mount one GFS2 lock_dlm disk at once; each writes to the shared root and
// sees the other's file. The daemons outlive switch_root (osr cluster status on
// the running node). Then both shut down cleanly, one after the other: the peer
// sees a leave, and nobody is fenced.
func TestGFS2LockDLMTwoNodes(t *testing.T) {
	k := getKit(t)
	c := newDLMCluster(t, k)
	ctx := context.Background()
	run := fmt.Sprint(time.Now().UnixNano())
	var ins []*qemu.Instance
	for id := 1; id <= 2; id++ {
		ins = append(ins, c.start(t, ctx, c.machine(t, k, fmt.Sprintf("dlm-node%d", id), id, sharedroot.PeersParams(2, run)...), id))
	}
	for id, in := range ins {
		waitAll(t, ctx, in, append(osrlab.Identity(id+1),
			sharedroot.MarkerRoot+"/dev/vda / gfs2 rw", "lockproto=lock_dlm",
			sharedroot.MarkerStatus+"corosync:     running", sharedroot.MarkerStatus+"dlm_controld: running",
			sharedroot.MarkerStatus+"quorate:      yes", "OSR-PEERS: node1 node2")...)
		logClusterTimes(t, in)
	}
	// Node 2 shuts down cleanly; node 1 sees it leave, then shuts down too.
	leave(t, ctx, ins[1])
	status := command(t, ctx, ins[0], "status")
	if !strings.Contains(status, "lockspace root: members 1 (last change: member 1 joined 0 remove 1 failed 0") {
		t.Errorf("node 1 did not see node 2 leave cleanly:\n%s", status)
	}
	leave(t, ctx, ins[0])
	if ev := c.fence.Fenced(); len(ev) > 0 {
		t.Errorf("a node was fenced in a clean run: %+v", ev)
	}
}

// leave has the node shut down the way systemd-shutdown ends: back into the
// cluster stack's chroot, /shutdown unmounts the root and leaves the cluster.
// The node powers off.
func leave(t testing.TB, ctx context.Context, in *qemu.Instance) {
	t.Helper()
	if err := in.Send("leave\n"); err != nil {
		t.Fatal(err)
	}
	waitAll(t, ctx, in, sharedroot.MarkerLeaving, "osr shutdown: cluster: dlm_controld (pid", "the node left the cluster")
	select {
	case <-in.Done():
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not power off after leaving the cluster", in.Machine.Name)
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
}

// Two nodes write to one GFS2 lock_dlm disk; the host kills node 2's qemu. The
// survivor's dlm_controld runs osr's fence agent, which has the fence host make
// sure node 2 is dead; the survivor replays node 2's journal and writes into the
// file whose lock node 2 held. Node 2 reboots and rejoins while node 1 runs on,
// and finally leaves cleanly.
func TestGFS2LockDLMKillAndRecover(t *testing.T) {
	k := getKit(t)
	c := newDLMCluster(t, k)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	run := fmt.Sprint(time.Now().UnixNano())
	params := sharedroot.PeersParams(2, run)
	var ins []*qemu.Instance
	for id := 1; id <= 2; id++ {
		m := c.machine(t, k, fmt.Sprintf("kill-node%d", id), id, params...)
		m.Timeout = 20 * time.Minute
		ins = append(ins, c.start(t, ctx, m, id))
	}
	survivor, victim := ins[0], ins[1]
	for _, in := range ins {
		waitAll(t, ctx, in, sharedroot.MarkerDone)
		logClusterTimes(t, in)
	}

	killAndRecover(t, ctx, c, survivor, victim)

	m := c.machine(t, k, "kill-node2-rejoin", 2, params...)
	rejoin := c.start(t, ctx, m, 2)
	waitAll(t, ctx, rejoin, append(osrlab.Identity(2), sharedroot.MarkerStatus+"quorate:      yes")...)
	logClusterTimes(t, rejoin)
	select {
	case <-survivor.Done():
		t.Fatalf("the survivor stopped while node 2 rejoined")
	default:
	}
	status := command(t, ctx, survivor, "status")
	if !strings.Contains(status, "lockspace root: members 1 2") {
		t.Errorf("after the rejoin the survivor's lockspace is not back to two members:\n%s", status)
	}
	// The rejoined node 2 leaves cleanly: no fencing, the survivor sees a leave.
	leave(t, ctx, rejoin)
	status = command(t, ctx, survivor, "status")
	if !strings.Contains(status, "lockspace root: members 1 (last change: member 1 joined 0 remove 1 failed 0") {
		t.Errorf("the survivor did not see node 2 leave cleanly:\n%s", status)
	}
	if n := len(c.fence.Fenced()); n != 1 {
		t.Errorf("%d fencings; want exactly one (node 2, once): %+v", n, c.fence.Fenced())
	}
}

// killAndRecover kills node 2 (victim), has node 1 (survivor) write into node
// 2's file, and checks that node 2 was fenced and its journal replayed. It
// returns the time from the kill to the end of that write.
func killAndRecover(t testing.TB, ctx context.Context, c *dlmCluster, survivor, victim *qemu.Instance) time.Duration {
	t.Helper()
	before := len(survivor.Console.Lines())
	victim.Kill()
	killed := time.Now()
	if err := survivor.Send("write node2\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := survivor.Console.WaitFor(ctx, sharedroot.MarkerWrote+"node2"); err != nil {
		t.Fatalf("the survivor did not write after node 2 died: %v", err)
	}
	recovery := time.Since(killed)
	line := wholeLine(ctx, survivor, sharedroot.MarkerWrote+"node2", "s)")
	ev, err := c.fence.WaitFenced(ctx, "node2")
	if err != nil {
		t.Fatalf("node 2 was not fenced: %v", err)
	}
	t.Logf("recovery: node 2 killed, fenced by the survivor's agent (%q, pid %d), the survivor's write done %.1fs after the kill (%s)",
		ev.Command, ev.PID, recovery.Seconds(), line.Text)
	lines := survivor.Console.Lines()
	for _, want := range []string{"result success", "dlm_recover"} {
		found := false
		for _, l := range lines[min(before, len(lines)):] {
			found = found || strings.Contains(l.Text, want)
		}
		if !found {
			t.Errorf("the survivor's console shows no %q after the kill", want)
		}
	}
	return recovery
}

// wholeLine returns the first console line with text once it ends in end (the
// console's last line may still be arriving).
func wholeLine(ctx context.Context, in *qemu.Instance, text, end string) qemu.Line {
	for {
		l, ok := in.Console.Find(text)
		if ok && strings.HasSuffix(l.Text, end) || ctx.Err() != nil {
			return l
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// uptime is the "(uptime N s)" of the first console line with text, in seconds.
func uptime(in *qemu.Instance, text string) (float64, bool) {
	l, ok := in.Console.Find(text)
	if !ok {
		return 0, false
	}
	i := strings.Index(l.Text, "(uptime ")
	if i < 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(l.Text[i+len("(uptime "):], ")"), "s"), 64)
	return v, err == nil
}

// waitAll waits until the console shows every text.
func waitAll(t testing.TB, ctx context.Context, in *qemu.Instance, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if _, err := in.WaitFor(ctx, text); err != nil {
			t.Fatal(err)
		}
	}
}

// command sends a command to the cluster init and returns what it printed up to
// the end of its status output.
func command(t testing.TB, ctx context.Context, in *qemu.Instance, cmd string) string {
	t.Helper()
	before := len(in.Console.Lines())
	if err := in.Send(cmd + "\n"); err != nil {
		t.Fatal(err)
	}
	for {
		lines := in.Console.Lines()
		var b strings.Builder
		for _, l := range lines[min(before, len(lines)):] {
			b.WriteString(l.Text + "\n")
			if strings.Contains(l.Text, sharedroot.MarkerStatusEnd) {
				return b.String()
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: no answer to %q: %v", in.Machine.Name, cmd, ctx.Err())
		case <-in.Done():
			t.Fatalf("%s ended before answering %q", in.Machine.Name, cmd)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// logClusterTimes prints when a node became quorate and mounted its root
// (seconds since its kernel started).
func logClusterTimes(t testing.TB, in *qemu.Instance) {
	t.Helper()
	var parts []string
	for _, what := range []string{"cluster: quorate", "cluster: dlm_controld ready", "mount: root mounted"} {
		if line, ok := in.Console.Find(what); ok {
			if i := strings.Index(line.Text, "(uptime "); i >= 0 {
				parts = append(parts, what+" at "+strings.TrimSuffix(line.Text[i+len("(uptime "):], ")"))
			}
		}
	}
	t.Logf("%s: %s", in.Machine.Name, strings.Join(parts, ", "))
}
