// SPDX-License-Identifier: Apache-2.0

package realos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/open-sharedroot/osr/test/e2e/oslab"
)

// Bounds of the steps under software emulation on a loaded two-core machine.
const (
	// bootBound: from qemu's start until systemd reports the system up.
	bootBound = 8 * time.Minute
	// shutdownBound: from `systemctl poweroff|reboot` until qemu exits.
	shutdownBound = 3 * time.Minute
)

// startAll boots the nodes 1…n at once and waits until systemd on each is
// "running". The nodes are stopped when the test ends.
func startAll(t *testing.T, l *oslab.Lab, n int) []*oslab.Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bootBound)
	defer cancel()
	nodes := make([]*oslab.Node, n)
	for i := range nodes {
		node, err := l.Start(context.Background(), i+1)
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = node
		t.Cleanup(node.Stop)
	}
	var g errgroup.Group
	for _, node := range nodes {
		g.Go(func() error {
			_, err := node.WaitRunning(ctx)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, node := range nodes {
		s, err := node.MultiUserSeconds(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		blame, _ := node.Run(context.Background(), "systemd-analyze blame --no-pager | head -n 6")
		t.Logf("%s: multi-user.target %.1fs after the kernel started; slowest units:\n%s", node.Name, s, blame)
	}
	return nodes
}

// checkIdentity checks that each node is itself: its hostname from the cluster
// configuration, its own machine-id, sshd active, the shared root on NFSv4.
func checkIdentity(t *testing.T, l *oslab.Lab, nodes []*oslab.Node) {
	t.Helper()
	ctx := context.Background()
	seen := map[string]string{}
	for _, n := range nodes {
		out, err := n.Run(ctx, "hostname; cat /etc/machine-id; systemctl is-active ssh; findmnt -n -o FSTYPE /")
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(out)
		want := []string{n.Name, l.MachineIDs[n.ID], "active", rootFSType(l)}
		if strings.Join(f, " ") != strings.Join(want, " ") {
			t.Errorf("%s: hostname, machine-id, sshd, root fs = %q, want %q", n.Name, f, want)
		}
		if len(f) > 1 {
			if other, dup := seen[f[1]]; dup {
				t.Errorf("%s and %s share the machine-id %s", n.Name, other, f[1])
			}
			seen[f[1]] = n.Name
		}
	}
}

// checkShared writes a file on each node and reads it on every other node and
// in the export on the host.
func checkShared(t *testing.T, l *oslab.Lab, nodes []*oslab.Node) {
	t.Helper()
	ctx := context.Background()
	for _, w := range nodes {
		b := make([]byte, 8)
		rand.Read(b)
		content := fmt.Sprintf("written by %s: %s", w.Name, hex.EncodeToString(b))
		rel := "root/shared-" + w.Name
		if _, err := w.Run(ctx, fmt.Sprintf("echo '%s' > /%s && sync", content, rel)); err != nil {
			t.Fatal(err)
		}
		for _, r := range nodes {
			if r == w {
				continue
			}
			got, err := r.Run(ctx, "cat /"+rel)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(got) != content {
				t.Errorf("%s reads /%s as %q, want %q (written by %s)", r.Name, rel, strings.TrimSpace(got), content, w.Name)
			}
		}
		if l.FS != oslab.NFS {
			continue // the host cannot read the disk the nodes share
		}
		onHost, err := os.ReadFile(filepath.Join(l.RootDir, rel))
		if err != nil || strings.TrimSpace(string(onHost)) != content {
			t.Errorf("the export holds %q (%v), want %q", onHost, err, content)
		}
	}
}

// bootID returns the node's boot id, which changes with every boot.
func bootID(t *testing.T, n *oslab.Node) string {
	t.Helper()
	out, err := n.Run(context.Background(), "cat /proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// powerOffAll powers every node off at once and checks each shut down cleanly
// within the bound.
func powerOffAll(t *testing.T, nodes []*oslab.Node) {
	t.Helper()
	var g errgroup.Group
	took := make([]time.Duration, len(nodes))
	for i, n := range nodes {
		g.Go(func() error {
			var err error
			took[i], err = n.Shutdown(context.Background(), "poweroff", shutdownBound)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		t.Logf("%s: powered off in %.1fs", n.Name, took[i].Seconds())
	}
}

// TestDebianTwoNodes is the acceptance test: two nodes boot one Debian root
// over NFSv4 at once, each as itself, share their files, one reboots while the
// other keeps running, and both power off cleanly.
func TestDebianTwoNodes(t *testing.T) {
	twoNodes(t, newLab(t, "osrreal", 2, oslab.NFS))
}

// TestDebianGFS2TwoNodes is the acceptance test on one GFS2 lock_dlm disk:
// corosync and dlm_controld run from osr's initrd under the real systemd, the
// watch unit is active, node 1's reboot is a clean leave and join that node 2
// rides out without fencing or journal recovery.
func TestDebianGFS2TwoNodes(t *testing.T) {
	if os.Getenv(EnvLong) == "" {
		t.Skipf("a real OS on a cluster filesystem takes long under software emulation; run with %s=1 (make test-long)", EnvLong)
	}
	twoNodes(t, newLab(t, "osrgfs", 2, oslab.GFS2))
}

// TestDebianOCFS2TwoNodes is the acceptance test on one OCFS2 disk with the
// kernel's o2cb stack.
func TestDebianOCFS2TwoNodes(t *testing.T) {
	if os.Getenv(EnvLong) == "" {
		t.Skipf("a second cluster filesystem under a real OS takes long under software emulation; run with %s=1 (make test-long)", EnvLong)
	}
	twoNodes(t, newLab(t, "osrocfs", 2, oslab.OCFS2))
}

// twoNodes boots nodes 1 and 2 of l at once, checks that each is itself and
// that they share their files and not their /tmp, reboots node 1 while node 2
// keeps running and powers both off.
func twoNodes(t *testing.T, l *oslab.Lab) {
	nodes := startAll(t, l, 2)
	checkIdentity(t, l, nodes)
	checkShared(t, l, nodes)
	checkClusterStack(t, l, nodes)

	ctx := context.Background()
	n1, n2 := nodes[0], nodes[1]
	// Node 2's /tmp is its own and survives node 1's boot.
	tmpMark := checkPrivateTmp(t, n2, n1)
	before := bootID(t, n2)
	kmsg := kernelLines(t, n2)
	up0, err := n2.Uptime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	down, err := n1.Shutdown(ctx, "reboot", shutdownBound)
	if err != nil {
		t.Fatal(err)
	}
	checkPeerLeft(t, l, n2)
	if err := n1.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	bootCtx, cancel := context.WithTimeout(ctx, bootBound)
	defer cancel()
	if _, err := n1.WaitRunning(bootCtx); err != nil {
		t.Fatal(err)
	}
	back := time.Since(start)
	s, err := n1.MultiUserSeconds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: rebooted: down in %.1fs, running again %.1fs after `systemctl reboot` (multi-user.target %.1fs after the kernel started)",
		n1.Name, down.Seconds(), back.Seconds(), s)

	if after := bootID(t, n2); after != before {
		t.Errorf("%s rebooted too: boot id %s, was %s", n2.Name, after, before)
	}
	up1, err := n2.Uptime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if up1 < up0+back-5*time.Second {
		t.Errorf("%s: uptime %v after %v, was %v: it did not keep running", n2.Name, up1, back, up0)
	}
	t.Logf("%s kept running: uptime %.0fs → %.0fs", n2.Name, up0.Seconds(), up1.Seconds())
	if state, err := n2.Run(ctx, "systemctl is-system-running"); err != nil || strings.TrimSpace(state) != "running" {
		t.Errorf("%s after its peer's reboot: %q (%v)", n2.Name, strings.TrimSpace(state), err)
	}
	checkNoRecovery(t, l, n2, kmsg)
	checkTmpKept(t, n2, n1, tmpMark)
	checkIdentity(t, l, nodes)
	checkShared(t, l, nodes)
	checkClusterStack(t, l, nodes)
	powerOffAll(t, nodes)
	if l.Fence != nil {
		if ev := l.Fence.Fenced(); len(ev) > 0 {
			t.Errorf("a node was fenced in a clean run: %+v", ev)
		}
	}
}

// EnvLong enables the tests too long for `make test` (`make test-long` sets it).
const EnvLong = "OSR_E2E_LONG"

// TestDebianFourNodes boots four nodes from one Debian root over NFSv4 at once;
// each is itself, all share their files, all power off cleanly.
func TestDebianFourNodes(t *testing.T) {
	if os.Getenv(EnvLong) == "" {
		t.Skipf("four systemd boots at once take long under software emulation; run with %s=1 (make test-long)", EnvLong)
	}
	l := newLab(t, "osrreal4", 4, oslab.NFS)
	nodes := startAll(t, l, 4)
	checkIdentity(t, l, nodes)
	checkShared(t, l, nodes)
	powerOffAll(t, nodes)
}
