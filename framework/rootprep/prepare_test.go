// SPDX-License-Identifier: Apache-2.0

package rootprep

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/open-sharedroot/osr/framework/cdsl"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
)

const installedID = "0123456789abcdef0123456789abcdef"

// debianRoot is a small installed Debian: what the standard set looks at.
func debianRoot() map[string]string {
	return map[string]string{
		"etc/hostname":                "installer\n",
		"etc/machine-id":              installedID + "\n",
		"etc/fstab":                   "# <file system> <mount point> <type> <options> <dump> <pass>\nUUID=1234 / ext4 errors=remount-ro 0 1\nUUID=5678 none swap sw 0 0\n",
		"etc/ssh/sshd_config":         "Port 22\n",
		"etc/network/interfaces":      "auto lo\niface lo inet loopback\n",
		"etc/systemd/network/":        "",
		"var/log/syslog":              "boot\n",
		"var/log/journal/":            "",
		"var/tmp/":                    "",
		"var/spool/cron/crontabs/":    "",
		"var/local/":                  "",
		"var/lib/systemd/random-seed": "seed",
		"var/lib/systemd/timers/":     "",
		"var/lib/systemd/deb-systemd-helper-enabled/ssh.service.dsh-also": "/etc/systemd/system/sshd.service\n",
		"var/lib/systemd/deb-systemd-helper-masked/":                      "",
		"var/lib/dhcp/":                "",
		"var/lib/nfs/state":            "1",
		"var/lib/logrotate/status":     "logrotate state -- version 2\n",
		"var/lib/dpkg/status":          "Package: systemd\n",
		"var/lib/apt/lists/":           "",
		"var/cache/debconf/config.dat": "Name: x\n",
		"var/lib/dbus/machine-id":      installedID + "\n",
	}
}

func mkfiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// addHostKeys puts installed ssh host keys of the kinds into root.
func addHostKeys(t *testing.T, root string, kinds ...string) {
	t.Helper()
	for _, k := range kinds {
		key, err := GenerateHostKey(k, "root@installer")
		if err != nil {
			t.Fatal(err)
		}
		mkfiles(t, root, map[string]string{
			"etc/ssh/ssh_host_" + k + "_key":     string(key.Private),
			"etc/ssh/ssh_host_" + k + "_key.pub": string(key.Public),
		})
	}
}

var twoNodes = []cdsl.ClusterNode{{ID: 1, Name: "alpha"}, {ID: 2, Name: "beta"}}

func prepare(t *testing.T, root string, nodes []cdsl.ClusterNode, o Options) (Result, error) {
	t.Helper()
	r, _, err := cdsl.Init(context.Background(), cdsl.Options{Root: root, Cluster: nodes, DryRun: o.DryRun, Out: &bytes.Buffer{}}, inventory.V2Defaults(), "")
	if err != nil {
		t.Fatalf("cdsl init: %v", err)
	}
	defer r.Close()
	o.Nodes = nodes
	return Prepare(r, o)
}

