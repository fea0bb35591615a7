// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
)

// TestCanon: every spelling of a path leads to the same CDSL path.
func TestCanon(t *testing.T) {
	root, r := newRoot(t, inventory.V2Defaults(), 2, map[string]string{
		"var/log/messages": "m", "etc/rc.d/init.d/x": "x", "hd/sd/hf": "hf",
	})
	mustAdd := func(p string, typ inventory.Type) {
		if _, err := r.Add(p, typ, nil, AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mustAdd("/var", inventory.Hostdependent)
	mustAdd("/hd", inventory.Hostdependent)
	mustAdd("/hd/sd", inventory.Shared)
	mustAdd("/hd/sd/hf", inventory.Hostdependent)
	if err := os.Symlink("rc.d/init.d", filepath.Join(root, "etc/init.d")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ cwd, arg, want string }{
		{"", "/var/log", "var/log"},
		{"", "var/log", "var/log"},
		{"", "/.cdsl.local/var/log", "var/log"},
		{"", "/.cluster/cdsl/2/var/log", "var/log"},
		{"", "/.cluster/cdsl/default/var/log/", "var/log"},
		{"", root + "/var/log", "var/log"},
		{"", "/var/../var/./log", "var/log"},
		{"", "/../../var/log", "var/log"},
		{"etc", "rc.d/init.d/x", "etc/rc.d/init.d/x"},
		{"", "/etc/init.d/x", "etc/rc.d/init.d/x"},
		{"", "/hd/sd/hf", "hd/sd/hf"},
		{"", "/.cluster/shared/hd/sd/hf", "hd/sd/hf"},
		{"", "/.cluster/cdsl/1/hd/.cdsl.sd/hf", "hd/sd/hf"},
	} {
		r.opts.Cwd = filepath.Join(root, tc.cwd)
		if tc.cwd == "" {
			r.opts.Cwd = "/"
		}
		got, err := r.Canon(tc.arg)
		if err != nil || got != tc.want {
			t.Errorf("Canon(%q) from %s = %q, %v; want %q", tc.arg, tc.cwd, got, err, tc.want)
		}
	}
	for _, bad := range []string{"/", "", "/.cluster", "/.cdsl_inventory.xml", "/.cdsl.local"} {
		if got, err := r.Canon(bad); err == nil {
			t.Errorf("Canon(%q) = %q, want an error", bad, got)
		}
	}
	if _, err := r.Add("/hd/sd", inventory.Shared, nil, AddOptions{}); !errors.Is(err, ErrExists) {
		t.Errorf("add twice: %v", err)
	}
	if _, err := r.Add("/hd/sd/hf/x", inventory.Hostdependent, nil, AddOptions{}); err == nil || !strings.Contains(err.Error(), "alternate") {
		t.Errorf("same type nested: %v", err)
	}
}
