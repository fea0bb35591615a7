// SPDX-License-Identifier: Apache-2.0

package realos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/test/e2e/oslab"
)

// osrInChroot is osr as the cluster stack's chroot holds it on a running node.
const osrInChroot = clusterstack.RunDir + clusterstack.OSRPath

// rootFSType is what findmnt says of / on the lab's nodes.
func rootFSType(l *oslab.Lab) string {
	if l.FS == oslab.NFS {
		return "nfs4"
	}
	return l.FS
}

// checkClusterStack checks on every node of a GFS2 lab that the cluster
// stack from the initrd runs under the real systemd: the watch unit is
// active, the daemons run, the node is quorate and the root's lockspace has
// both nodes. On OCFS2 it checks the o2cb heartbeat region is up.
func checkClusterStack(t *testing.T, l *oslab.Lab, nodes []*oslab.Node) {
	t.Helper()
	ctx := context.Background()
	for _, n := range nodes {
		switch l.FS {
		case oslab.GFS2:
			out, err := n.Run(ctx, "systemctl is-active "+clusterstack.UnitName+"; "+osrInChroot+" cluster status")
			if err != nil {
				t.Errorf("%s: cluster stack: %v\n%s", n.Name, err, out)
				continue
			}
			for _, want := range []string{"active\n", "corosync:     running", "dlm_controld: running", "quorate:      yes", "lockspace root: members 1 2"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s: the cluster stack's state lacks %q:\n%s", n.Name, want, out)
				}
			}
		case oslab.OCFS2:
			out, err := n.Run(ctx, "ls /sys/kernel/config/cluster/*/heartbeat/ && ls /sys/kernel/config/cluster/*/node/")
			if err != nil || !strings.Contains(out, "node1") || !strings.Contains(out, "node2") {
				t.Errorf("%s: o2cb configuration in configfs: %v\n%s", n.Name, err, out)
			}
		}
	}
}

// checkPrivateTmp writes a file into writer's /tmp and checks that /tmp is a
// tmpfs of each node and that other does not see the file. It returns the
// file's path and content.
func checkPrivateTmp(t *testing.T, writer, other *oslab.Node) [2]string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 8)
	rand.Read(b)
	mark := [2]string{"/tmp/osr-private-" + hex.EncodeToString(b), "written by " + writer.Name}
	for _, n := range []*oslab.Node{writer, other} {
		if out, err := n.Run(ctx, "findmnt -n -o FSTYPE /tmp"); err != nil || strings.TrimSpace(out) != "tmpfs" {
			t.Errorf("%s: /tmp is %q (%v), want a tmpfs of the node's own", n.Name, strings.TrimSpace(out), err)
		}
	}
	if _, err := writer.Run(ctx, fmt.Sprintf("echo '%s' > %s", mark[1], mark[0])); err != nil {
		t.Fatal(err)
	}
	checkTmpUnseen(t, other, mark)
	return mark
}

// checkTmpUnseen checks that n does not see the /tmp file of another node.
func checkTmpUnseen(t *testing.T, n *oslab.Node, mark [2]string) {
	t.Helper()
	out, err := n.Run(context.Background(), "if test -e "+mark[0]+"; then echo seen; else echo unseen; fi")
	if err != nil || strings.TrimSpace(out) != "unseen" {
		t.Errorf("%s sees %s of another node's /tmp (%q, %v)", n.Name, mark[0], strings.TrimSpace(out), err)
	}
}

// checkTmpKept checks that the file of checkPrivateTmp is still in writer's
// /tmp after the other node's boot, and that the rebooted node does not see it.
func checkTmpKept(t *testing.T, writer, rebooted *oslab.Node, mark [2]string) {
	t.Helper()
	out, err := writer.Run(context.Background(), "cat "+mark[0])
	if err != nil || strings.TrimSpace(out) != mark[1] {
		t.Errorf("%s: %s after %s's boot holds %q (%v), want %q: the peer's boot emptied this node's /tmp",
			writer.Name, mark[0], rebooted.Name, strings.TrimSpace(out), err, mark[1])
	}
	checkTmpUnseen(t, rebooted, mark)
}

// kernelLines returns how many lines n's kernel log has.
func kernelLines(t *testing.T, n *oslab.Node) int {
	t.Helper()
	out, err := n.Run(context.Background(), "dmesg | wc -l")
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("%s: dmesg | wc -l says %q", n.Name, out)
	}
	return v
}

// recoverySigns are kernel messages of a node that recovers a failed peer:
// GFS2's journal recovery of a failed lockspace member ("jid=1: Trying to
// acquire journal lock…", "Looking at journal…", "Replaying journal…"), and
// OCFS2's journal replay and o2dlm's recovery master. GFS2's "recover
// generation N done" is not one: the kernel prints it after every lockspace
// membership change, a clean leave or join included.
var recoverySigns = []string{"acquire journal", "Looking at journal", "Replaying journal", "replay journal", "Recovery Master", "dead node", "fence"}

// checkPeerLeft checks, while node 1 is down after a clean shutdown, that
// survivor saw it leave (GFS2: the lockspace lost member 1 by a removal, not
// a failure) and that the shared root stays writable.
func checkPeerLeft(t *testing.T, l *oslab.Lab, survivor *oslab.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if l.FS == oslab.GFS2 {
		out, err := survivor.Run(ctx, osrInChroot+" cluster status")
		want := "lockspace root: members 2 (last change: member 1 joined 0 remove 1 failed 0"
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("%s while node1 is down: cluster status lacks %q (%v):\n%s", survivor.Name, want, err, out)
		} else {
			t.Logf("%s saw node1 leave cleanly; still quorate", survivor.Name)
		}
	}
	start := time.Now()
	if out, err := survivor.Run(ctx, "echo alone > /root/alone-"+survivor.Name+" && sync && cat /root/alone-"+survivor.Name); err != nil || strings.TrimSpace(out) != "alone" {
		t.Errorf("%s could not write to the shared root while its peer was down: %q, %v", survivor.Name, out, err)
	} else {
		t.Logf("%s wrote to the shared root in %.1fs while its peer was down", survivor.Name, time.Since(start).Seconds())
	}
}

// checkNoRecovery checks that n's kernel log since line from shows no
// recovery of a failed peer, and (GFS2) that the fence agent never ran.
func checkNoRecovery(t *testing.T, l *oslab.Lab, n *oslab.Node, from int) {
	t.Helper()
	out, err := n.Run(context.Background(), fmt.Sprintf("dmesg | tail -n +%d", from+1))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		for _, sign := range recoverySigns {
			if strings.Contains(line, sign) {
				t.Errorf("%s recovered or fenced its peer after a clean reboot: %q", n.Name, line)
			}
		}
	}
	if l.FS != oslab.NFS {
		for _, agent := range []string{"fence_osr: ", "fence_osr[alert]"} {
			if line, ok := n.Instance.Console.Find(agent); ok {
				t.Errorf("%s's console shows the fence agent: %q", n.Name, line.Text)
			}
		}
	}
}
