// SPDX-License-Identifier: Apache-2.0

package boot

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/internal/nstest"
	"github.com/open-sharedroot/osr/framework/boot/netconf"
	"github.com/open-sharedroot/osr/framework/boot/switchroot"
	"github.com/open-sharedroot/osr/framework/shutdown"
)

// fakeNodes is a two-node cluster configuration.
type fakeNodes struct{ nodes []Node }

func (f fakeNodes) NodeByID(id int) (Node, error) {
	for _, n := range f.nodes {
		if n.ID == id {
			return n, nil
		}
	}
	return Node{}, fmt.Errorf("node id %d: %w", id, ErrNoNode)
}

func (f fakeNodes) NodeByName(name string) (Node, error) {
	for _, n := range f.nodes {
		if n.Name == name {
			return n, nil
		}
	}
	return Node{}, fmt.Errorf("node %s: %w", name, ErrNoNode)
}

func (f fakeNodes) NodeByMAC(macs []string) (Node, error) {
	for _, n := range f.nodes {
		for _, nic := range n.NICs {
			for _, m := range macs {
				if strings.EqualFold(nic.MAC, m) {
					return n, nil
				}
			}
		}
	}
	return Node{}, fmt.Errorf("MACs %v: %w", macs, ErrNoNode)
}

func (f fakeNodes) All() []Node { return f.nodes }

var cluster = fakeNodes{nodes: []Node{
	{ID: 1, Name: "n1", Root: "/dev/vg/sr", RootFS: "gfs2", MountOpts: "noatime",
		NICs: []netconf.Interface{{Name: "eth0", MAC: "52:54:00:00:01:71", IP: "10.0.0.1", OnBoot: true}}},
	{ID: 2, Name: "n2", Root: "/dev/vg/sr", RootFS: "gfs2", MountOpts: "noatime",
		NICs: []netconf.Interface{{Name: "eth0", MAC: "52:54:00:00:01:72", IP: "10.0.0.2", OnBoot: true},
			{Name: "eth1", MAC: "52:54:00:00:02:72", OnBoot: false}}},
}}

type fakeModules struct{ loaded []string }

func (f *fakeModules) LoadHardware(ctx context.Context, sysfs string) ([]string, error) {
	f.loaded = append(f.loaded, "alias-driver")
	return []string{"alias-driver"}, nil
}

func (f *fakeModules) Load(ctx context.Context, names ...string) error {
	f.loaded = append(f.loaded, names...)
	return nil
}

// fakeRoot records the spec; mount, when set, really mounts something.
type fakeRoot struct {
	spec  MountSpec
	fails int
	mount func(target string) error
}

func (f *fakeRoot) MountRoot(ctx context.Context, spec MountSpec) error {
	f.spec = spec
	if f.fails > 0 {
		f.fails--
		return errors.New("mount: no such device")
	}
	if f.mount != nil {
		return f.mount(spec.Target)
	}
	return nil
}

type fakeCDSL struct{ calls []string }

func (f *fakeCDSL) Bind(ctx context.Context, root string, n Node, o BindOptions) (string, error) {
	f.calls = append(f.calls, fmt.Sprintf("bind %d", n.ID))
	return fmt.Sprintf("bound %s/.cluster/cdsl/%d on %s/.cdsl.local", root, n.ID, root), nil
}

func (f *fakeCDSL) MountTab(ctx context.Context, root string, n Node) ([]string, error) {
	f.calls = append(f.calls, fmt.Sprintf("tab %d", n.ID))
	return []string{"bound /var/run"}, nil
}

type fakeShell struct{ banners []string }

func (f *fakeShell) Available() bool { return true }
func (f *fakeShell) Open(ctx context.Context, banner string) error {
	f.banners = append(f.banners, banner)
	return nil
}

func sysfsWith(t *testing.T, nics map[string]string) string {
	t.Helper()
	sys := t.TempDir()
	for name, mac := range nics {
		d := filepath.Join(sys, "class", "net", name)
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "type"), []byte("1\n"), 0o644)
		os.WriteFile(filepath.Join(d, "address"), []byte(mac+"\n"), 0o644)
	}
	return sys
}

