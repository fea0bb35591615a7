// SPDX-License-Identifier: Apache-2.0

package initrd_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/cavaliergopher/cpio"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/drivertest"
	"github.com/open-sharedroot/osr/framework/initrd"
	"github.com/open-sharedroot/osr/framework/initrd/image"
	"github.com/open-sharedroot/osr/framework/kmod"
	"github.com/open-sharedroot/osr/framework/listfile"
	"github.com/open-sharedroot/osr/framework/manifest"
	"github.com/open-sharedroot/osr/internal/testkernel"
)

// planDriver is a driver whose plan the test sets.
type planDriver struct{ plan driver.Plan }

var planSchema = driver.Schema{Attributes: []driver.Attribute{{Name: "level", Type: cty.Number, Default: cty.NumberIntVal(7)}}}

func (d *planDriver) Describe(context.Context) (*driver.Info, error) {
	return &driver.Info{Name: "testfs", Version: "1.0", FSTypes: []string{"nfs", "nfs4"}, Schema: planSchema}, nil
}
func (d *planDriver) ValidateConfig(context.Context, driver.ValidateRequest) (driver.Diagnostics, error) {
	return nil, nil
}
func (d *planDriver) Plan(context.Context, driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	p := d.plan
	return &p, nil, nil
}

// newRequest returns a build request on the real Debian kernel with a driver that
// asks for the NFSv4 client, and osr's own binaries played by the test binary.
func newRequest(t *testing.T, k testkernel.Kernel, plan driver.Plan) *initrd.Request {
	t.Helper()
	ix, err := kmod.Load(k.ModulesDir)
	if err != nil {
		t.Fatal(err)
	}
	impl := &planDriver{plan: plan}
	d := drivertest.New(t, impl)
	info, err := d.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := driver.DefaultConfig(info.Schema)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &initrd.Request{
		Driver: d, DriverInfo: info, DriverBinary: fakeDriverBinary(t), DriverConfig: cfg, FSType: "nfs4",
		Kernel: ix, InitBinary: slimInit(t), PluginInitBinary: exe, OSRVersion: "test", ModTime: 1700000000,
		Target: driver.Target{Arch: runtime.GOARCH, KernelVersion: ix.Version()},
	}
}