func paths(os []Outcome) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Path)
	}
	sort.Strings(out)
	return out
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPrepareDebian(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, debianRoot())
	addHostKeys(t, root, "ed25519", "ecdsa")
	res, err := prepare(t, root, twoNodes, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantMade := []string{
		"/etc/hostname", "/etc/machine-id", "/etc/network/interfaces",
		"/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ecdsa_key.pub",
		"/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key.pub",
		"/etc/systemd/network", "/var/lib/dhcp", "/var/lib/logrotate", "/var/lib/nfs",
		"/var/lib/systemd", "/var/lib/systemd/deb-systemd-helper-enabled", "/var/lib/systemd/deb-systemd-helper-masked",
		"/var/local", "/var/log", "/var/spool", "/var/tmp",
	}
	if diff := cmp.Diff(wantMade, paths(res.Made)); diff != "" {
		t.Errorf("CDSLs made (-want +got):\n%s", diff)
	}
	for _, p := range []string{"/etc/sysconfig/network", "/var/lib/chrony", "/etc/NetworkManager/system-connections", "/etc/machine-info"} {
		if !contains(paths(res.Skipped), p) {
			t.Errorf("%s missing from the root but not reported as skipped: %v", p, res.Skipped)
		}
	}
	// What the package system owns stays shared.
	for _, p := range []string{"var/lib/dpkg", "var/lib/apt", "var/cache/debconf", "etc/ssh/sshd_config"} {
		if fi, err := os.Lstat(filepath.Join(root, p)); err != nil || fi.Mode()&os.ModeSymlink != 0 {
			t.Errorf("%s: want a real path of the shared root, got %v %v", p, fi, err)
		}
	}
	if got := read(t, filepath.Join(root, ".cluster/shared/var/lib/systemd/deb-systemd-helper-enabled/ssh.service.dsh-also")); got != "/etc/systemd/system/sshd.service\n" {
		t.Errorf("shared deb-systemd-helper record: %q", got)
	}
	ids := map[string]bool{}
	for _, n := range twoNodes {
		tree := filepath.Join(root, ".cluster/cdsl", strconv.Itoa(n.ID))
		if got := read(t, filepath.Join(tree, "etc/hostname")); got != n.Name+"\n" {
			t.Errorf("node %d hostname %q", n.ID, got)
		}
		id := strings.TrimSpace(read(t, filepath.Join(tree, "etc/machine-id")))
		if !machineIDRe().MatchString(id) || id == installedID || ids[id] {
			t.Errorf("node %d machine-id %q: want a fresh, valid, unique one", n.ID, id)
		}
		ids[id] = true
		for _, k := range []string{"ed25519", "ecdsa"} {
			checkHostKey(t, root, n, k)
		}
		if _, err := os.Stat(filepath.Join(tree, "var/lib/systemd/random-seed")); err != nil {
			t.Errorf("node %d has no random-seed of its own: %v", n.ID, err)
		}
	}
	if got := read(t, filepath.Join(root, ".cluster/cdsl/default/etc/machine-id")); got != "uninitialized\n" {
		t.Errorf("default machine-id %q, want uninitialized", got)
	}
	if got, _ := os.Readlink(filepath.Join(root, "var/lib/dbus/machine-id")); got != "/etc/machine-id" {
		t.Errorf("D-Bus machine-id link %q", got)
	}
	fstab := read(t, filepath.Join(root, "etc/fstab"))
	if !strings.Contains(fstab, fstabNote+"UUID=1234 / ext4") || !strings.Contains(fstab, "\nUUID=5678 none swap") {
		t.Errorf("fstab:\n%s", fstab)
	}
	if got, _ := os.Readlink(filepath.Join(root, "etc/hostname")); got != "../.cdsl.local/etc/hostname" {
		t.Errorf("/etc/hostname link %q", got)
	}

	// Again: nothing changes.
	before := snapshot(t, root)
	res2, err := prepare(t, root, twoNodes, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Made) != 0 || len(res2.Identity) != 0 || len(res2.Fixed) != 0 {
		t.Errorf("second run changed things: made %v identity %v fixed %v", res2.Made, res2.Identity, res2.Fixed)
	}
	if diff := cmp.Diff(paths(res.Made), paths(res2.Present)); diff != "" {
		t.Errorf("second run: present (-first made +present):\n%s", diff)
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Errorf("second run changed the root:\n%s", diff)
	}

	// A third node joins: only it gets a new identity.
	three := append(append([]cdsl.ClusterNode{}, twoNodes...), cdsl.ClusterNode{ID: 3, Name: "gamma"})
	res3, err := prepare(t, root, three, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res3.Identity {
		if !strings.Contains(w, "node 3") {
			t.Errorf("a new node changed another's identity: %s", w)
		}
	}
	if got := read(t, filepath.Join(root, ".cluster/cdsl/3/etc/hostname")); got != "gamma\n" {
		t.Errorf("node 3 hostname %q", got)
	}
	id3 := strings.TrimSpace(read(t, filepath.Join(root, ".cluster/cdsl/3/etc/machine-id")))
	if !machineIDRe().MatchString(id3) || ids[id3] {
		t.Errorf("node 3 machine-id %q", id3)
	}
	checkHostKey(t, root, cdsl.ClusterNode{ID: 3, Name: "gamma"}, "ed25519")
}

// checkHostKey checks that node n has a valid key of kind that differs from
// the installed one and matches its .pub.
func checkHostKey(t *testing.T, root string, n cdsl.ClusterNode, kind string) {
	t.Helper()
	name := "etc/ssh/ssh_host_" + kind + "_key"
	mine := read(t, filepath.Join(root, ".cluster/cdsl", strconv.Itoa(n.ID), name))
	if mine == read(t, filepath.Join(root, ".cluster/cdsl/default", name)) {
		t.Errorf("node %d keeps the installed %s key", n.ID, kind)
	}
	signer, err := ssh.ParsePrivateKey([]byte(mine))
	if err != nil {
		t.Fatalf("node %d %s key: %v", n.ID, kind, err)
	}
	pub, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(read(t, filepath.Join(root, ".cluster/cdsl", strconv.Itoa(n.ID), name+".pub"))))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub.Marshal(), signer.PublicKey().Marshal()) || comment != "root@"+n.Name {
		t.Errorf("node %d %s.pub does not match its key (comment %q)", n.ID, kind, comment)
	}
	fi, err := os.Stat(filepath.Join(root, ".cluster/cdsl", strconv.Itoa(n.ID), name))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("node %d %s key mode %v %v, want 0600", n.ID, kind, fi.Mode(), err)
	}
}

