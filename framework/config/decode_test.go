// SPDX-License-Identifier: Apache-2.0

package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
)

var decodeSeeds = []string{
	"driver_dirs = [\"/a\"]\ninitrd {\n  compression = \"zstd\"\n}\n",
	"driver \"gfs2\" {\n  path = \"/x\"\n  lock_proto = \"lock_dlm\"\n}\ndriver \"nfs\" {\n}\n",
	"cluster_stack {\n  token = 3000\n  files = { \"/a\" = \"/b\" }\n}\n",
	"initrd { output = \"${x}\" }\n",
	"driver_call_timeout = \"5s\"\ncluster_config = null\nlistfile_dirs = [\"a\", 1, true]\n",
	"initrd {\n  cache_keep = 1.5\n  host_only = \"yes\"\n  modules = \"x\"\n  kernel_hooks = \"maybe\"\n  driver = [1]\n}\n",
	"initrd {\n}\ninitrd {\n}\ncluster_stack {\n}\ncluster_stack {\n  token = \"x\"\n}\n",
	"cluster_stack {\n  files = { a = [1] }\n  post_join_delay = -1e100\n  authkey = {}\n}\n",
	"unknown = 1\ndriver {\n}\ndriver \"a\" \"b\" {\n}\nother {\n}\n",
	"initrd \"label\" {\n  nope = 1\n}\n",
	"driver_dirs = [\"a\"]\ndriver_dirs = [\"b\"]\n",
	"driver \"x\" {\n  path = 3\n  path2 = \"\"\n}\n",
}

// FuzzDecodeFile: decodeFile decodes any osr.hcl as gohcl.DecodeBody decodes
// it into the same structs: the same values and the same diagnostics.
func FuzzDecodeFile(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("..", "..", "docs", "osr.hcl.example")); err == nil {
		f.Add(data)
	}
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		hf, diags := hclparse.NewParser().ParseHCL(src, "f.hcl")
		if diags.HasErrors() {
			return
		}
		var got, want file
		gotDiags := decodeFile(hf.Body, &got)
		wantDiags := gohcl.DecodeBody(hf.Body, nil, &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeFile decoded\n%#v\ngohcl\n%#v", got, want)
		}
		// gohcl reports in map order; compare the diagnostics as sets.
		if g, w := diagLines(gotDiags), diagLines(wantDiags); !slices.Equal(g, w) {
			t.Errorf("decodeFile reported\n%s\ngohcl\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	})
}

func diagLines(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%d %s: %s (subject %v, context %v)", d.Severity, d.Summary, d.Detail, d.Subject, d.Context))
	}
	slices.Sort(out)
	return out
}
