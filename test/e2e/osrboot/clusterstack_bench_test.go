// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// BenchmarkGFS2Cluster boots two nodes at once on one GFS2 lock_dlm disk and
// reports, per node, the seconds from its kernel's start until corosync was
// quorate and until the root was mounted; then it kills node 2 and reports the
// survivor's recovery: from the kill until its write into node 2's file is done
// (death detection by corosync's token, fencing, journal replay). Each round is
// one such pair; run with -benchtime Nx for N rounds (medians are reported).
func BenchmarkGFS2Cluster(b *testing.B) {
	k := getKit(b)
	c := newDLMCluster(b, k)
	metrics := map[string][]float64{}
	for round := 0; round < b.N; round++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		run := fmt.Sprintf("bench%d-%d", round, time.Now().UnixNano())
		var ins []*qemu.Instance
		for id := 1; id <= 2; id++ {
			m := c.machine(b, k, fmt.Sprintf("bench-node%d-%d", id, round), id, sharedroot.PeersParams(2, run)...)
			m.Timeout = 15 * time.Minute
			ins = append(ins, c.start(b, ctx, m, id))
		}
		for id, in := range ins {
			waitAll(b, ctx, in, sharedroot.MarkerDone)
			for _, p := range []struct{ text, metric string }{{"cluster: quorate", "quorate-s"}, {"mount: root mounted", "mounted-s"}} {
				v, ok := uptime(in, p.text)
				if !ok {
					b.Fatalf("%s: no %q line with the uptime", in.Machine.Name, p.text)
				}
				key := fmt.Sprintf("node%d-%s", id+1, p.metric)
				metrics[key] = append(metrics[key], v)
			}
		}
		rec := killAndRecover(b, ctx, c, ins[0], ins[1])
		metrics["recovery-s"] = append(metrics["recovery-s"], rec.Seconds())
		ins[0].Kill()
		ins[0].Wait()
		cancel()
	}
	for key, vs := range metrics {
		b.Logf("%s: %v", key, vs)
		b.ReportMetric(median(vs), key)
	}
}

func median(vs []float64) float64 {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