// snapshot maps every path below root to its type and content.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case rel == ".osr-cdsl.lock", rel == ".osr-cdsl.lock.generation":
			// the inventory lock's own files: every run takes the lock
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
		case fi.IsDir():
			out[rel] = "dir " + fi.Mode().String()
		default:
			b, _ := os.ReadFile(p)
			out[rel] = fi.Mode().String() + " " + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func TestPrepareCases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		nodes []cdsl.ClusterNode
		// pre runs on the initialised root before Prepare.
		pre     func(t *testing.T, r *cdsl.Repo)
		wantErr error
		check   func(t *testing.T, root string, res Result)
	}{{
		name:    "no node names",
		files:   map[string]string{"etc/hostname": "x\n"},
		nodes:   nil,
		wantErr: ErrNeedNames,
	}, {
		name:  "identity files created when missing",
		files: map[string]string{"var/log/": ""},
		nodes: twoNodes,
		check: func(t *testing.T, root string, res Result) {
			for _, p := range []string{"/etc/hostname", "/etc/machine-id"} {
				if !contains(paths(res.Made), p) {
					t.Errorf("%s not made: %v", p, res.Made)
				}
			}
			if got := read(t, filepath.Join(root, ".cluster/cdsl/2/etc/hostname")); got != "beta\n" {
				t.Errorf("hostname %q", got)
			}
			if got := read(t, filepath.Join(root, ".cluster/cdsl/default/etc/hostname")); got != "localhost\n" {
				t.Errorf("default hostname %q", got)
			}
		},
	}, {
		name:  "var already hostdependent",
		files: map[string]string{"etc/hostname": "x\n", "var/log/syslog": "", "var/lib/systemd/random-seed": "", "var/lib/systemd/deb-systemd-helper-enabled/": ""},
		nodes: twoNodes,
		pre: func(t *testing.T, r *cdsl.Repo) {
			if _, err := r.Add("/var", inventory.Hostdependent, nil, cdsl.AddOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		check: func(t *testing.T, root string, res Result) {
			for _, o := range res.Skipped {
				if o.Path == "/var/log" && strings.Contains(o.Note, "lies in the hostdependent CDSL /var") {
					return
				}
			}
			t.Errorf("/var/log not skipped as lying in /var: %+v", res.Skipped)
		},
	}, {
		name:  "path is a CDSL of the other type",
		files: map[string]string{"etc/hostname": "x\n", "var/lib/systemd/deb-systemd-helper-enabled/": ""},
		nodes: twoNodes,
		pre: func(t *testing.T, r *cdsl.Repo) {
			if _, err := r.Add("/var/lib", inventory.Hostdependent, nil, cdsl.AddOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Add("/var/lib/systemd", inventory.Shared, nil, cdsl.AddOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		check: func(t *testing.T, root string, res Result) {
			for _, o := range res.Skipped {
				if o.Path == "/var/lib/systemd" && strings.Contains(o.Note, "is a shared CDSL already") {
					return
				}
			}
			t.Errorf("/var/lib/systemd not reported: %+v", res.Skipped)
		},
	}, {
		name:    "node named nowhere",
		files:   map[string]string{"etc/hostname": "x\n"},
		nodes:   []cdsl.ClusterNode{{ID: 1}},
		wantErr: errors.New("node 1 has no name"),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			mkfiles(t, root, tc.files)
			s := inventory.V2Defaults()
			co := cdsl.Options{Root: root, Cluster: tc.nodes}
			if len(tc.nodes) == 0 {
				s.MaxNodeIDNum = 2
			}
			r, _, err := cdsl.Init(context.Background(), co, s, "")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if tc.pre != nil {
				tc.pre(t, r)
			}
			res, err := Prepare(r, Options{Nodes: tc.nodes})
			switch {
			case tc.wantErr != nil && err == nil:
				t.Fatalf("want error %v, got none", tc.wantErr)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr) && !strings.Contains(err.Error(), tc.wantErr.Error()):
				t.Fatalf("want error %v, got %v", tc.wantErr, err)
			case tc.wantErr == nil && err != nil:
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, root, res)
			}
		})
	}
}

func TestPrepareDryRunChangesNothing(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, debianRoot())
	addHostKeys(t, root, "ed25519")
	r, _, err := cdsl.Init(context.Background(), cdsl.Options{Root: root, Cluster: twoNodes}, inventory.V2Defaults(), "")
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	before := snapshot(t, root)
	res, err := prepare(t, root, twoNodes, Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Errorf("dry run changed the root:\n%s", diff)
	}
	if len(res.Made) == 0 || len(res.Identity) == 0 || len(res.Fixed) == 0 {
		t.Errorf("dry run reports nothing: %+v", res)
	}
}

