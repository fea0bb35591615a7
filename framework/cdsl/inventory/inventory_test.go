// SPDX-License-Identifier: Apache-2.0

package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-sharedroot/osr/internal/goldenfile"
)

func TestParseV1(t *testing.T) {
	data, err := os.ReadFile("testdata/v1.xml")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Parse("v1.xml", data)
	if err != nil {
		t.Fatal(err)
	}
	want := &Inventory{
		Version:  "1",
		Settings: V1Defaults(),
		CDSLs: []CDSL{
			{Src: "hostdependent_dir", Type: Hostdependent, Timestamp: "1176470424.11", Nodes: []string{"1", "2"}},
			{Src: "hostdependent_dir/shared_dir", Type: Shared, Timestamp: "1176470424.12", Nodes: []string{"1", "2"}},
		},
	}
	if d := cmp.Diff(want, inv); d != "" {
		t.Errorf("v1 inventory (-want +got):\n%s", d)
	}
	// Written out it is a v2 inventory with the v1 layout's paths (golden), and
	// reads back to the same settings and entries.
	out := Marshal(inv)
	goldenfile.Check(t, filepath.Join("testdata", "v1-migrated.xml"), out)
	back, err := Parse("migrated", out)
	if err != nil {
		t.Fatal(err)
	}
	want.Version = Version2
	if d := cmp.Diff(want, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "  \n", "f.xml: the inventory is empty"},
		{"syntax", "<cdsls config_version=\"2.0\">\n<cdsl src=\"a\"\n", "f.xml:3: not a valid CDSL inventory"},
		{"version", `<cdsls config_version="3.0"/>`, `unknown inventory config_version "3.0"`},
		{"type", `<cdsls config_version="2.0"><cdsl src="a" type="odd"/></cdsls>`, `cdsl "a" has type "odd"`},
		{"nosrc", `<cdsls config_version="2.0"><cdsl type="shared"/></cdsls>`, "a cdsl element has no src"},
		{"count", `<cdsls config_version="2.0" maxnodeidnum="x"/>`, `maxnodeidnum="x" is not a node count`},
		{"emptytree", `<cdsls config_version="2.0" tree=""/>`, "must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.xml", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestV2Settings(t *testing.T) {
	inv, err := Parse("f", []byte(`<cdsls config_version="2.0" tree="/t/c" sharedtree="t/s" link="l" maxnodeidnum="4"
		use_nodeids="False" mountpoint="/mnt/data" default_dir="tmpl" node_prefix="" expandstring=".x">
		<repositories><repository path="mnt/data" resource=".cdsl_inventory.xml"/></repositories></cdsls>`))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Tree: "t/c", SharedTree: "t/s", Link: "l", DefaultDir: "tmpl", Mountpoint: "mnt/data",
		ExpandString: ".x", MaxNodeIDNum: 4}
	if d := cmp.Diff(want, inv.Settings); d != "" {
		t.Errorf("settings (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Repository{{Path: "mnt/data", Resource: ".cdsl_inventory.xml"}}, inv.Repositories); d != "" {
		t.Errorf("repositories: %s", d)
	}
}