type harness struct {
	cfg     Config
	mods    *fakeModules
	root    *fakeRoot
	cdsl    *fakeCDSL
	shell   *fakeShell
	netUp   [][]netconf.Interface
	switchd *switchroot.Options
	// events orders the handover and the switch.
	events   []string
	handover *shutdown.HandoverOptions
}

func newHarness(t *testing.T, cmdline string) *harness {
	h := &harness{mods: &fakeModules{}, root: &fakeRoot{}, cdsl: &fakeCDSL{}, shell: &fakeShell{}}
	h.cfg = Config{
		Args:          []string{"single"},
		Cmdline:       cmdline,
		Modules:       h.mods,
		DriverModules: []string{"gfs2", "dlm"},
		Nodes:         cluster,
		Root:          h.root,
		CDSL:          h.cdsl,
		Sysroot:       "/", // a mount point any test can see; the root test mounts for real
		Sysfs:         sysfsWith(t, map[string]string{"enp1s0": "52:54:00:00:01:72"}),
		LogPath:       filepath.Join(t.TempDir(), "run/osr/boot.log"),
		Log:           bootlog.New(nil),
		Shell:         h.shell,
		NICWait:       300 * time.Millisecond,
		MountAPI:      func(*bootlog.Log) error { return nil },
		NetworkUp: func(ctx context.Context, ifaces []netconf.Interface, o netconf.Options) (netconf.Result, error) {
			h.netUp = append(h.netUp, ifaces)
			return netconf.Result{}, nil
		},
		SwitchRoot: func(o switchroot.Options) error {
			h.switchd = &o
			h.events = append(h.events, "switch")
			o.BeforeExec()
			return nil
		},
		Handover: func(o shutdown.HandoverOptions) (shutdown.Runtime, error) {
			h.handover = &o
			h.events = append(h.events, "handover")
			return shutdown.Runtime{}, nil
		},
	}
	return h
}

