// SPDX-License-Identifier: Apache-2.0

package packaging

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/boot"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDocsNameEveryKey fails when framework/config gains an osr.hcl key that the
// reference (docs/osr.hcl.md) or osr.hcl(5) does not mention.
func TestDocsNameEveryKey(t *testing.T) {
	src := readFile(t, "../framework/config/config.go")
	keys := regexp.MustCompile(`hcl:"([a-z_]+),(?:optional|block)"`).FindAllStringSubmatch(src, -1)
	if len(keys) < 10 {
		t.Fatalf("found only %d keys in config.go; the tag pattern no longer matches", len(keys))
	}
	docs := map[string]string{"docs/osr.hcl.md": readFile(t, "../docs/osr.hcl.md"), "osr.hcl.5": readFile(t, "man/osr.hcl.5")}
	for _, k := range keys {
		for name, text := range docs {
			if !strings.Contains(text, k[1]) {
				t.Errorf("%s does not document the key %s", name, k[1])
			}
		}
	}
}

// TestCmdlineManNamesEveryStep fails when the boot gains a step osr-cmdline(7)
// does not list as a break point.
func TestCmdlineManNamesEveryStep(t *testing.T) {
	text := readFile(t, "man/osr-cmdline.7")
	for _, s := range boot.StepNames {
		if !strings.Contains(text, s) {
			t.Errorf("osr-cmdline.7 does not list the step %s", s)
		}
	}
	for _, p := range []string{"osr.nodeid", "osr.nodename", "osr.root", "osr.rootfs", "osr.mountopts", "osr.ip",
		"osr.init", "osr.debug", "osr.shell", "osr.break", "osr.mounttimes", "osr.mountwait", "osr.nettimeout"} {
		if !strings.Contains(text, `.BI `+p) && !strings.Contains(text, `.B `+p) {
			t.Errorf("osr-cmdline.7 has no entry for %s", p)
		}
	}
}
