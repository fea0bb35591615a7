// SPDX-License-Identifier: Apache-2.0

package packaging

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/compat"
)

// TestCompatPackageLinksEveryPath fails when osr-compat's package definition or
// make install-compat miss one of the originals' paths osr answers to, or hold
// one it does not.
func TestCompatPackageLinksEveryPath(t *testing.T) {
	want := slices.Clone(compat.Paths)
	slices.Sort(want)

	yaml := readFile(t, "nfpm-compat.yaml")
	var pkg []string
	for _, m := range regexp.MustCompile(`(?m)^  - src: /usr/bin/osr\n    dst: (\S+)\n    type: symlink$`).FindAllStringSubmatch(yaml, -1) {
		pkg = append(pkg, m[1])
	}
	slices.Sort(pkg)
	if !slices.Equal(pkg, want) {
		t.Errorf("nfpm-compat.yaml links %v, want %v (compat.Paths)", pkg, want)
	}

	mk := readFile(t, "../Makefile")
	bins := regexp.MustCompile(`(?m)^COMPAT_BIN +:= (.*)$`).FindStringSubmatch(mk)
	dir := regexp.MustCompile(`(?m)^BOOTIMAGEDIR +\?= (.*)$`).FindStringSubmatch(mk)
	if bins == nil || dir == nil {
		t.Fatal("the Makefile has no COMPAT_BIN or BOOTIMAGEDIR")
	}
	var made []string
	for _, b := range strings.Fields(bins[1]) {
		made = append(made, "/usr/bin/"+b)
	}
	made = append(made, dir[1]+"/mkinitrd")
	slices.Sort(made)
	if !slices.Equal(made, want) {
		t.Errorf("make install-compat links %v, want %v (compat.Paths)", made, want)
	}
}
