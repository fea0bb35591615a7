// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
)

// TestNestedTable makes the nested CDSLs of the reference's table on a real root
// (nodes 1..3) and compares expansion, link locations, data locations and link
// targets with the golden file; every link on disk must hold its target and every
// data location must exist.
func TestNestedTable(t *testing.T) {
	H, S := inventory.Hostdependent, inventory.Shared
	root, r := newRoot(t, inventory.V2Defaults(), 3, map[string]string{
		"hd/sd/hf": "hf", "hd/sd/hd/sd/": "", "hd/sd/hd/sf": "sf",
	})
	table := []struct {
		src string
		typ inventory.Type
	}{
		{"hd", H}, {"hd/sd", S}, {"hd/sd/hf", H}, {"hd/sd/hd", H}, {"hd/sd/hd/sd", S}, {"hd/sd/hd/sf", S},
	}
	var b strings.Builder
	for _, row := range table {
		if _, err := r.Add("/"+row.src, row.typ, nil, AddOptions{}); err != nil {
			t.Fatalf("add %s %s: %v", row.typ, row.src, err)
		}
		m := r.Model()
		c := *m.Inv.Find(row.src)
		fmt.Fprintf(&b, "%s (%s)\n  expanded: %s\n  target:   %s\n", c.Src, c.Type, m.Expand(c.Src, c.Type), m.Target(c))
		for _, l := range m.LinkLocations(c) {
			fmt.Fprintf(&b, "  link:     %s\n", l)
		}
		for _, d := range m.DataLocations(c) {
			fmt.Fprintf(&b, "  data:     %s\n", d)
		}
	}
	golden(t, "nested.golden", b.String())
	// The disk holds what the model says, for every CDSL (the later ones changed
	// the earlier ones' data in place).
	m := r.Model()
	for _, c := range m.Inv.Sorted() {
		for _, l := range m.LinkLocations(c) {
			if got := readlink(t, filepath.Join(root, l)); got != m.Target(c) {
				t.Errorf("%s: link %s -> %s, want %s", c.Src, l, got, m.Target(c))
			}
		}
		for _, d := range m.DataLocations(c) {
			if _, err := os.Lstat(filepath.Join(root, d)); err != nil {
				t.Errorf("%s: data: %v", c.Src, err)
			}
		}
		if probs := r.Verify(c); len(probs) > 0 {
			t.Errorf("%s: %v", c.Src, probs)
		}
	}
	// Through node 2's view of the link dir every path reaches its content.
	for name, want := range map[string]string{"hd/sd/hf": "hf", "hd/sd/hd/sf": "sf"} {
		phys, err := r.FS().Resolve(name, r.Layout().SubstFor("2"))
		if err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, filepath.Join(root, phys)); got != want {
			t.Errorf("%s via node 2 (%s) = %q, want %q", name, phys, got, want)
		}
	}
}