func TestNewMachineID(t *testing.T) {
	id, err := NewMachineID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !machineIDRe().MatchString(id) || id[12] != '4' || !strings.ContainsRune("89ab", rune(id[16])) {
		t.Errorf("%q is not a v4 UUID in systemd's form", id)
	}
	if _, err := NewMachineID(bytes.NewReader(nil)); err == nil {
		t.Error("no error from an empty random source")
	}
}

func TestCommentRootEntries(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"UUID=1 / ext4 defaults 0 1\n", fstabNote + "UUID=1 / ext4 defaults 0 1\n"},
		{"# UUID=1 / ext4 defaults 0 1\n", "# UUID=1 / ext4 defaults 0 1\n"},
		{"/dev/sdb1 /srv xfs defaults 0 2\nproc /proc proc defaults 0 0", "/dev/sdb1 /srv xfs defaults 0 2\nproc /proc proc defaults 0 0"},
		{"# UNCONFIGURED FSTAB FOR BASE SYSTEM\n", "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n"},
	} {
		got, _ := commentRootEntries([]byte(tc.in))
		if string(got) != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGenerateHostKey(t *testing.T) {
	for _, tc := range []struct {
		kind, wantType string
	}{{"rsa", "ssh-rsa"}, {"ecdsa", "ecdsa-sha2-nistp256"}, {"ed25519", "ssh-ed25519"}, {"dsa", ""}} {
		k, err := GenerateHostKey(tc.kind, "root@n1")
		if tc.wantType == "" {
			if err == nil {
				t.Errorf("%s: no error", tc.kind)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		s, err := ssh.ParsePrivateKey(k.Private)
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		if got := s.PublicKey().Type(); got != tc.wantType {
			t.Errorf("%s: type %s, want %s", tc.kind, got, tc.wantType)
		}
		if !strings.HasPrefix(string(k.Public), tc.wantType+" ") || !strings.HasSuffix(string(k.Public), " root@n1\n") {
			t.Errorf("%s: public line %q", tc.kind, k.Public)
		}
	}
}

func TestFixTmp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		links map[string]string
		// wantEntry: osr adds its line; wantSkip: /tmp is reported skipped.
		wantEntry, wantSkip bool
	}{{
		name:      "Debian 12: /tmp on the root",
		files:     map[string]string{"etc/fstab": "# UNCONFIGURED FSTAB FOR BASE SYSTEM"},
		wantEntry: true,
	}, {
		name:      "no fstab",
		files:     map[string]string{"etc/hostname": "x\n"},
		wantEntry: true,
	}, {
		name:  "fstab mounts /tmp already",
		files: map[string]string{"etc/fstab": "/dev/sdb1 /tmp xfs defaults 0 2\n"},
	}, {
		name:      "a commented /tmp line does not count",
		files:     map[string]string{"etc/fstab": "#tmpfs /tmp tmpfs defaults 0 0\n"},
		wantEntry: true,
	}, {
		name:  "distribution enables tmp.mount (Fedora, Debian 13)",
		files: map[string]string{"etc/fstab": "", "usr/lib/systemd/system/tmp.mount": "[Mount]\n"},
		links: map[string]string{"usr/lib/systemd/system/local-fs.target.wants/tmp.mount": "../tmp.mount"},
	}, {
		name:  "administrator enabled tmp.mount",
		files: map[string]string{"etc/fstab": "", "etc/systemd/system/tmp.mount": "[Mount]\n"},
	}, {
		name:     "administrator masked tmp.mount",
		files:    map[string]string{"etc/fstab": ""},
		links:    map[string]string{"etc/systemd/system/tmp.mount": "/dev/null"},
		wantSkip: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			mkfiles(t, root, tc.files)
			for name, target := range tc.links {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := os.ReadFile(filepath.Join(root, "etc/fstab"))
			res, err := prepare(t, root, twoNodes, Options{})
			if err != nil {
				t.Fatal(err)
			}
			after, _ := os.ReadFile(filepath.Join(root, "etc/fstab"))
			want := string(before)
			if tc.wantEntry {
				if want != "" && !strings.HasSuffix(want, "\n") {
					want += "\n"
				}
				want += tmpNote + TmpEntry
			}
			if diff := cmp.Diff(want, string(after)); diff != "" {
				t.Errorf("/etc/fstab (-want +got):\n%s", diff)
			}
			skipped := false
			for _, o := range res.Skipped {
				skipped = skipped || o.Path == "/tmp" && strings.Contains(o.Note, "masks tmp.mount")
			}
			if skipped != tc.wantSkip {
				t.Errorf("/tmp reported skipped: %v, want %v (%+v)", skipped, tc.wantSkip, res.Skipped)
			}
			// A second run adds nothing.
			if _, err := prepare(t, root, twoNodes, Options{}); err != nil {
				t.Fatal(err)
			}
			again, _ := os.ReadFile(filepath.Join(root, "etc/fstab"))
			if string(again) != string(after) {
				t.Errorf("second run changed fstab:\n%s", again)
			}
		})
	}
}

func TestMountsTmp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"tmpfs /tmp tmpfs defaults 0 0\n", true},
		{"  tmpfs\t/tmp/ tmpfs defaults 0 0", true},
		{"# tmpfs /tmp tmpfs defaults 0 0\n", false},
		{"tmpfs /var/tmp tmpfs defaults 0 0\n", false},
		{"", false},
	} {
		if got := mountsTmp([]byte(tc.in)); got != tc.want {
			t.Errorf("mountsTmp(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