func TestRunHandsOverTheRootLinks(t *testing.T) {
	h := newHarness(t, "quiet")
	h.cfg.NetworkUp = func(ctx context.Context, ifaces []netconf.Interface, o netconf.Options) (netconf.Result, error) {
		return netconf.Result{Configured: []netconf.Configured{
			{Interface: netconf.Interface{Name: "eth0", MAC: "52:54:00:00:01:72", Master: "bond0"}, Link: "eth0", Via: "slave"},
			{Interface: netconf.Interface{Name: "bond0", BondOpts: "mode=1"}, Link: "bond0", Via: "static",
				Addr: netip.MustParsePrefix("10.0.0.2/24"), Gateway: netip.MustParseAddr("10.0.0.1")},
			{Interface: netconf.Interface{Name: "eth2", MAC: "52:54:00:00:01:99"}, Link: "eth2", Via: "down"},
			{Interface: netconf.Interface{Name: "eth3", MAC: "52:54:00:00:01:98"}, Link: "eth3", Via: "dhcp",
				Addr: netip.MustParsePrefix("192.168.1.7/24"), DNS: []netip.Addr{netip.MustParseAddr("192.168.1.1")}},
		}}, nil
	}
	if err := Run(context.Background(), h.cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"handover", "switch"}, h.events); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	want := []shutdown.Link{
		{Name: "eth0", MAC: "52:54:00:00:01:72", Slave: true},
		{Name: "bond0", Bond: true, Kind: "bond", Addr: netip.MustParsePrefix("10.0.0.2/24"), Gateway: netip.MustParseAddr("10.0.0.1")},
		{Name: "eth3", MAC: "52:54:00:00:01:98", DHCP: true, Addr: netip.MustParsePrefix("192.168.1.7/24"), DNS: []netip.Addr{netip.MustParseAddr("192.168.1.1")}},
	}
	if h.handover == nil || h.handover.Sysroot != "/" {
		t.Fatalf("handover options %+v", h.handover)
	}
	if diff := cmp.Diff(want, h.handover.Links, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

func TestRunBootsWhenTheHandoverFails(t *testing.T) {
	h := newHarness(t, "quiet")
	h.cfg.Handover = func(o shutdown.HandoverOptions) (shutdown.Runtime, error) {
		return shutdown.Runtime{}, errors.New("no tmpfs")
	}
	if err := Run(context.Background(), h.cfg); err != nil {
		t.Fatal(err)
	}
	if h.switchd == nil {
		t.Fatal("no switch root after a failed handover")
	}
	var warned bool
	for _, e := range h.cfg.Log.Entries() {
		warned = warned || strings.Contains(e.Msg, "preparing the shutdown: no tmpfs")
	}
	if !warned {
		t.Error("the failed handover was not reported")
	}
}

func TestRunHappyPath(t *testing.T) {
	h := newHarness(t, "console=ttyS0 ro mountopts=noatime,localflocks com-rootfs=ocfs2 init=/lib/systemd/systemd osr.break=network")
	if err := Run(context.Background(), h.cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"alias-driver", "gfs2", "dlm"}, h.mods.loaded); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	wantNet := [][]netconf.Interface{cluster.nodes[1].NICs}
	if diff := cmp.Diff(wantNet, h.netUp); diff != "" {
		t.Errorf("network (-want +got):\n%s", diff)
	}
	spec := h.root.spec
	if spec.Source != "/dev/vg/sr" || spec.FSType != "ocfs2" || spec.Options != "noatime,localflocks,ro" || !spec.ReadOnly || spec.Node.ID != 2 {
		t.Errorf("mount spec %+v", spec)
	}
	if diff := cmp.Diff([]string{"bind 2", "tab 2"}, h.cdsl.calls); diff != "" {
		t.Errorf("cdsl (-want +got):\n%s", diff)
	}
	if h.switchd == nil || h.switchd.Init != "/lib/systemd/systemd" || h.switchd.NewRoot != "/" || h.switchd.Args[0] != "single" {
		t.Fatalf("switch root options %+v", h.switchd)
	}
	if len(h.shell.banners) != 1 || !strings.Contains(h.shell.banners[0], `break before step "network"`) {
		t.Errorf("break shell banners %q", h.shell.banners)
	}
	saved, err := os.ReadFile(h.cfg.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"node 2 (n2), found by MAC among enp1s0 52:54:00:00:01:72", "mount: done in", "boot log kept in"} {
		if !strings.Contains(string(saved), want) {
			t.Errorf("boot log lacks %q:\n%s", want, saved)
		}
	}
}

