// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// bootBench is the NFS server and the two images the boot benchmark compares,
// made once per test binary (Go calls a benchmark more than once).
type bootBench struct {
	dir   string
	lab   *netlab.Lab
	srv   *ganesha.Server
	boots []benchBoot
	logs  []string
}

type benchBoot struct {
	name, initrd string
	params       []string
}

var (
	benchOnce sync.Once
	benchEnv  *bootBench
	benchErr  error
)

func (e *bootBench) close() {
	if e == nil {
		return
	}
	if e.srv != nil {
		e.srv.Stop()
	}
	if e.lab != nil {
		e.lab.Close()
	}
	os.RemoveAll(e.dir)
}

func setupBootBench(k *osrlab.Kit, dir string) (*bootBench, error) {
	ctx := context.Background()
	tree, err := k.SharedRoot(ctx, filepath.Join(dir, "root"), 1)
	if err != nil {
		return nil, err
	}
	lab, err := netlab.New(ctx, netlab.Options{Taps: 1})
	if err != nil {
		return nil, err
	}
	env := &bootBench{dir: dir, lab: lab}
	if err := os.MkdirAll(filepath.Join(dir, "ganesha"), 0o755); err != nil {
		return env, err
	}
	srv, err := ganesha.Start(ctx, ganesha.Config{NetNS: lab.NS, Addr: lab.Addr.Addr(), Export: tree.Dir, StateDir: filepath.Join(dir, "ganesha")})
	if err != nil {
		return nil, err
	}
	env.srv = srv
	server, ip := lab.Addr.Addr().String(), lab.NodeAddr(1).Addr().String()
	conf := filepath.Join(dir, "cluster.conf")
	if err := osrlab.WriteClusterConf(conf, "osrbench", []osrlab.Node{{ID: 1, MAC: qemu.NodeMAC(1), IP: ip, Mask: "255.255.255.0",
		RootFS: "nfs4", Root: server + ":" + ganesha.DefaultPseudo}}); err != nil {
		return nil, err
	}
	osrImg, summary, err := k.Build(ctx, dir, "nfs", conf, "")
	if err != nil {
		return nil, err
	}
	env.logs = append(env.logs, "osr: "+summary)
	// The same image with the nfs driver as a program of its own: /init is
	// osr-init-plugin, which starts it over go-plugin, as images did before
	// osr-init called its built-in drivers in process.
	progDir, err := k.DriverProgram(ctx, "nfs")
	if err != nil {
		return env, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "program"), 0o755); err != nil {
		return env, err
	}
	progImg, summary, err := k.BuildWith(ctx, filepath.Join(dir, "program"), "nfs", conf, "", progDir)
	if err != nil {
		return env, err
	}
	env.logs = append(env.logs, "osr, driver program: "+summary)

	dracutImg := filepath.Join(dir, "dracut.img")
	if err := k.DracutNFS(ctx, dracutImg); err != nil {
		return env, err
	}
	st, _ := os.Stat(dracutImg)
	env.logs = append(env.logs, fmt.Sprintf("dracut: %d bytes", st.Size()))

	env.boots = []benchBoot{
		{"osr", osrImg, nil},
		{"osr-program", progImg, nil},
		{"dracut", dracutImg, osrlab.DracutNFSParams(server, ganesha.DefaultPseudo, ip)},
	}
	return env, nil
}

// BenchmarkBootNFS boots one node from the same NFSv4 root in the same qemu with
// osr's initrd (the nfs driver built in, called in /init's process), with osr's
// initrd whose nfs driver is a program of its own (started over go-plugin), and
// with a generic dracut initrd (network and nfs modules), and
// reports the time from starting qemu until the root's own init runs (its first
// line), i.e. through switch_root. Run with -benchtime Nx for N boots each.
func BenchmarkBootNFS(b *testing.B) {
	k := getKit(b)
	if _, err := exec.LookPath("dracut"); err != nil {
		b.Fatal("dracut is missing: apt-get install dracut-core dracut-network isc-dhcp-client iputils-arping (make bench installs them)")
	}
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("/var/tmp", "osr-boot-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchEnv, benchErr = setupBootBench(k, dir)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	for _, l := range benchEnv.logs {
		b.Log(l)
	}
	ctx := context.Background()
	env := benchEnv
	// The initrds boot in turn, round after round, so that a warming NFS server
	// or a busier moment of the machine falls on all of them alike.
	results := map[string]qemu.Timings{}
	failed := map[string]bool{}
	for round := 1; round <= b.N; round++ {
		for _, bt := range env.boots {
			if failed[bt.name] {
				continue
			}
			m := k.Machine(fmt.Sprintf("bench-%s-round%d", bt.name, round), bt.initrd, b.TempDir(), bt.params...)
			m.NetNS = env.lab.NS
			m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(1), Tap: env.lab.Tap(1)}}
			ts, err := qemu.Measure(ctx, m, sharedroot.MarkerHostname, 1)
			if err != nil {
				if bt.name == "osr" {
					b.Fatalf("%s: %v", bt.name, err)
				}
				// The comparison needs the other initrd to boot; osr's own figure
				// stands without it.
				b.Logf("%s did not reach the root's init, no ratio: %v", bt.name, err)
				failed[bt.name] = true
				delete(results, bt.name)
				continue
			}
			results[bt.name] = append(results[bt.name], ts...)
		}
	}
	for _, bt := range env.boots {
		if ts, ok := results[bt.name]; ok {
			b.Logf("%s: to the root's init %s", bt.name, ts)
		}
	}
	b.ReportMetric(results["osr"].Median().Seconds(), "osr-s")
	if p, ok := results["osr-program"]; ok {
		b.ReportMetric(p.Median().Seconds(), "program-s")
		b.ReportMetric(results["osr"].Median().Seconds()/p.Median().Seconds(), "osr/program")
	}
	if d, ok := results["dracut"]; ok {
		b.ReportMetric(d.Median().Seconds(), "dracut-s")
		b.ReportMetric(results["osr"].Median().Seconds()/d.Median().Seconds(), "osr/dracut")
	}
}
