// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/open-sharedroot/osr/framework/listfile/distro"
)

// brief renders an item as "kind image [<- source | -> target] @origin" for comparison.
func brief(it Item) string {
	s := fmt.Sprintf("%s %s", it.Kind, it.ImagePath)
	switch {
	case it.Kind == KindSymlink:
		s += " -> " + it.Target
	case it.Source != "" && it.Source != it.ImagePath:
		s += " <- " + it.Source
	}
	if it.Mode != 0 {
		s += fmt.Sprintf(" %#o", it.Mode.Perm())
	}
	return s + " @" + it.Origin.String()
}

func briefs(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, brief(it))
	}
	return out
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name        string
		listfile    string
		query       Query
		want        []string
		wantMissing []string // errors, as "origin what"
		wantOpt     []string // optional missing, as "origin what"
		wantSkipped []string
	}{{
		name: "files and binaries follow links inside the root",
		listfile: `
file "/etc/os-release" {}
binary "sh" {}
binary "mount.nfs4" {}
binary "script-tool" {}
file "/usr/sbin/escape" { dest = "/bin/escaped-sh" }
`,
		want: []string{
			"file /etc/os-release @t.hcl:2",
			"symlink /usr/bin/sh -> dash @t.hcl:3",
			"binary /usr/bin/dash @t.hcl:3",
			"symlink /usr/sbin/mount.nfs4 -> mount.nfs @t.hcl:4",
			"binary /usr/sbin/mount.nfs @t.hcl:4",
			"file /usr/sbin/script-tool @t.hcl:5",
			"binary /bin/escaped-sh <- /usr/bin/dash @t.hcl:6",
		},
	}, {
		name: "directories: links kept, created, copied",
		listfile: `
directory "/bin" {}
directory "/proc" { mode = "0555" }
directory "/var/lib/gfs2" {}
directory "/etc/modprobe.d" { contents = true }
directory "/etc/modprobe.d" {
  contents = true
  dest     = "/lib/modprobe.d"
}
symlink "/init" { target = "usr/bin/osr" }
`,
		want: []string{
			"symlink /bin -> usr/bin @t.hcl:2",
			"directory /usr/bin @t.hcl:2",
			"directory /proc 0555 @t.hcl:3",
			"directory /var/lib/gfs2 @t.hcl:4",
			"directory /etc/modprobe.d @t.hcl:5",
			"file /etc/modprobe.d/osr.conf @t.hcl:5",
			"directory /etc/modprobe.d/sub @t.hcl:5",
			"file /etc/modprobe.d/sub/b.conf @t.hcl:5",
			"symlink /etc/modprobe.d/sub/link.conf -> ../osr.conf @t.hcl:5",
			"directory /lib/modprobe.d <- /etc/modprobe.d @t.hcl:6",
			"file /lib/modprobe.d/osr.conf <- /etc/modprobe.d/osr.conf @t.hcl:6",
			"directory /lib/modprobe.d/sub <- /etc/modprobe.d/sub @t.hcl:6",
			"file /lib/modprobe.d/sub/b.conf <- /etc/modprobe.d/sub/b.conf @t.hcl:6",
			"symlink /lib/modprobe.d/sub/link.conf -> ../osr.conf @t.hcl:6",
			"symlink /init -> usr/bin/osr @t.hcl:10",
		},
	}, {
		name:     "package through dpkg, docs dropped",
		listfile: `package "gfs2-utils" {}`,
		want: []string{
			"binary /usr/sbin/fsck.gfs2 @t.hcl:1",
			"file /usr/lib/udev/rules.d/82-gfs2-withdraw.rules @t.hcl:1",
			"directory /var/lib/gfs2 @t.hcl:1",
		},
		wantOpt: []string{"t.hcl:1 file /usr/sbin/gone"},
	}, {
		name: "package include and exclude match listed and resolved paths",
		listfile: `
package "gfs2-utils" {
  include          = ["/usr/sbin/fsck.*", "*.mo"]
  default_excludes = false
}
`,
		want: []string{
			"binary /usr/sbin/fsck.gfs2 @t.hcl:2",
			"file /usr/share/locale/de/LC_MESSAGES/gfs2-utils.mo @t.hcl:2",
		},
	}, {
		name: "package exclude",
		listfile: `package "gfs2-utils" {
  exclude = ["/usr/lib/udev", "gone"]
}`,
		want: []string{
			"binary /usr/sbin/fsck.gfs2 @t.hcl:1",
			"directory /var/lib/gfs2 @t.hcl:1",
		},
	}, {
		name: "missing required and optional entries",
		listfile: `
binary "corosync" { provided_by = "corosync" }
binary "dlm_tool" { optional = true }
file "/etc/cluster/cluster.conf" {}
package "ocfs2-tools" {}
file "/etc/modprobe.d" {}
directory "/etc/os-release" {}
directory "/nowhere" {
  contents = true
  optional = true
}
`,
		wantMissing: []string{
			`t.hcl:2 binary corosync`,
			`t.hcl:4 file /etc/cluster/cluster.conf`,
			`t.hcl:5 package ocfs2-tools`,
			`t.hcl:6 file /etc/modprobe.d`,
			`t.hcl:7 directory /etc/os-release`,
		},
		wantOpt: []string{"t.hcl:3 binary dlm_tool", "t.hcl:8 directory /nowhere"},
	}, {
		name: "conditions",
		listfile: `
when {
  distro = "fedora"
  binary "busybox" {}
}
when {
  distro = ["rhel", "debian"]
  driver = "gfs2"
  binary "fsck.gfs2" {}
  when {
    arch = "aarch64"
    binary "mount.nfs" {}
  }
  when {
    arch = ["x86_64"]
    fstype = ["gfs2"]
    binary "busybox" {}
  }
}
`,
		query: Query{Driver: "gfs2", FSType: "gfs2", Arch: "amd64"},
		want: []string{
			"binary /usr/sbin/fsck.gfs2 @t.hcl:9",
			"binary /usr/bin/busybox @t.hcl:17",
		},
		wantSkipped: []string{
			"t.hcl:4 distro debian 12 is none of fedora",
			"t.hcl:12 arch amd64 is none of arm64",
		},
	}, {
		name: "file-wide condition",
		listfile: `
listfile {
  description = "ocfs2 tools"
  driver = "ocfs2"
}
binary "fsck.ocfs2" {}
`,
		query: Query{Driver: "gfs2"},
	}, {
		name: "ubuntu matches debian through ID_LIKE",
		listfile: `
when {
  distro = "debian"
  binary "busybox" {}
}
`,
		query: Query{Distro: &distroUbuntu},
		want:  []string{"binary /usr/bin/busybox @t.hcl:4"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fakeRoot(t)
			set, diags := Load([]string{writeListfiles(t, map[string]string{"t.hcl": tt.listfile})}, "/")
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			q := tt.query
			q.Root = root
			if q.Arch == "" {
				q.Arch = "amd64"
			}
			items, report, err := set.Resolve(context.Background(), q)
			var me *MissingError
			var gotMissing []string
			if errors.As(err, &me) {
				for _, m := range me.Missing {
					gotMissing = append(gotMissing, m.Origin.String()+" "+m.What)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantMissing, gotMissing); diff != "" {
				t.Errorf("missing (-want +got):\n%s\n%v", diff, err)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, briefs(items)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			var gotOpt, gotSkipped []string
			for _, m := range report.Optional {
				gotOpt = append(gotOpt, m.Origin.String()+" "+m.What)
			}
			for _, s := range report.Skipped {
				gotSkipped = append(gotSkipped, s.Origin.String()+" "+s.Why)
			}
			if diff := cmp.Diff(tt.wantOpt, gotOpt); diff != "" {
				t.Errorf("optional missing (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkipped, gotSkipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
		})
	}
}

var distroUbuntu = distro.Distro{ID: "ubuntu", Like: []string{"debian"}, VersionID: "24.04"}