func TestRunIdentifyFailureGivesAdvice(t *testing.T) {
	h := newHarness(t, "quiet")
	h.cfg.Sysfs = sysfsWith(t, map[string]string{"eth0": "52:54:00:00:09:99", "eth1": "52:54:00:00:09:98"})
	ctx, shell := failingBoot(t)
	h.cfg.Shell = shell
	err := Run(ctx, h.cfg)
	if err == nil {
		t.Fatal("Run succeeded without a matching MAC")
	}
	var report string
	for _, e := range h.cfg.Log.Entries() {
		report += e.Msg + "\n"
	}
	for _, want := range []string{`FAILED step "identify"`, "eth0 52:54:00:00:09:99, eth1 52:54:00:00:09:98",
		"nodeid=<id>", "2 nodes", "no shell in this image"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

// noShell is an image without a shell. After a failed step the init then
// waits for the end of the boot's context; Available, which it asks first,
// ends it through end (when set), so a test sees the failure at once however
// slowly the steps before ran.
type noShell struct{ end context.CancelFunc }

func (n noShell) Available() bool {
	if n.end != nil {
		n.end()
	}
	return false
}
func (noShell) Open(context.Context, string) error { return errors.New("none") }

// failingBoot returns a context for a Run that is expected to fail and the
// shell that ends it when the failure comes; a minute bounds it otherwise.
func failingBoot(t *testing.T) (context.Context, noShell) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx, noShell{end: cancel}
}

func TestRunNodeIDAndRetryAfterRescue(t *testing.T) {
	h := newHarness(t, "nodeid=1 root=server:/export rootfs=nfs ip=dhcp")
	h.root.fails = 1
	if err := Run(context.Background(), h.cfg); err != nil {
		t.Fatal(err)
	}
	if h.root.spec.Node.ID != 1 || h.root.spec.Source != "server:/export" {
		t.Errorf("mount spec %+v", h.root.spec)
	}
	if len(h.shell.banners) != 1 || !strings.Contains(h.shell.banners[0], `step "mount" failed`) {
		t.Errorf("rescue banners %q", h.shell.banners)
	}
	if len(h.netUp) != 1 || h.netUp[0][0].IP != netconf.DHCP {
		t.Errorf("ip=dhcp not applied: %+v", h.netUp)
	}
}

func TestRunSingleNodeCluster(t *testing.T) {
	h := newHarness(t, "")
	h.cfg.Cmdline = " "
	h.cfg.Nodes = fakeNodes{nodes: cluster.nodes[:1]}
	h.cfg.Sysfs = sysfsWith(t, map[string]string{"eth0": "52:54:00:00:09:99"})
	if err := Run(context.Background(), h.cfg); err != nil {
		t.Fatal(err)
	}
	if h.root.spec.Node.ID != 1 {
		t.Errorf("single node cluster: node %+v", h.root.spec.Node)
	}
}

// TestRunMountsForReal has the fake driver mount a tmpfs on the sysroot, in
// a private mount namespace, and checks that a driver claiming success
// without mounting is caught.
func TestRunMountsForReal(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNS) {
		return
	}
	h := newHarness(t, "")
	h.cfg.Sysroot = filepath.Join(t.TempDir(), "sysroot")
	h.root.mount = func(target string) error { return unix.Mount("tmpfs", target, "tmpfs", 0, "") }
	t.Cleanup(func() { unix.Unmount(h.cfg.Sysroot, unix.MNT_DETACH) })
	if err := Run(context.Background(), h.cfg); err != nil {
		t.Fatal(err)
	}

	h2 := newHarness(t, "")
	h2.cfg.Sysroot = filepath.Join(t.TempDir(), "sysroot")
	ctx, shell := failingBoot(t)
	h2.cfg.Shell = shell
	if err := Run(ctx, h2.cfg); err == nil {
		t.Fatal("a driver that mounted nothing went unnoticed")
	}
	found := false
	for _, e := range h2.cfg.Log.Entries() {
		found = found || strings.Contains(e.Msg, "nothing is mounted on "+h2.cfg.Sysroot)
	}
	if !found {
		t.Error("the log does not say that nothing was mounted")
	}
}

func TestRunNamesTheMachineBeforeTheMount(t *testing.T) {
	tests := []struct {
		name, cmdline string
		setErr        error
		want          string
	}{
		{name: "found by MAC", cmdline: "quiet", want: "n2"},
		{name: "nodeid", cmdline: "nodeid=1", want: "n1"},
		{name: "a failure only warns", cmdline: "quiet", setErr: errors.New("EPERM"), want: "n2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cmdline)
			var named []string
			h.cfg.SetHostname = func(name string) error {
				named = append(named, name)
				if h.root.spec.Target != "" {
					t.Errorf("hostname set after the root was mounted")
				}
				return tt.setErr
			}
			if err := Run(context.Background(), h.cfg); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.want}, named); diff != "" {
				t.Errorf("hostnames set (-want +got):\n%s", diff)
			}
			var warned bool
			for _, e := range h.cfg.Log.Entries() {
				warned = warned || strings.Contains(e.Msg, "set the hostname")
			}
			if warned != (tt.setErr != nil) {
				t.Errorf("warned = %v, want %v", warned, tt.setErr != nil)
			}
		})
	}
}

