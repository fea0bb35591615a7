// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// renderListfiles exercise every kind of item, a drop-in, an optional miss and
// left-out entries.
var renderListfiles = map[string]string{
	"base.hcl": `
listfile {
  description = "test base"
}
directory "/bin" {}
directory "/proc" {
  mode = "0555"
}
file "/etc/os-release" {}
binary "sh" {}
symlink "/init" {
  target = "usr/bin/osr"
}
binary "ping" {
  optional    = true
  provided_by = { debian = "iputils-ping", fedora = "iputils" }
}
`,
	"gfs2.hcl": `
listfile {
  driver = "gfs2"
}
package "gfs2-utils" {}
when {
  distro = "fedora"
  binary "dlm_controld" {}
}
`,
	"nfs.hcl": `
listfile {
  driver = "nfs"
}
binary "mount.nfs" {}
`,
	"modprobe.hcl": `
directory "/etc/modprobe.d" {
  contents = true
  dest     = "/usr/lib/modprobe.d"
}
`,
}

func renderFixture(t *testing.T) ([]Item, Report, func(string) string) {
	t.Helper()
	root := fakeRoot(t)
	dir := writeListfiles(t, renderListfiles)
	set, diags := Load([]string{dir}, "/")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	items, report, err := set.Resolve(context.Background(), Query{Root: root, Driver: "gfs2", FSType: "gfs2", Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	clean := func(s string) string {
		return strings.NewReplacer(root, "$ROOT", dir, "$LISTFILES").Replace(s)
	}
	return items, report, clean
}

func TestWriteText(t *testing.T) {
	items, report, clean := renderFixture(t)
	for _, tt := range []struct {
		name string
		opts TextOptions
	}{{"text.golden", TextOptions{}}, {"text-skipped.golden", TextOptions{Skipped: true}}} {
		var buf bytes.Buffer
		if err := WriteText(&buf, items, report, tt.opts); err != nil {
			t.Fatal(err)
		}
		golden(t, "render/"+tt.name, []byte(clean(buf.String())))
	}
}

func TestWriteJSON(t *testing.T) {
	items, report, clean := renderFixture(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, items, report); err != nil {
		t.Fatal(err)
	}
	golden(t, "render/json.golden", []byte(clean(buf.String())))
	var back struct {
		Report Report
		Items  []Item
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Items) != len(items) || back.Report.Distro.ID != "debian" {
		t.Errorf("JSON round trip lost data: %d items, distro %q", len(back.Items), back.Report.Distro.ID)
	}
}

// TestWriteTextOtherOrigins shows items that another part of a build adds
// (a driver's plan) beside listfile items.
func TestWriteTextOtherOrigins(t *testing.T) {
	items := []Item{{Kind: KindBinary, ImagePath: "/usr/libexec/osr/drivers/osr-driver-gfs2", Source: "/usr/libexec/osr/drivers/osr-driver-gfs2", Origin: Origin{Source: "driver gfs2"}}}
	var buf bytes.Buffer
	if err := WriteText(&buf, items, Report{Root: "/", Arch: "amd64", Driver: "gfs2"}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "binary  /usr/libexec/osr/drivers/osr-driver-gfs2  -     driver gfs2\n") {
		t.Errorf("driver item not shown with its origin:\n%s", buf.String())
	}
	if !strings.HasSuffix(buf.String(), "\n1 item: 1 binary\n") {
		t.Errorf("summary:\n%s", buf.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextError(t *testing.T) {
	if err := WriteText(failingWriter{}, nil, Report{}, TextOptions{}); err == nil || err.Error() != "disk full" {
		t.Errorf("WriteText to a failing writer: %v, want disk full", err)
	}
}
