// SPDX-License-Identifier: Apache-2.0

package qemu

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Timing is one measured boot: from starting qemu to the marker line, and
// to qemu's exit.
type Timing struct {
	ToMarker time.Duration
	Wall     time.Duration
}

// Timings are the measurements of several boots of one machine.
type Timings []Timing

// Median returns the median time to the marker (the lower middle for an
// even count).
func (ts Timings) Median() time.Duration {
	return ts.nth(func(n int) int { return (n - 1) / 2 })
}

// Min returns the shortest time to the marker.
func (ts Timings) Min() time.Duration { return ts.nth(func(int) int { return 0 }) }

// Max returns the longest time to the marker.
func (ts Timings) Max() time.Duration { return ts.nth(func(n int) int { return n - 1 }) }

func (ts Timings) nth(index func(n int) int) time.Duration {
	if len(ts) == 0 {
		return 0
	}
	d := make([]time.Duration, len(ts))
	for i, t := range ts {
		d[i] = t.ToMarker
	}
	slices.Sort(d)
	return d[index(len(d))]
}

// String summarises the timings: count, min, median, max to the marker.
func (ts Timings) String() string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.ToMarker.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%d boots: min %v, median %v, max %v [%s]", len(ts),
		ts.Min().Round(time.Millisecond), ts.Median().Round(time.Millisecond), ts.Max().Round(time.Millisecond),
		strings.Join(parts, " "))
}

// Measure boots m runs times, one after another, and returns for each the
// time from starting qemu to the first console line containing marker (a
// benchmark of boot time to, say, switch_root). Every boot must show the
// marker and end on its own; the console logs are LogPath with the run
// number before the extension.
func Measure(ctx context.Context, m Machine, marker string, runs int) (Timings, error) {
	if runs < 1 {
		return nil, fmt.Errorf("measure %s: %d runs", m.Name, runs)
	}
	ext := filepath.Ext(m.LogPath)
	base := strings.TrimSuffix(m.LogPath, ext)
	var ts Timings
	for i := 1; i <= runs; i++ {
		run := m
		run.Name = fmt.Sprintf("%s#%d", m.Name, i)
		run.LogPath = fmt.Sprintf("%s.%d%s", base, i, ext)
		results, err := Run(ctx, Boot{Machine: run, Expect: []string{marker}})
		if err != nil {
			return ts, fmt.Errorf("measure %s: %w", m.Name, err)
		}
		at, _ := results[0].Marker(marker)
		ts = append(ts, Timing{ToMarker: at, Wall: results[0].Wall})
	}
	return ts, nil
}
