// SPDX-License-Identifier: Apache-2.0

package pxe

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/internal/goldenfile"
)

// bootFiles makes a kernel and an initrd to copy.
func bootFiles(t *testing.T) (kernel, initrd string) {
	t.Helper()
	dir := t.TempDir()
	kernel, initrd = filepath.Join(dir, "vmlinuz-6.1.0-osr"), filepath.Join(dir, "initrd_sr-6.1.0-osr.img")
	if err := os.WriteFile(kernel, []byte("a kernel"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(initrd, bytes.Repeat([]byte("initrd "), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	return kernel, initrd
}

func load(t *testing.T, name string) *cluster.Cluster {
	t.Helper()
	c, err := cluster.Load(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The written tree, every entry compared with its golden file, the copies
// byte for byte.
func TestWriteGolden(t *testing.T) {
	kernel, initrd := bootFiles(t)
	out := filepath.Join(t.TempDir(), "tftp")
	plan, err := MakePlan(load(t, "cluster.conf"), Options{Kernel: kernel, Initrd: initrd, Output: out, Append: []string{"console=ttyS0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Write(); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := []string{
		"boot/grub/grub.cfg-01-52-54-00-ab-00-01", "boot/grub/grub.cfg-01-52-54-00-ab-00-02",
		"boot/grub/grub.cfg-01-52-54-00-ab-00-03", "boot/grub/grub.cfg-01-52-54-00-ab-01-03",
		"initrd_sr-6.1.0-osr.img",
		"ipxe/52-54-00-ab-00-01.ipxe", "ipxe/52-54-00-ab-00-02.ipxe", "ipxe/52-54-00-ab-00-03.ipxe", "ipxe/52-54-00-ab-01-03.ipxe",
		"ipxe/menu.ipxe",
		"pxelinux.cfg/01-52-54-00-ab-00-01", "pxelinux.cfg/01-52-54-00-ab-00-02", "pxelinux.cfg/01-52-54-00-ab-00-03", "pxelinux.cfg/01-52-54-00-ab-01-03",
		"vmlinuz-6.1.0-osr",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("files written (-want +got):\n%s", diff)
	}
	for _, f := range []string{kernel, initrd} {
		a, _ := os.ReadFile(f)
		b, _ := os.ReadFile(filepath.Join(out, filepath.Base(f)))
		if !bytes.Equal(a, b) {
			t.Errorf("copy of %s differs", f)
		}
	}
	// One golden file holds every entry, in the order written.
	var all bytes.Buffer
	for _, rel := range got {
		if strings.HasPrefix(rel, "vmlinuz") || strings.HasPrefix(rel, "initrd") {
			continue
		}
		data, _ := os.ReadFile(filepath.Join(out, rel))
		all.WriteString("=== " + rel + "\n")
		all.Write(data)
	}
	golden(t, "entries.golden", all.Bytes())

	var sum bytes.Buffer
	if err := plan.Summary(&sum); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.golden", bytes.ReplaceAll(bytes.ReplaceAll(sum.Bytes(), []byte(filepath.Dir(kernel)), []byte("SRC")), []byte(out), []byte("OUT")))
}

// golden compares got with testdata/name; go test -update rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func TestIPParam(t *testing.T) {
	c := load(t, "cluster.conf")
	tests := []struct {
		node, nic, want string
	}{
		{"web1", "eth0", "10.0.0.11::10.0.0.254:255.255.255.0:web1:eth0:off"},
		{"web2", "eth0", "eth0:dhcp"},
		{"db1", "eth0", "cluster"}, // a bond slave: ip= cannot say it
	}
	for _, tt := range tests {
		n, _ := c.NodeByName(tt.node)
		nic, _ := n.NIC(tt.nic)
		if got := ipParam(n, nic); got != tt.want {
			t.Errorf("%s %s: ip=%s, want %s", tt.node, tt.nic, got, tt.want)
		}
	}
}

// What cannot make a boot entry is refused, naming the file and line.
func TestMakePlanRefuses(t *testing.T) {
	kernel, initrd := bootFiles(t)
	node := func(attrs, eth string) string {
		return `<clusternode ` + attrs + `><com_info><rootvolume name="/dev/sda" fstype="gfs2"/>` + eth + "</com_info></clusternode>\n"
	}
	tests := []struct {
		name, nodes string
		opts        func(*Options)
		want        []string
	}{
		{"bad MAC", node(`name="a" nodeid="1"`, `<eth name="eth0" mac="52:54:00:zz:00:01"/>`), nil,
			[]string{`c.conf:3: node "a": interface eth0: malformed MAC address "52:54:00:zz:00:01"`}},
		{"broadcast MAC", node(`name="a" nodeid="1"`, `<eth name="eth0" mac="ff:ff:ff:ff:ff:ff"/>`), nil,
			[]string{`c.conf:3: node "a": interface eth0: MAC address "ff:ff:ff:ff:ff:ff" is the broadcast address`}},
		{"duplicate MAC", node(`name="a" nodeid="1"`, `<eth name="eth0" mac="52:54:00:00:00:01"/>`) + node(`name="b" nodeid="2"`, `<eth name="eth0" mac="52-54-00-00-00-01"/>`), nil,
			[]string{`c.conf:4: node "b": interface eth0: MAC 52-54-00-00-00-01 is also on node "a" interface eth0 (line 3)`}},
		{"duplicate node", node(`name="a" nodeid="1"`, `<eth name="eth0" mac="52:54:00:00:00:01"/>`) + node(`name="a" nodeid="2"`, `<eth name="eth0" mac="52:54:00:00:00:02"/>`), nil,
			[]string{`c.conf:4: node "a": the name is already used by the node at line 3`}},
		{"duplicate node id", node(`name="a" nodeid="1"`, `<eth name="eth0" mac="52:54:00:00:00:01"/>`) + node(`name="b" nodeid="1"`, `<eth name="eth0" mac="52:54:00:00:00:02"/>`), nil,
			[]string{`c.conf:4: node "b": node id 1 is already used by node "a" (line 3)`}},
		{"node without MAC", node(`name="a" nodeid="1"`, `<eth name="eth0" ip="10.0.0.1"/>`), nil,
			[]string{`c.conf:3: node "a": no NIC with a MAC`}},
		{"root with a space", `<clusternode name="a" nodeid="1"><com_info><rootvolume name="/dev/my disk" fstype="gfs2"/><eth name="eth0" mac="52:54:00:00:00:01"/></com_info></clusternode>`, nil,
			[]string{`node "a": kernel parameter "root=/dev/my disk": contains white space`}},
		{"missing kernel", node(`name="a" nodeid="1"`, `<eth name="eth0" mac="52:54:00:00:00:01"/>`), func(o *Options) { o.Kernel = "/nonexistent/vmlinuz" },
			[]string{`kernel: stat /nonexistent/vmlinuz: no such file or directory`}},
		{"bad append", node(`name="a" nodeid="1"`, `<eth name="eth0" mac="52:54:00:00:00:01"/>`), func(o *Options) { o.Append = []string{"a;reboot"} },
			[]string{`--append "a;reboot"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cluster.Parse("c.conf", []byte("<cluster name=\"c\">\n<clusternodes>\n"+tt.nodes+"</clusternodes></cluster>"))
			if err != nil {
				t.Fatal(err)
			}
			o := Options{Kernel: kernel, Initrd: initrd, Output: t.TempDir()}
			if tt.opts != nil {
				tt.opts(&o)
			}
			_, err = MakePlan(c, o)
			if err == nil {
				t.Fatal("MakePlan succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}
