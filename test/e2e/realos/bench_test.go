// SPDX-License-Identifier: Apache-2.0

package realos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/oslab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
)

// bootToMultiUser boots the given nodes of l at once with params, waits until
// each is running, reads the seconds from the kernel's start to
// multi-user.target and powers them off.
func bootToMultiUser(b *testing.B, l *oslab.Lab, ids []int, params ...string) []float64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bootBound)
	defer cancel()
	nodes := make([]*oslab.Node, len(ids))
	for i, id := range ids {
		n, err := l.Start(context.Background(), id, params...)
		if err != nil {
			b.Fatal(err)
		}
		nodes[i] = n
		defer n.Stop()
	}
	secs := make([]float64, len(ids))
	var g errgroup.Group
	for i, n := range nodes {
		g.Go(func() error {
			if _, err := n.WaitRunning(ctx); err != nil {
				return err
			}
			var err error
			secs[i], err = n.MultiUserSeconds(ctx)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	for _, n := range nodes {
		g.Go(func() error {
			_, err := n.Shutdown(context.Background(), "poweroff", shutdownBound)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	return secs
}

// BenchmarkDebianBoot measures the seconds from the kernel's start to systemd's
// multi-user.target (systemd's own timestamp) of the Debian 12 root over NFSv4:
// with osr's initrd on one node alone and on two nodes at once from one shared
// root, and with a generic dracut initrd (nfs, network-legacy) on one node from
// the same Debian root as installed (dracut knows no CDSLs). Run with
// -benchtime 1x; each boot takes minutes under software emulation.
func BenchmarkDebianBoot(b *testing.B) {
	if _, err := exec.LookPath("dracut"); err != nil {
		b.Fatal("dracut is missing: apt-get install dracut-core dracut-network isc-dhcp-client iputils-arping (make bench installs them)")
	}
	kit := getKit(b)
	var osrOne, osrTwo, dracut []float64
	for range b.N {
		func() {
			l := newLabB(b, "osrbench", 2, false)
			defer l.Close()
			osrOne = append(osrOne, bootToMultiUser(b, l, []int{1})...)
			osrTwo = append(osrTwo, bootToMultiUser(b, l, []int{1, 2})...)
		}()
		func() {
			l := newLabB(b, "osrbenchd", 1, true)
			defer l.Close()
			img := filepath.Join(l.Dir, "dracut.img")
			start := time.Now()
			if err := kit.DracutNFS(context.Background(), img); err != nil {
				b.Fatal(err)
			}
			b.Logf("dracut image built in %.1fs", time.Since(start).Seconds())
			l.Initrd = img
			params := osrlab.DracutNFSParams(l.Net.Addr.Addr().String(), ganesha.DefaultPseudo, l.Net.NodeAddr(1).Addr().String())
			dracut = append(dracut, bootToMultiUser(b, l, []int{1}, params...)...)
		}()
	}
	b.Logf("kernel start → multi-user.target: osr one node %s; osr two nodes at once %s; dracut one node %s",
		list(osrOne), list(osrTwo), list(dracut))
	b.ReportMetric(mean(osrOne), "osr-1node-s")
	b.ReportMetric(mean(osrTwo), "osr-2nodes-s")
	b.ReportMetric(mean(dracut), "dracut-1node-s")
	b.ReportMetric(mean(osrOne)/mean(dracut), "osr/dracut")
}

// newLabB is newLab for a benchmark: the lab lives until the caller closes it.
// The console logs go to $OSR_E2E_LOGDIR/<benchmark>/<name> when set; a node
// booted again in the same lab gets the next boot's log.
func newLabB(b *testing.B, name string, n int, plain bool) *oslab.Lab {
	b.Helper()
	logDir := ""
	if d := os.Getenv("OSR_E2E_LOGDIR"); d != "" {
		logDir = filepath.Join(d, b.Name(), name)
	}
	start := time.Now()
	l, err := oslab.New(context.Background(), getKit(b), getRoot(b), oslab.Options{Nodes: n, Name: name, Dir: b.TempDir(), Plain: plain, LogDir: logDir})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: root for %d nodes ready in %.1fs", name, n, time.Since(start).Seconds())
	return l
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func list(xs []float64) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.1fs", x)
	}
	return s
}
