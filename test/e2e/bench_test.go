// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// BenchmarkLabBootExt3 measures the lab initrd's boot of an ext3 root, from
// starting qemu to switch_root and to the root's init, one boot per b.N:
//
//	go test -run '^$' -bench LabBoot -benchtime 5x ./test/e2e/
func BenchmarkLabBootExt3(b *testing.B) {
	requireLab(b)
	k := getKit(b)
	ctx := context.Background()
	tree := labTree(b, k, 1)
	img := filepath.Join(b.TempDir(), "root.ext3")
	if err := sharedroot.MakeExt3(ctx, tree, img, 64); err != nil {
		b.Fatal(err)
	}
	m := machine(b, k, "bench-ext3", "ext3", "osr.node=1")
	m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Snapshot}}
	b.ResetTimer()
	ts, err := qemu.Measure(ctx, m, "OSR-INITRD: switch_root", b.N)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	var wall time.Duration
	for _, t := range ts {
		wall += t.Wall
	}
	b.ReportMetric(ts.Median().Seconds(), "s-to-switch_root")
	b.ReportMetric(wall.Seconds()/float64(len(ts)), "s-wall/boot")
	b.Logf("to switch_root: %s", ts)
}