// TestRunOverlayForReal: with osr.overlay=tmpfs (from the image's default
// parameters) the driver mounts on the lower directory, which is made
// read-only, the root is an overlay whose writes land in its tmpfs, and the
// node's CDSL tree is bound from the lower, writable. With the kernel's ro
// the tree comes from the overlay instead.
func TestRunOverlayForReal(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNS) {
		return
	}
	for _, tt := range []struct {
		kernel string
		bind   BindOptions
	}{
		{"console=ttyS0", BindOptions{Writable: true}},
		{"console=ttyS0 ro", BindOptions{}},
	} {
		dir := t.TempDir()
		h := newHarness(t, tt.kernel)
		h.cfg.DefaultCmdline = "osr.overlay=tmpfs osr.overlaysize=8m"
		h.cfg.Sysroot = filepath.Join(dir, "sysroot")
		h.cfg.OverlayLower = filepath.Join(dir, "lower")
		h.cfg.OverlayDir = filepath.Join(dir, "overlay")
		if tt.bind.Writable {
			tt.bind.Tree = h.cfg.OverlayLower
		}
		h.root.mount = func(target string) error {
			if target != h.cfg.OverlayLower {
				return fmt.Errorf("driver asked to mount on %s; want the lower %s", target, h.cfg.OverlayLower)
			}
			if err := unix.Mount("shared", target, "tmpfs", 0, ""); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(target, "shared-file"), []byte("shared\n"), 0o644)
		}
		var bound BindOptions
		h.cfg.CDSL = bindRecorder{&bound}
		t.Cleanup(func() {
			for _, m := range []string{h.cfg.Sysroot, h.cfg.OverlayDir, h.cfg.OverlayLower} {
				unix.Unmount(m, unix.MNT_DETACH)
			}
		})
		if err := Run(context.Background(), h.cfg); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.bind, bound); diff != "" {
			t.Errorf("%s: bind options (-want +got):\n%s", tt.kernel, diff)
		}
		var st unix.Statfs_t
		if err := unix.Statfs(h.cfg.Sysroot, &st); err != nil || st.Type != unix.OVERLAYFS_SUPER_MAGIC {
			t.Fatalf("%s: the root is no overlay (statfs %v, type %#x)", tt.kernel, err, st.Type)
		}
		if b, err := os.ReadFile(filepath.Join(h.cfg.Sysroot, "shared-file")); err != nil || string(b) != "shared\n" {
			t.Errorf("%s: the shared root's file through the overlay: %q, %v", tt.kernel, b, err)
		}
		if err := os.WriteFile(filepath.Join(h.cfg.Sysroot, "node-file"), []byte("node\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(h.cfg.OverlayDir, "upper", "node-file")); err != nil {
			t.Errorf("%s: a write to the root did not land in the overlay's tmpfs: %v", tt.kernel, err)
		}
		if _, err := os.Stat(filepath.Join(h.cfg.OverlayLower, "node-file")); err == nil {
			t.Errorf("%s: a write to the root reached the shared root", tt.kernel)
		}
		if err := os.WriteFile(filepath.Join(h.cfg.OverlayLower, "x"), nil, 0o644); !errors.Is(err, unix.EROFS) {
			t.Errorf("%s: writing to the lower: %v; want EROFS", tt.kernel, err)
		}
		if unix.Statfs(h.cfg.OverlayDir, &st) != nil || st.Blocks*uint64(st.Bsize) != 8<<20 {
			t.Errorf("%s: overlay tmpfs is %d bytes; want osr.overlaysize=8m", tt.kernel, st.Blocks*uint64(st.Bsize))
		}
	}
}

type bindRecorder struct{ got *BindOptions }

func (b bindRecorder) Bind(_ context.Context, _ string, _ Node, o BindOptions) (string, error) {
	*b.got = o
	return "bound", nil
}

func (b bindRecorder) MountTab(context.Context, string, Node) ([]string, error) { return nil, nil }
