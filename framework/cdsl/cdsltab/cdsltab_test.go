// SPDX-License-Identifier: Apache-2.0

package cdsltab

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const table = `# CDPNs and a second CDSL filesystem
/mnt/data
/mnt/apps __initrd,noatime
bind /.cluster/cdsl/%(nodeid)s/var/run /var/run __initrd
nfs server:/export/%(nodename)s /srv/home rw,__initrd 3 5   # retried
rbind /.cluster/cdsl/%(nodeid)s/var/lock /var/lock
`

func TestParseExpand(t *testing.T) {
	entries, err := Parse("cdsltab", strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Line: 2, CDSLFilesystem: true, Dest: "/mnt/data", MountTimes: 1},
		{Line: 3, CDSLFilesystem: true, Dest: "/mnt/apps", Options: []string{"noatime"}, Initrd: true, MountTimes: 1},
		{Line: 4, FSType: "bind", Source: "/.cluster/cdsl/%(nodeid)s/var/run", Dest: "/var/run", Initrd: true, MountTimes: 1},
		{Line: 5, FSType: "nfs", Source: "server:/export/%(nodename)s", Dest: "/srv/home", Options: []string{"rw"}, Initrd: true, MountTimes: 3, MountWait: 5},
		{Line: 6, FSType: "rbind", Source: "/.cluster/cdsl/%(nodeid)s/var/lock", Dest: "/var/lock", MountTimes: 1},
	}
	if d := cmp.Diff(want, entries); d != "" {
		t.Fatalf("entries (-want +got):\n%s", d)
	}
	got, err := ForInitrd(entries, map[string]string{"nodeid": "2", "nodename": "node2"})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range got {
		lines = append(lines, e.FSType+" "+e.Source+" "+e.Dest+" "+strings.Join(e.Options, ","))
	}
	wantLines := []string{"  /mnt/apps noatime", "bind /.cluster/cdsl/2/var/run /var/run ", "nfs server:/export/node2 /srv/home rw"}
	if d := cmp.Diff(wantLines, lines); d != "" {
		t.Errorf("initrd entries (-want +got):\n%s", d)
	}
	if !got[1].Bind() || got[2].Bind() {
		t.Errorf("Bind() wrong")
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"fields", "a b c d e f g\n", "cdsltab:1: 7 fields"},
		{"relative", "\nbind /a var/run\n", `cdsltab:2: mount point "var/run" must be an absolute path`},
		{"count", "nfs s:/x /x rw three\n", `cdsltab:1: field 5 (mounttimes) must be a count, not "three"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("cdsltab", strings.NewReader(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	e := Entry{Line: 4, Source: "/x/%(nodeid)s/%(host)s"}
	if _, err := e.Expand(map[string]string{"nodeid": "1"}); err == nil || !strings.Contains(err.Error(), "line 4") || !strings.Contains(err.Error(), "unknown variable %(host)s (known: %(nodeid)s)") {
		t.Errorf("unknown variable: %v", err)
	}
	e.Source = "/x/%(nodeid"
	if _, err := e.Expand(map[string]string{"nodeid": "1"}); err == nil || !strings.Contains(err.Error(), "unterminated") {
		t.Errorf("unterminated: %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	entries, err := ReadFile(t.TempDir() + "/cdsltab")
	if err != nil || entries != nil {
		t.Errorf("missing file: %v %v", entries, err)
	}
}
