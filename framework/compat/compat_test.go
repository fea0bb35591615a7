// SPDX-License-Identifier: Apache-2.0

package compat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cdsl"
)

func TestTranslate(t *testing.T) {
	tests := []struct {
		name  string
		argv  []string
		want  []string
		warns int
	}{
		{"query defaults", []string{"com-queryclusterconf", "nodeids"},
			[]string{"cluster", "query", "--", "nodeids"}, 0},
		{"query initrd batch", []string{"/usr/bin/com-queryclusterconf", "--filename", "/etc/cluster/cluster.conf", "--querymapfile", "/etc/comoonics/querymap.cfg", "-q", "--queriesfile=-", "--suffix=;"},
			[]string{"cluster", "query", "--cluster=/etc/cluster/cluster.conf", "--querymapfile=/etc/comoonics/querymap.cfg", "--queriesfile=-", "--suffix=;", "--"}, 0},
		{"query short clustered", []string{"com-queryclusterconf", "-qVc", "c.conf", "-s,", "ip", "gfs-node1", "eth0", "query=", "nodeids"},
			[]string{"cluster", "query", "--validate", "--cluster=c.conf", "--separator=,", "--", "ip", "gfs-node1", "eth0", "query=", "nodeids"}, 0},
		{"query abbreviated long", []string{"com-queryclusterconf", "--clusterc=x.conf", "--prefi=>", "nodeids"},
			[]string{"cluster", "query", "--cluster=x.conf", "--prefix=>", "--", "nodeids"}, 0},
		{"query pretty, properties, evalparams", []string{"com-queryclusterconf", "-YpE", "query_xml", "/cluster"},
			[]string{"cluster", "query", "--pretty", "--properties", "--evalparams", "--", "query_xml", "/cluster"}, 0},
		{"mkcdsl hostdependent and shared", []string{"com-mkcdsl", "--hostdependent", "/dir_foo", "--shared", "/dir_foo/file_bar"},
			[]string{"cdsl", "add", "-a", "/dir_foo", "-s", "/dir_foo/file_bar"}, 0},
		{"mkcdsl base options and nodes", []string{"com-mkcdsl", "-r", "/mnt/root", "-i", "inv.xml", "-b", "-a", "/var/log", "1", "2"},
			[]string{"cdsl", "add", "--root=/mnt/root", "--inventory=inv.xml", "--backup", "-a", "/var/log", "1", "2"}, 0},
		{"mkcdsl noexecute verbose", []string{"com-mkcdsl", "-nd", "-a", "var/tmp"},
			[]string{"cdsl", "add", "--dry-run", "--log-level=debug", "-a", "var/tmp"}, 0},
		{"mkcdsl resolved warns", []string{"com-mkcdsl", "-S", "-a", "/x"},
			[]string{"cdsl", "add", "-a", "/x"}, 1},
		{"rmcdsl recursive reallyforce", []string{"com-rmcdsl", "-R", "-F", "/var/log", "/var/tmp"},
			[]string{"cdsl", "rm", "--recursive", "--purge", "--", "/var/log", "/var/tmp"}, 0},
		{"rmcdsl force", []string{"com-rmcdsl", "--force", "--mountpoint=/mnt/data", "x"},
			[]string{"cdsl", "rm", "--force", "--mountpoint=/mnt/data", "--", "x"}, 0},
		{"cdslinvchk update filesystem", []string{"com-cdslinvchk", "-U", "-f"},
			[]string{"cdsl", "check", "--repair", "--scan"}, 0},
		{"cdslinvchk layout ignored", []string{"com-cdslinvchk", "-t", ".cluster/cdsl"},
			[]string{"cdsl", "check"}, 1},
		{"cdslinvadm default create", []string{"com-cdslinvadm", "--maxnodeidnum=3"},
			[]string{"cdsl", "init", "--nodes=3"}, 0},
		{"cdslinvadm create word", []string{"com-cdslinvadm", "-r", "/r", "create", "-M", "2", "-t", "t", "-s", "s", "-L", "l", "-D", "d", "-N"},
			[]string{"cdsl", "init", "--root=/r", "--nodes=2", "--tree=t", "--shared-tree=s", "--link=l", "--default-dir=d", "--node-names"}, 0},
		{"cdslinvadm get option", []string{"com-cdslinvadm", "--get", "tree"},
			[]string{"cdsl", "list", "--setting=tree"}, 0},
		{"cdslinvadm get word", []string{"com-cdslinvadm", "get", "link"},
			[]string{"cdsl", "list", "--setting=link"}, 0},
		{"cdslinvadm list", []string{"com-cdslinvadm", "--list"},
			[]string{"cdsl", "list", "--settings"}, 0},
		{"cdslinvadm list xml", []string{"com-cdslinvadm", "-l", "-X"},
			[]string{"cdsl", "list", "--json"}, 0},
		{"cdslinvadm listcdsls", []string{"com-cdslinvadm", "listcdsls"},
			[]string{"cdsl", "list"}, 0},
		{"cdslinvadm getcdsl recursive by default", []string{"com-cdslinvadm", "getcdsl", "/var/log/x"},
			[]string{"cdsl", "get", "--recursive", "--", "/var/log/x"}, 0},
		{"cdslinvadm getcdsl -R toggles off", []string{"com-cdslinvadm", "-G", "-R", "/var/log"},
			[]string{"cdsl", "get", "--", "/var/log"}, 0},
		{"cdslinvadm addnode", []string{"com-cdslinvadm", "addnode", "4"},
			[]string{"cdsl", "nodes", "add", "4"}, 0},
		{"cdslinvadm deletenode force", []string{"com-cdslinvadm", "-f", "-O", "4"},
			[]string{"cdsl", "nodes", "--purge", "remove", "4"}, 0},
		{"cdslinvadm delete", []string{"com-cdslinvadm", "delete"},
			[]string{"cdsl", "destroy"}, 0},
		{"cdslinvadm migrate source", []string{"com-cdslinvadm", "--migrate", "-S", "var/lib/cdsl/cdsl_inventory.xml"},
			[]string{"cdsl", "migrate", "--inventory=var/lib/cdsl/cdsl_inventory.xml"}, 0},
		{"mkcdslinfrastructure v1", []string{"com-mkcdslinfrastructure", "-m", "3", "-t", "cluster/cdsl", "-d", "default", "-l", "/var/lib/cdsl/cdsl_inventory.xml"},
			[]string{"cdsl", "init", "--layout=v1", "--inventory=/var/lib/cdsl/cdsl_inventory.xml", "--nodes=3", "--tree=cluster/cdsl", "--default-dir=default"}, 0},
		{"mkinitrd typical", []string{"/opt/atix/comoonics-bootimage/mkinitrd", "-f", "/boot/initrd_sr-6.1.0-28-amd64.img", "6.1.0-28-amd64"},
			[]string{"build", "--kernel=6.1.0-28-amd64", "--output=/boot/initrd_sr-6.1.0-28-amd64.img"}, 0},
		{"mkinitrd lite modules verbose", []string{"mkinitrd", "-V", "-l", "-M", "e1000", "-Mvirtio_net", "-f", "x.img"},
			[]string{"build", "--log-level=info", "--host-only", "--module=e1000", "--module=virtio_net", "--output=x.img"}, 0},
		{"mkinitrd ignored options", []string{"mkinitrd", "-F", "-R", "-c", "-p", "-P", "-d", "basefiles.list", "-f", "x.img"},
			[]string{"build", "--output=x.img"}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Translate(tt.argv[0], tt.argv[1:], Defaults{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(inv.Args, tt.want) {
				t.Errorf("args\n got %q\nwant %q", inv.Args, tt.want)
			}
			if len(inv.Warnings) != tt.warns {
				t.Errorf("warnings %q, want %d", inv.Warnings, tt.warns)
			}
		})
	}
}

func TestTranslateRefuses(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"unknown short", []string{"com-mkcdsl", "-z"}, "no such option: -z"},
		{"unknown long", []string{"com-rmcdsl", "--frobnicate"}, "no such option: --frobnicate"},
		{"ambiguous long", []string{"com-queryclusterconf", "--s=x"}, "ambiguous option: --s"},
		{"missing value", []string{"com-queryclusterconf", "-f"}, "option -f requires an argument"},
		{"switch with value", []string{"com-mkcdsl", "--backup=yes"}, "takes no value"},
		{"invadm set", []string{"com-cdslinvadm", "set", "tree", "x"}, "does not change the settings"},
		{"invadm two commands", []string{"com-cdslinvadm", "-l", "-x"}, "two commands given"},
		{"invadm get without key", []string{"com-cdslinvadm", "get"}, "get takes 1 argument"},
		{"mkinitrd update mode", []string{"mkinitrd", "-U", "x.img"}, "update mode is not supported"},
		{"mkinitrd ext2", []string{"mkinitrd", "-o", "x.img"}, "ext2 ramdisk"},
		{"mkinitrd no name", []string{"mkinitrd", "-f"}, "no initrd name"},
		{"mkinitrd two kernels", []string{"mkinitrd", "x.img", "6.1", "6.2"}, "more than one kernel"},
		{"not an original", []string{"ls"}, "not a command of the original tools"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Translate(tt.argv[0], tt.argv[1:], Defaults{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestMkinitrdHandsDashDashToDistro(t *testing.T) {
	inv, err := Translate("mkinitrd", []string{"--with=foo", "/boot/initrd.img", "6.1"}, Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{DistroMkinitrd, "--with=foo", "/boot/initrd.img", "6.1"}
	if !reflect.DeepEqual(inv.Exec, want) || inv.Args != nil {
		t.Fatalf("exec %q args %q, want exec %q", inv.Exec, inv.Args, want)
	}
}

func TestMkinitrdRefusesExistingWithoutForce(t *testing.T) {
	img := filepath.Join(t.TempDir(), "initrd_sr.img")
	inv, err := Translate("mkinitrd", []string{img}, Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.Precheck(); err != nil {
		t.Fatalf("no image yet: %v", err)
	}
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := inv.Precheck(); err == nil || !strings.Contains(err.Error(), "give -f") {
		t.Fatalf("existing image: %v", err)
	}
	forced, err := Translate("mkinitrd", []string{"-f", img}, Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	if err := forced.Precheck(); err != nil {
		t.Fatalf("-f: %v", err)
	}
}

func TestExitCodes(t *testing.T) {
	other := errors.New("disk full")
	tests := []struct {
		tool string
		err  error
		want int
	}{
		{"com-rmcdsl", fmt.Errorf("/x: %w", cdsl.ErrNotCDSL), 1},
		{"com-rmcdsl", fmt.Errorf("/x: %w", cdsl.ErrHasNested), 1},
		{"com-rmcdsl", other, 2},
		{"com-cdslinvadm", fmt.Errorf("the node set: %w", cdsl.ErrNoNodes), 4},
		{"com-cdslinvadm", other, 1},
		{"com-mkcdsl", fmt.Errorf("x: %w", cdsl.ErrExists), 1},
		{"com-cdslinvchk", other, 1},
		{"com-queryclusterconf", other, 1},
		{"mkinitrd", other, 1},
	}
	for _, tt := range tests {
		t.Run(tt.tool+"/"+tt.err.Error(), func(t *testing.T) {
			args := []string{"x"}
			switch tt.tool {
			case "com-cdslinvadm", "com-cdslinvchk":
				args = nil
			}
			inv, err := Translate(tt.tool, args, Defaults{})
			if err != nil {
				t.Fatal(err)
			}
			if got := inv.ExitCode(tt.err); got != tt.want {
				t.Fatalf("exit %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSettingsFiles(t *testing.T) {
	dir := t.TempDir()
	sys := filepath.Join(dir, "cdsl.cfg")
	user := filepath.Join(dir, "user.cfg")
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(sys, "# site defaults\nroot = /mnt/sharedroot\ninventoryfile: .cdsl_inventory.xml\nfrobnicate = 1\n[com-rmcdsl]\nrecursive = true\n[mkcdsl]\nbackup = yes\n")
	write(user, "[DEFAULT]\nroot = /srv/root\nnoexecute = false\n")
	d := Defaults{Files: map[string][]string{"cdsl": {sys, filepath.Join(dir, "missing.cfg"), user}}}

	inv, err := Translate("com-mkcdsl", []string{"-a", "/var/log"}, d)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cdsl", "add", "--root=/mnt/sharedroot", "--inventory=.cdsl_inventory.xml", "--backup", "--root=/srv/root", "-a", "/var/log"}
	if !reflect.DeepEqual(inv.Args, want) {
		t.Errorf("args\n got %q\nwant %q", inv.Args, want)
	}
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], sys+":4:") || !strings.Contains(inv.Warnings[0], "frobnicate") {
		t.Errorf("warnings %q, want one naming %s:4 and frobnicate", inv.Warnings, sys)
	}

	// The command line comes last, so it wins; a section of another tool does not apply.
	inv, err = Translate("com-rmcdsl", []string{"-r", "/cmdline", "x"}, d)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"cdsl", "rm", "--root=/mnt/sharedroot", "--inventory=.cdsl_inventory.xml", "--recursive", "--root=/srv/root", "--root=/cmdline", "--", "x"}
	if !reflect.DeepEqual(inv.Args, want) {
		t.Errorf("args\n got %q\nwant %q", inv.Args, want)
	}

	write(user, "recursive = maybe\n")
	if _, err := Translate("com-rmcdsl", []string{"x"}, d); err == nil || !strings.Contains(err.Error(), user+":1:") {
		t.Errorf("bad switch value: %v, want an error naming %s:1", err, user)
	}
	write(user, "[broken\n")
	if _, err := Translate("com-rmcdsl", []string{"x"}, d); err == nil || !strings.Contains(err.Error(), user+":1:") {
		t.Errorf("bad section: %v, want an error naming %s:1", err, user)
	}
}

func TestPathsAreKnownCommands(t *testing.T) {
	for _, p := range Paths {
		if !Is(p) {
			t.Errorf("%s: no translation for %s", p, filepath.Base(p))
		}
	}
}

// TestNamesAreTheTools: Is and Names answer from a list, not from the tools
// (which they must not make); the list is the tools' names, sorted.
func TestNamesAreTheTools(t *testing.T) {
	var tools []string
	for n := range commands() {
		tools = append(tools, n)
	}
	sort.Strings(tools)
	if !reflect.DeepEqual(names, tools) {
		t.Fatalf("names = %q, the tools are %q", names, tools)
	}
	for _, n := range tools {
		if !Is("/usr/bin/" + n) {
			t.Errorf("Is(/usr/bin/%s) = false", n)
		}
	}
	if Is("osr") {
		t.Error(`Is("osr") = true`)
	}
}
