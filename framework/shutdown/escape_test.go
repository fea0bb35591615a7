// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"os/exec"
	"testing"
)

func TestUnitNameForPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/", "-.mount"},
		{"/.cdsl.local", `\x2ecdsl.local.mount`},
		{"/var/run", "var-run.mount"},
		{"/var//log/", "var-log.mount"},
		{"/srv/my-data", `srv-my\x2ddata.mount`},
		{"/mnt/a b", `mnt-a\x20b.mount`},
		{"/mnt/x.y/.z", `mnt-x.y-.z.mount`},
		{"/a\\b", `a\x5cb.mount`},
	} {
		if got := UnitNameForPath(tc.in, ".mount"); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
		// Agree with systemd where it is installed.
		if se, err := exec.LookPath("systemd-escape"); err == nil {
			out, err := exec.Command(se, "--path", "--suffix=mount", tc.in).Output()
			if err == nil && string(out) != tc.want+"\n" {
				t.Errorf("%q: systemd-escape says %q, want %q", tc.in, out, tc.want)
			}
		}
	}
}
