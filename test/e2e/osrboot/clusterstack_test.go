package osrboot

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// dlmCluster is a GFS2 lock_dlm root for two nodes on a private network: the
// populated image, the nodes' network and the osr.hcl that builds their initrd.
type dlmCluster struct {
	img    string
	lab    *netlab.Lab
	nodes  []osrlab.Node
	osrHCL string
	dir    string
}

// newDLMCluster makes a lock_dlm GFS2 image (table osrc:root, two journals)
// holding the shared root, populated with lock_nolock by the lab's initrd, a
// network lab with a tap per node and a fresh corosync authkey.
func newDLMCluster(t *testing.T, k *osrlab.Kit) *dlmCluster {
	t.Helper()
	ctx := context.Background()
	c := &dlmCluster{dir: t.TempDir()}
	tree := sharedRoot(t, k, 2)
	c.img = filepath.Join(c.dir, "root.gfs2")
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
	for id := 1; id <= 2; id++ {
		c.nodes = append(c.nodes, osrlab.Node{ID: id, MAC: qemu.NodeMAC(id), IP: lab.NodeAddr(id).Addr().String(), Mask: "255.255.255.0", RootFS: "gfs2", Root: "/dev/vda"})
	}
	key := make([]byte, 256)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(c.dir, "authkey")
	if err := os.WriteFile(keyPath, key, 0o600); err != nil {
		t.Fatal(err)
	}
	// A token of 5 s: two TCG guests on a busy host miss 3 s tokens.
	c.osrHCL = fmt.Sprintf("cluster_stack {\n  authkey = %q\n  token   = 5000\n}\n", keyPath)
	return c
}

// machine is node id of the cluster booting initrd.
func (c *dlmCluster) machine(t *testing.T, k *osrlab.Kit, name, initrd string, id int, params ...string) qemu.Machine {
	m := machine(t, k, name, initrd, params...)
	m.NetNS = c.lab.NS
	m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(id), Tap: c.lab.Tap(id)}}
	m.Disks = []qemu.Disk{{Path: c.img, Mode: qemu.Shared}}
	return m
}

// Two nodes start corosync and dlm_controld from osr's initrd, wait for quorum
// and mount one GFS2 lock_dlm disk at once; each writes to the shared root and
// reads what the other wrote.
func TestGFS2LockDLMTwoNodes(t *testing.T) {
	k := getKit(t)
	c := newDLMCluster(t, k)
	initrd := build(t, k, "gfs2", clusterConf(t, "osrc", c.nodes), c.osrHCL)
	run := fmt.Sprint(time.Now().UnixNano())
	var boots []qemu.Boot
	for id := 1; id <= 2; id++ {
		m := c.machine(t, k, fmt.Sprintf("dlm-node%d", id), initrd, id, sharedroot.PeersParams(2, run)...)
		// A node powering off while its peer holds its locks is a node
		// failure to the peer: end both at the end of their init.
		m.StopAfter = sharedroot.MarkerDone
		boots = append(boots, qemu.Boot{Machine: m, Expect: append(osrlab.Identity(id),
			"quorate", "dlm_controld ready",
			sharedroot.MarkerRoot+"/dev/vda / gfs2 rw",
			sharedroot.MarkerPeers+"written by node1;written by node2;")})
	}
	results, err := qemu.Run(context.Background(), boots...)
	logTimes(t, results)
	for _, r := range results {
		if r != nil {
			logClusterTimes(t, r)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

// logClusterTimes prints when a node became quorate and mounted its root
// (seconds since its kernel started).
func logClusterTimes(t *testing.T, r *qemu.Result) {
	t.Helper()
	var parts []string
	for _, what := range []string{"quorate", "dlm_controld ready", "root mounted"} {
		if line, ok := r.Console.Find(what); ok {
			if i := strings.Index(line.Text, "(uptime "); i >= 0 {
				parts = append(parts, what+" at "+strings.TrimSuffix(line.Text[i+len("(uptime "):], ")"))
			}
		}
	}
	t.Logf("%s: %s", r.Name, strings.Join(parts, ", "))
}
