// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
)

// mountCall is one call of the mount seam.
type mountCall struct {
	Source, Target, FSType string
	Flags                  uintptr
	Data                   string
}

// fakeMount records mount calls and fails the first fails of them.
type fakeMount struct {
	calls  []mountCall
	fails  int
	sleeps []time.Duration
}

func (f *fakeMount) binder() cdslBinder {
	return cdslBinder{
		mount: func(source, target, fstype string, flags uintptr, data string) error {
			f.calls = append(f.calls, mountCall{source, target, fstype, flags, data})
			if f.fails > 0 {
				f.fails--
				return unix.ENODEV
			}
			return nil
		},
		sleep: func(d time.Duration) { f.sleeps = append(f.sleeps, d) },
	}
}

// cdslRoot makes a root with an inventory of settings s and the node dirs.
func cdslRoot(t *testing.T, s inventory.Settings, dirs ...string) string {
	t.Helper()
	root := t.TempDir()
	inv := &inventory.Inventory{Version: inventory.Version2, Settings: s}
	write(t, root, inventory.V2File, string(inventory.Marshal(inv)))
	for _, d := range append(dirs, s.DefaultDir) {
		if err := os.MkdirAll(filepath.Join(root, s.Tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func write(t *testing.T, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBind(t *testing.T) {
	byID := inventory.V2Defaults()
	prefixed := inventory.V2Defaults()
	prefixed.NodePrefix = "node_"
	byName := inventory.V2Defaults()
	byName.UseNodeIDs = false
	v1 := inventory.V1Defaults()
	tests := []struct {
		name     string
		settings inventory.Settings
		dirs     []string
		node     boot.Node
		wantSrc  string // relative to the root
		wantLink string
		wantErr  string
	}{
		{"by id", byID, []string{"1", "2"}, boot.Node{ID: 2, Name: "n2"}, ".cluster/cdsl/2", ".cdsl.local", ""},
		{"by id with a prefix", prefixed, []string{"node_1", "node_2"}, boot.Node{ID: 1, Name: "n1"}, ".cluster/cdsl/node_1", ".cdsl.local", ""},
		{"by name", byName, []string{"n1", "n2"}, boot.Node{ID: 2, Name: "n2"}, ".cluster/cdsl/n2", ".cdsl.local", ""},
		{"v1 layout", v1, []string{"1"}, boot.Node{ID: 1}, "cluster/cdsl/1", "cdsl.local", ""},
		{"no tree for the node", byID, []string{"1"}, boot.Node{ID: 3, Name: "n3"}, "", "", "node 3 (n3) has no CDSL tree"},
		{"id unknown, dirs by id", byID, []string{"1"}, boot.Node{Name: "n1"}, "", "", "names node directories by node ids, and node n1 lacks one"},
		{"name unknown, dirs by name", byName, []string{"n1"}, boot.Node{ID: 1}, "", "", "names node directories by node names, and node 1 lacks one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := cdslRoot(t, tt.settings, tt.dirs...)
			if tt.settings.Tree == "cluster/cdsl" {
				// The v1 inventory lives under var/lib/cdsl.
				if err := os.Rename(filepath.Join(root, inventory.V2File), filepath.Join(root, "inv")); err != nil {
					t.Fatal(err)
				}
				write(t, root, inventory.V1File, mustRead(t, filepath.Join(root, "inv")))
				os.Remove(filepath.Join(root, "inv"))
			}
			var fm fakeMount
			did, err := fm.binder().Bind(context.Background(), root, tt.node, boot.BindOptions{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Bind() error = %v; want %q", err, tt.wantErr)
				}
				if len(fm.calls) != 0 {
					t.Errorf("mounted %v despite the error", fm.calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			src, link := filepath.Join(root, tt.wantSrc), filepath.Join(root, tt.wantLink)
			want := []mountCall{{Source: src, Target: link, Flags: unix.MS_BIND | unix.MS_REC}}
			if diff := cmp.Diff(want, fm.calls); diff != "" {
				t.Errorf("mounts (-want +got):\n%s", diff)
			}
			if did != fmt.Sprintf("bound %s on %s", src, link) {
				t.Errorf("Bind() = %q", did)
			}
			if st, err := os.Stat(link); err != nil || !st.IsDir() {
				t.Errorf("link dir not created: %v", err)
			}
		})
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A link dir that is a symlink out of the root is followed inside the root.
func TestBindStaysInTheRoot(t *testing.T) {
	root := cdslRoot(t, inventory.V2Defaults(), "1")
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, ".cdsl.local")); err != nil {
		t.Fatal(err)
	}
	var fm fakeMount
	if _, err := fm.binder().Bind(context.Background(), root, boot.Node{ID: 1}, boot.BindOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(fm.calls) != 1 || !strings.HasPrefix(fm.calls[0].Target, root+"/") {
		t.Errorf("mounts %v; want the target inside %s", fm.calls, root)
	}
}

func TestBindWithoutInventory(t *testing.T) {
	var fm fakeMount
	_, err := fm.binder().Bind(context.Background(), t.TempDir(), boot.Node{ID: 1}, boot.BindOptions{})
	if err == nil || !strings.Contains(err.Error(), "osr cdsl init") {
		t.Errorf("Bind() error = %v; want advice to run osr cdsl init", err)
	}
}

func TestMountTab(t *testing.T) {
	root := t.TempDir()
	write(t, root, "etc/cdsltab", strings.Join([]string{
		"# mounted by the init",
		"bind /.cluster/cdsl/%(nodeid)s/var/run /var/run __initrd",
		"rbind /.cluster/shared/%(nodename)s /srv/%(nodename)s __initrd,ro",
		"nfs srv:/export/%(nodename)s /mnt/data __initrd,vers=4 3 2",
		"# a CDSL filesystem's line, and one for the running system",
		"/mnt/data __initrd",
		"bind /.cluster/cdsl/%(nodeid)s/var/log /var/log",
	}, "\n")+"\n")
	// /var/run is an absolute symlink, as on Debian: it names the root's /run.
	for _, d := range []string{"run", "var", ".cluster/cdsl/2/var/run", ".cluster/shared/n2", "srv/n2", "mnt/data"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/run", filepath.Join(root, "var/run")); err != nil {
		t.Fatal(err)
	}
	fm := fakeMount{fails: 2}
	// The first two calls fail: the bind is not retried (mounttimes 1), so it
	// fails the step; then the nfs entry succeeds on its third try.
	did, err := fm.binder().MountTab(context.Background(), root, boot.Node{ID: 2, Name: "n2"})
	if err == nil || !strings.Contains(err.Error(), root+"/etc/cdsltab line 2: mount "+root+"/.cluster/cdsl/2/var/run on "+root+"/run") {
		t.Errorf("MountTab() error = %v", err)
	}
	if len(did) != 0 {
		t.Errorf("done %v after the first entry failed", did)
	}

	fm = fakeMount{}
	_, err = fm.binder().MountTab(context.Background(), root, boot.Node{ID: 2, Name: "n2"})
	if err != nil {
		t.Fatal(err)
	}
	want := []mountCall{
		{Source: root + "/.cluster/cdsl/2/var/run", Target: root + "/run", Flags: unix.MS_BIND},
		{Source: root + "/.cluster/shared/n2", Target: root + "/srv/n2", Flags: unix.MS_BIND | unix.MS_REC, Data: "ro"},
		{Source: "srv:/export/n2", Target: root + "/mnt/data", FSType: "nfs", Data: "vers=4"},
	}
	if diff := cmp.Diff(want, fm.calls); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
}

func TestMountTabRetries(t *testing.T) {
	root := t.TempDir()
	write(t, root, "etc/cdsltab", "nfs srv:/export /mnt/data __initrd 3 2\n")
	tests := []struct {
		fails      int
		wantCalls  int
		wantSleeps []time.Duration
		wantErr    bool
	}{
		{0, 1, nil, false},
		{2, 3, []time.Duration{2 * time.Second, 2 * time.Second}, false},
		{3, 3, []time.Duration{2 * time.Second, 2 * time.Second}, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d failures", tt.fails), func(t *testing.T) {
			fm := fakeMount{fails: tt.fails}
			did, err := fm.binder().MountTab(context.Background(), root, boot.Node{ID: 1})
			if (err != nil) != tt.wantErr {
				t.Fatalf("MountTab() error = %v; want error %v", err, tt.wantErr)
			}
			if err != nil && (!errors.Is(err, unix.ENODEV) || !strings.Contains(err.Error(), "3 tries")) {
				t.Errorf("error = %v; want the last failure after 3 tries", err)
			}
			if len(fm.calls) != tt.wantCalls || !cmp.Equal(fm.sleeps, tt.wantSleeps) || (err == nil) != (len(did) == 1) {
				t.Errorf("calls %d, sleeps %v, done %v", len(fm.calls), fm.sleeps, did)
			}
		})
	}
}

func TestMountTabMissingOrBad(t *testing.T) {
	var fm fakeMount
	did, err := fm.binder().MountTab(context.Background(), t.TempDir(), boot.Node{ID: 1})
	if err != nil || len(did) != 0 {
		t.Errorf("no cdsltab: %v, %v; want nothing to do", did, err)
	}
	root := t.TempDir()
	write(t, root, "etc/cdsltab", "bind /x/%(nodenumber)s /y __initrd\n")
	_, err = fm.binder().MountTab(context.Background(), root, boot.Node{ID: 1})
	if err == nil || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), "%(nodenumber)s") {
		t.Errorf("unknown variable: error = %v", err)
	}
}

// The node's extra filesystems (com_info/filesystems) are mounted with
// %(param0)s as the node id, and the cdsltab is then not read, as in the
// originals' init.
func TestMountTabFilesystems(t *testing.T) {
	root := t.TempDir()
	write(t, root, "etc/cdsltab", "bind /.cluster/cdsl/%(nodeid)s/var/run /var/run __initrd\n")
	for _, d := range []string{".cluster/cdsl/3/var", "var", "scratch", "data"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	node := boot.Node{ID: 3, Name: "n3", Filesystems: []boot.Filesystem{
		{Source: "/.cluster/cdsl/%(param0)s/var", Dest: "/var", FSType: "bind", MountTimes: 1, Where: "c.conf:7"},
		{Source: "none", Dest: "/scratch", FSType: "tmpfs", MountOpts: "defaults,size=16m", MountTimes: 1, Where: "c.conf:8"},
		{Source: "/dev/vg/data_%(nodename)s", Dest: "/data", FSType: "ext4", MountOpts: "noatime", MountTimes: 3, MountWait: 5, Where: "c.conf:9"},
	}}
	fm := fakeMount{fails: 1}
	did, err := fm.binder().MountTab(context.Background(), root, node)
	if err == nil || !strings.Contains(err.Error(), "the filesystem at c.conf:7: mount "+root+"/.cluster/cdsl/3/var on "+root+"/var") {
		t.Errorf("a failing bind (1 try): error = %v, done %v", err, did)
	}
	fm = fakeMount{fails: 0}
	did, err = fm.binder().MountTab(context.Background(), root, node)
	if err != nil {
		t.Fatal(err)
	}
	want := []mountCall{
		{Source: root + "/.cluster/cdsl/3/var", Target: root + "/var", Flags: unix.MS_BIND},
		{Source: "none", Target: root + "/scratch", FSType: "tmpfs", Data: "size=16m"},
		{Source: "/dev/vg/data_n3", Target: root + "/data", FSType: "ext4", Data: "noatime"},
	}
	if diff := cmp.Diff(want, fm.calls); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	if len(did) != 3 || !strings.Contains(did[1], "none on "+root+"/scratch (the filesystem at c.conf:8)") {
		t.Errorf("done %q", did)
	}

	bad := boot.Node{ID: 3, Filesystems: []boot.Filesystem{{Source: "/x/%(param1)s", Dest: "/x", FSType: "bind", Where: "c.conf:4"}}}
	if _, err := fm.binder().MountTab(context.Background(), root, bad); err == nil ||
		!strings.Contains(err.Error(), "c.conf:4") || !strings.Contains(err.Error(), "%(param1)s") {
		t.Errorf("unknown variable: error = %v", err)
	}
}

// Under an overlay the node's tree comes from the shared root below it and
// is bound onto the link dir of the overlay root, then made writable.
func TestBindFromTheLower(t *testing.T) {
	lower := cdslRoot(t, inventory.V2Defaults(), "1")
	root := cdslRoot(t, inventory.V2Defaults(), "1") // the overlay shows the same tree
	var fm fakeMount
	did, err := fm.binder().Bind(context.Background(), root, boot.Node{ID: 1}, boot.BindOptions{Tree: lower, Writable: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []mountCall{
		{Source: filepath.Join(lower, ".cluster/cdsl/1"), Target: filepath.Join(root, ".cdsl.local"), Flags: unix.MS_BIND | unix.MS_REC},
		{Target: filepath.Join(root, ".cdsl.local"), Flags: unix.MS_REMOUNT | unix.MS_BIND},
	}
	if diff := cmp.Diff(want, fm.calls); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(did, "writable") {
		t.Errorf("Bind() = %q; want it to say the tree is writable", did)
	}
}