// slimInit is a file standing in for osr-init, which has the built-in drivers.
func slimInit(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "osr-init")
	if err := os.WriteFile(p, []byte("osr-init with the built-in drivers\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeDriverBinary is a file standing in for the driver program.
func fakeDriverBinary(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "osr-driver-testfs")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho not really a driver\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

var nfsPlan = driver.Plan{
	Modules:     []driver.Module{{Name: "nfsv4"}, {Name: "sunrpc"}, {Name: "no_such_module_at_all", Optional: true}},
	Directories: []string{"/var/lib/testfs"},
	Generated:   []driver.GeneratedFile{{Path: "/etc/testfs/key", Content: []byte("k"), Secret: true}},
}

// buildImage builds req and writes it uncompressed, and returns the plan and
// what the image holds.
func buildImage(t *testing.T, req *initrd.Request) (*initrd.Plan, map[string]entry) {
	t.Helper()
	plan, err := initrd.Build(context.Background(), req)
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	out := filepath.Join(t.TempDir(), "initrd.img")
	if _, err := plan.Write(context.Background(), out, image.Options{Compression: image.None}); err != nil {
		t.Fatalf("Write() error = %v", err)
	}
	return plan, readImage(t, out)
}

// readImage reads an uncompressed newc image, its segments' archives one
// after the other, into a map of path → header and data.
type entry struct {
	hdr  *cpio.Header
	data []byte
}

func readImage(t *testing.T, path string) map[string]entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	r := cpio.NewReader(br)
	out := map[string]entry{}
	for {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			for {
				b, err := br.Peek(1)
				if err != nil || b[0] != 0 {
					break
				}
				br.ReadByte() // padding between archives
			}
			if _, err := br.Peek(1); err != nil {
				break
			}
			r = cpio.NewReader(br) // the next segment's archive
			continue
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		out["/"+strings.TrimPrefix(h.Name, "/")] = entry{h, data}
	}
	return out
}

// depClosure computes, from modules.dep alone, the modules that seeds need.
func depClosure(t *testing.T, dir string, seeds []string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "modules.dep"))
	if err != nil {
		t.Fatal(err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		mod, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		deps[mod] = strings.Fields(rest)
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(m string) {
		if seen[m] {
			return
		}
		seen[m] = true
		for _, d := range deps[m] {
			walk(d)
		}
	}
	for _, s := range seeds {
		walk(s)
	}
	return seen
}

func TestBuildOnRealKernel(t *testing.T) {
	k := testkernel.Get(t)
	req := newRequest(t, k, nfsPlan)
	plan, img := buildImage(t, req)
	base := "/lib/modules/" + k.Version + "/"

	// The modules in the image, and the independent closure of what was asked for:
	// the driver's modules plus every module the generic rules select.
	inImage := map[string]bool{}
	for p := range img {
		if strings.HasPrefix(p, base+"kernel/") && strings.Contains(p, ".ko") {
			inImage[strings.TrimPrefix(p, base)] = true
		}
	}
	seeds := []string{"kernel/fs/nfs/nfsv4.ko", "kernel/net/sunrpc/sunrpc.ko"}
	data, _ := os.ReadFile(filepath.Join(k.ModulesDir, "modules.dep"))
	for _, line := range strings.Split(string(data), "\n") {
		mod, _, ok := strings.Cut(line, ":")
		if ok && kmod.MatchRules(kmod.GenericRules, mod) {
			seeds = append(seeds, mod)
		}
	}
	want := depClosure(t, k.ModulesDir, seeds)
	// Soft dependencies may add modules modules.dep does not name; everything the
	// dep closure names must be there, and nothing beyond it except softdeps.
	for m := range want {
		if !inImage[m] {
			t.Errorf("module %s of the closure is missing from the image", m)
		}
	}
	var extra []string
	for m := range inImage {
		if !want[m] {
			extra = append(extra, m)
		}
	}
	sort.Strings(extra)
	ix, _ := kmod.Load(k.ModulesDir)
	for _, m := range extra {
		name := kmod.NameFromPath(m)
		if !isSoftdep(ix, name, inImage) {
			t.Errorf("module %s is in the image but neither asked for, generic, a dependency nor a soft dependency", m)
		}
	}
	if len(plan.Modules) != len(inImage) {
		t.Errorf("plan lists %d modules, image holds %d", len(plan.Modules), len(inImage))
	}
	for _, idx := range []string{"modules.dep", "modules.alias"} {
		if _, ok := img[base+idx]; !ok {
			t.Errorf("image lacks %s", idx)
		}
	}

	// The manifest names the driver binary by hash, and carries the config.
	me, ok := img[manifest.Path]
	if !ok {
		t.Fatalf("no manifest at %s", manifest.Path)
	}
	m, err := manifest.Parse(me.data)
	if err != nil {
		t.Fatal(err)
	}
	// It carries the driver's configuration, secrets included: root only.
	if perm := me.hdr.Mode.Perm(); perm != 0o600 {
		t.Errorf("manifest mode %04o, want 0600", perm)
	}
	exe, _ := os.Executable()
	exeData, _ := os.ReadFile(exe)
	drvData, _ := os.ReadFile(req.DriverBinary)
	sum := sha256.Sum256(drvData)
	if m.Driver.SHA256 != hex.EncodeToString(sum[:]) || m.Driver.Name != "testfs" || m.Kernel != k.Version || m.FSType != "nfs4" {
		t.Errorf("manifest = %+v", m)
	}
	if d, ok := img[m.Driver.Path]; !ok || !bytes.Equal(d.data, drvData) {
		t.Errorf("driver binary at %s missing or different", m.Driver.Path)
	}
	cfg, err := m.Driver.DecodeConfig()
	if err != nil || cfg.Int("level") != 7 {
		t.Errorf("manifest config = %v, %v; want level 7", cfg.Value.GoString(), err)
	}
	for _, want := range []string{"nfsv4", "sunrpc"} {
		if !contains(m.Modules, want) {
			t.Errorf("manifest modules %v lack %s", m.Modules, want)
		}
	}
	// An optional module never makes the boot fail: it travels apart.
	if contains(m.Modules, "no_such_module_at_all") || !contains(m.OptionalModules, "no_such_module_at_all") {
		t.Errorf("manifest modules %v, optional %v; want no_such_module_at_all optional only", m.Modules, m.OptionalModules)
	}
	if e := img["/etc/testfs/key"]; e.hdr == nil || e.hdr.Mode.Perm() != 0o600 {
		t.Errorf("secret generated file missing or not 0600: %+v", e.hdr)
	}
	if e := img["/dev/console"]; e.hdr == nil || e.hdr.Mode&cpio.TypeChar == 0 {
		t.Errorf("/dev/console missing or not a device")
	}
	if e := img["/init"]; e.hdr == nil || !bytes.Equal(e.data, exeData) {
		t.Errorf("/init is not osr-init-plugin, which starts a driver program")
	}
	if m.Driver.BuiltIn {
		t.Errorf("a driver program of its own is marked built in")
	}
	if _, ok := img["/var/lib/testfs"]; !ok {
		t.Errorf("the driver's directory is missing")
	}
}

// A built-in driver (the driver program is a link to osr-init-plugin, as make
// install lays them out) makes an image whose /init is osr-init, with no driver
// program: the manifest marks the driver built in, without path or digest.
func TestBuildBuiltInDriver(t *testing.T) {
	k := testkernel.Get(t)
	req := newRequest(t, k, nfsPlan)
	link := filepath.Join(t.TempDir(), "osr-driver-testfs")
	if err := os.Symlink(req.PluginInitBinary, link); err != nil {
		t.Fatal(err)
	}
	req.DriverBinary = link
	_, img := buildImage(t, req)
	slim, _ := os.ReadFile(req.InitBinary)
	if e := img["/init"]; e.hdr == nil || !bytes.Equal(e.data, slim) {
		t.Errorf("/init is not osr-init")
	}
	for p := range img {
		if strings.HasPrefix(p, initrd.DriverDir+"/") {
			t.Errorf("the image carries %s; a built-in driver needs no program", p)
		}
	}
	m, err := manifest.Parse(img[manifest.Path].data)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Driver.BuiltIn || m.Driver.Path != "" || m.Driver.SHA256 != "" || m.Driver.Name != "testfs" || m.Driver.Version != "1.0" {
		t.Errorf("manifest driver = %+v; want testfs 1.0 built in, without path or digest", m.Driver)
	}
}

// isSoftdep reports whether a module of the image names name as a soft
// dependency, directly or through an alias (softdep libcrc32c pre: crc32c).
func isSoftdep(ix *kmod.Index, name string, inImage map[string]bool) bool {
	for p := range inImage {
		sd := ix.Softdep(kmod.NameFromPath(p))
		for _, dep := range append(append([]string{}, sd.Pre...), sd.Post...) {
			mods, _, _ := ix.Lookup(dep)
			for _, m := range mods {
				if m.Name == kmod.Normalize(name) {
					return true
				}
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestBuildIsReproducible(t *testing.T) {
	k := testkernel.Get(t)
	dir := t.TempDir()
	var sums []string
	cacheDir := t.TempDir()
	// Without a cache, filling the cache, all from the cache, forced.
	for i, how := range []struct{ cache, force bool }{{false, false}, {true, false}, {true, false}, {true, true}} {
		req := newRequest(t, k, nfsPlan)
		if how.cache {
			req.CacheDir = cacheDir // the modules' firmware names remembered too
		}
		plan, err := initrd.Build(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if how.cache && len(plan.Firmware) == 0 {
			t.Error("no firmware names: the generic image's modules declare some")
		}
		out := filepath.Join(dir, "img"+string(rune('a'+i)))
		opts := image.Options{Compression: image.Zstd, ModTime: req.ModTime, Force: how.force}
		if how.cache {
			if opts.Cache, err = image.OpenCache(cacheDir, 0); err != nil {
				t.Fatal(err)
			}
		}
		st, err := plan.Write(context.Background(), out, opts)
		if err != nil {
			t.Fatal(err)
		}
		if opts.Cache != nil {
			if err := opts.Cache.Close(); err != nil {
				t.Fatal(err)
			}
		}
		var names, cached []string
		for _, sg := range st.Segments {
			names = append(names, sg.Name)
			if sg.Cached {
				cached = append(cached, sg.Name)
			}
		}
		if got := strings.Join(names, ","); got != "kernel,system,osr,config" {
			t.Errorf("segments %s; want kernel,system,osr,config", got)
		}
		if wantAll := i == 2; (len(cached) == len(names)) != wantAll || (!wantAll && len(cached) > 0) {
			t.Errorf("build %d (%+v) took %v from the cache", i, how, cached)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		sums = append(sums, hex.EncodeToString(s[:]))
	}
	for i := range sums {
		if sums[i] != sums[0] {
			t.Errorf("builds of the same inputs differ (without cache, filling it, from it, forced): %v", sums)
			break
		}
	}
}

func TestCancelledWriteKeepsOldImage(t *testing.T) {
	k := testkernel.Get(t)
	req := newRequest(t, k, nfsPlan)
	plan, err := initrd.Build(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "initrd.img")
	old := []byte("the bootable image of yesterday")
	if err := os.WriteFile(out, old, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := plan.Write(ctx, out, image.Options{Compression: image.XZ}); err == nil {
		t.Fatal("Write(cancelled) succeeded")
	}
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, old) {
		t.Errorf("the old image changed after a cancelled build")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("left behind in the output dir: %v", ents)
	}
}

func TestRefusals(t *testing.T) {
	k := testkernel.Get(t)
	tests := []struct {
		name string
		plan driver.Plan
		edit func(*initrd.Request)
		want string
	}{
		{"unknown module", driver.Plan{Modules: []driver.Module{{Name: "no_such_fs"}}}, nil, "no_such_fs"},
		{"missing binary", driver.Plan{Binaries: []driver.Binary{{Name: "no-such-daemon", Reason: "the cluster"}}}, nil, "binary no-such-daemon (the cluster)"},
		{"missing file", driver.Plan{Files: []driver.File{{Path: "/etc/no/such/file", Reason: "config"}}}, nil, "file /etc/no/such/file"},
		{"wrong fstype", driver.Plan{}, func(r *initrd.Request) { r.FSType = "gfs2" }, `does not mount fstype "gfs2"`},
		{"no kernel", driver.Plan{}, func(r *initrd.Request) { r.Kernel = nil }, "no kernel modules"},
		{"no osr-init-plugin", driver.Plan{}, func(r *initrd.Request) { r.PluginInitBinary = "" }, "osr-init and osr-init-plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, k, tt.plan)
			if tt.edit != nil {
				tt.edit(req)
			}
			_, err := initrd.Build(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build() error = %v; want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestListfilesAndELFClosure(t *testing.T) {
	k := testkernel.Get(t)
	dir := t.TempDir()
	lf := "binary \"ls\" {}\ndirectory \"/var/empty\" {}\n"
	if err := os.WriteFile(filepath.Join(dir, "tools.hcl"), []byte(lf), 0o644); err != nil {
		t.Fatal(err)
	}
	set, diags := listfile.Load([]string{dir}, "/")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	req := newRequest(t, k, driver.Plan{})
	req.Listfiles = set
	plan, img := buildImage(t, req)
	var libc bool
	for p := range img {
		if strings.Contains(p, "libc.so.6") {
			libc = true
		}
	}
	if !libc || len(plan.Libraries) == 0 {
		t.Errorf("ls went in without its libraries (libc found: %v, libraries: %v)", libc, plan.Libraries)
	}
	var origin string
	for _, it := range plan.Items {
		if strings.HasSuffix(it.ImagePath, "/ls") {
			origin = it.Origin.String()
		}
	}
	if !strings.Contains(origin, "tools.hcl") {
		t.Errorf("ls's origin = %q; want the listfile", origin)
	}
}

func TestClusterConfigurationEmbedded(t *testing.T) {
	k := testkernel.Get(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "cluster.conf")
	xml := `<?xml version="1.0"?>
<cluster name="c" config_version="1">
 <clusternodes>
  <clusternode name="n1" nodeid="1" votes="1">
   <com_info><rootvolume name="10.0.0.1:/root" fstype="nfs4"/><eth name="eth0" mac="52:54:00:00:00:01" ip="dhcp"/></com_info>
   <fence><method name="1"><device name="ipmi" passwd="secret"/></method></fence>
  </clusternode>
 </clusternodes>
</cluster>
`
	if err := os.WriteFile(conf, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := cluster.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	req := newRequest(t, k, driver.Plan{})
	req.Cluster, req.ClusterFile = c, conf
	plan, img := buildImage(t, req)
	e, ok := img[initrd.ClusterDir+"/cluster.conf"]
	if !ok || string(e.data) != xml {
		t.Fatalf("cluster.conf not embedded as written")
	}
	if c.HasSecrets() && e.hdr.Mode.Perm() != 0o600 {
		t.Errorf("cluster.conf with a fence password stored %o; want 0600", e.hdr.Mode.Perm())
	}
	if plan.Manifest.Cluster != initrd.ClusterDir+"/cluster.conf" {
		t.Errorf("manifest cluster = %q", plan.Manifest.Cluster)
	}
}
