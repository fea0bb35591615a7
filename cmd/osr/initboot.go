package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/cdsl/cdsltab"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/kmod/loader"
	"github.com/open-sharedroot/osr/framework/manifest"
)

// runInit is osr as the initrd's /init (PID 1). It returns only when the boot
// failed for good; a successful boot ends in exec of the real init.
func runInit(args []string) int {
	ctx := context.Background()
	log := bootlog.New(os.Stderr)
	r := reaper.New(log.Printf)
	m, merr := readManifest()
	cfg := boot.Config{
		Args:   args,
		Log:    log,
		Reaper: r,
		Root:   &driverMount{manifest: m, err: merr, reaper: r, log: log},
		CDSL:   cdslBinder{log: log},
	}
	if m != nil {
		cfg.DriverModules = m.Modules
		cfg.Modules = &moduleLoader{dir: filepath.Join("/lib/modules", m.Kernel), log: log}
		if m.Cluster != "" {
			c, err := cluster.Load(m.Cluster)
			if err != nil {
				log.Printf("cluster configuration %s: %v", m.Cluster, err)
			} else {
				cfg.Nodes = clusterNodes{c}
				if m.ClusterStack != "" {
					cfg.Cluster = &clusterstack.Stack{Cluster: c, Image: m.ClusterStack, Runner: r, Logf: log.Infof}
				}
			}
		}
	}
	err := boot.Run(ctx, cfg)
	fmt.Fprintf(os.Stderr, "osr init: %v\n", err)
	return 1
}

func readManifest() (*manifest.Manifest, error) {
	data, err := os.ReadFile(manifest.Path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w (was this image built by osr build?)", manifest.Path, err)
	}
	return manifest.Parse(data)
}

// moduleLoader opens the image's module index when the init first needs it (after
// /proc and /sys are mounted, so the command line's module options apply).
type moduleLoader struct {
	dir string
	log *bootlog.Log
	l   *loader.Loader
}

func (m *moduleLoader) open() error {
	if m.l != nil {
		return nil
	}
	cmd, _ := os.ReadFile("/proc/cmdline")
	params, blacklist := loader.CmdlineOptions(string(cmd))
	l, err := loader.Open(m.dir, loader.Options{
		Params: params, Blacklist: blacklist, KernelCompression: loader.KernelCompression("/sys"), Logf: m.log.Printf,
	})
	if err != nil {
		return err
	}
	m.l = l
	return nil
}

func (m *moduleLoader) LoadHardware(ctx context.Context, sysfs string) ([]string, error) {
	if err := m.open(); err != nil {
		return nil, err
	}
	rep, err := m.l.LoadHardware(ctx, sysfs)
	return rep.Modules, err
}

func (m *moduleLoader) Load(ctx context.Context, names ...string) error {
	if err := m.open(); err != nil {
		return err
	}
	return m.l.Load(ctx, names...)
}

// driverMount starts the driver named in the manifest (its sha256 checked) and asks
// it to mount the root.
type driverMount struct {
	manifest *manifest.Manifest
	err      error
	reaper   *reaper.Reaper
	log      *bootlog.Log
}

func (d *driverMount) MountRoot(ctx context.Context, spec boot.MountSpec) error {
	if d.err != nil {
		return d.err
	}
	m := d.manifest
	sum, err := hexDecode(m.Driver.SHA256)
	if err != nil {
		return fmt.Errorf("manifest: driver sha256: %w", err)
	}
	cfg, err := m.Driver.DecodeConfig()
	if err != nil {
		return err
	}
	if err := os.MkdirAll("/run/osr", 0o700); err != nil {
		return err
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "driver", Output: logWriter{d.log}, Level: hclog.Info})
	release := d.reaper.Hold()
	p, err := driver.Launch(ctx, m.Driver.Path, driver.LaunchOptions{
		Logger: logger, SHA256: sum, SocketDir: "/run/osr", StartTimeout: 30 * time.Second,
	})
	if err == nil {
		d.reaper.Own(p.PID())
	}
	release()
	if err != nil {
		return fmt.Errorf("start driver %s %s: %w", m.Driver.Name, m.Driver.Version, err)
	}
	defer func() {
		pid := p.PID()
		p.Kill()
		d.reaper.Forget(pid)
	}()
	p.SetName(m.Driver.Name)
	fstype := spec.FSType
	if fstype == "" {
		fstype = m.FSType
	}
	req := driver.MountRequest{
		Config: cfg, FSType: fstype, Source: spec.Source, Target: spec.Target, ReadOnly: spec.ReadOnly,
		Options: splitOptions(spec.Options), Parameters: map[string]string{},
		Node: driver.ClusterNode{Name: spec.Node.Name}, Attempts: spec.Tries, Wait: spec.Wait,
	}
	if id, err := strconv.Atoi(spec.Node.ID); err == nil {
		req.Node.ID = id
	}
	if m.Cluster != "" {
		if c, err := cluster.Load(m.Cluster); err == nil {
			req.Nodes, req.ClusterName = driverNodes(c), c.Name
			for _, n := range req.Nodes {
				if n.ID == req.Node.ID {
					req.Node = n
				}
			}
		}
	}
	for _, prm := range spec.Params.All {
		req.Parameters[prm.Name] = prm.Value
	}
	res, err := p.Mount(ctx, req)
	if res != nil {
		for _, w := range res.Diagnostics {
			d.log.Printf("driver %s: warning: %s", m.Driver.Name, w.Error())
		}
	}
	if err != nil {
		return fmt.Errorf("driver %s could not mount %s on %s: %w", m.Driver.Name, spec.Source, spec.Target, err)
	}
	return nil
}

func splitOptions(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

func hexDecode(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("odd length")
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, err
		}
		out[i] = byte(v)
	}
	return out, nil
}

// logWriter sends the driver's log lines into the boot log.
type logWriter struct{ log *bootlog.Log }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Printf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = logWriter{}

// cdslBinder binds the node's CDSL tree onto the link dir and mounts the cdsltab
// entries marked for the initrd.
type cdslBinder struct{ log *bootlog.Log }

func (b cdslBinder) Bind(_ context.Context, root string, node boot.Node) (string, error) {
	lay, err := inventory.FindLayout(root, "")
	if err != nil {
		return "", fmt.Errorf("find the CDSL layout on %s: %w (a root without CDSLs needs no bind; create the inventory with osr cdsl init)", root, err)
	}
	dir := lay.NodePrefix + node.ID
	if !lay.UseNodeIDs {
		dir = node.Name
	}
	src := filepath.Join(root, lay.NodeDir(dir))
	dst := filepath.Join(root, lay.LinkDir())
	if _, err := os.Stat(src); err != nil {
		return "", fmt.Errorf("node %s has no CDSL tree: %w; add the node with osr cdsl nodes add %s", dir, err, dir)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("create the link dir %s: %w", dst, err)
	}
	if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return "", fmt.Errorf("bind %s on %s: %w", src, dst, err)
	}
	return fmt.Sprintf("bound %s on %s", src, dst), nil
}

func (b cdslBinder) MountTab(_ context.Context, root string, node boot.Node) ([]string, error) {
	path := filepath.Join(root, cdsltab.DefaultPath)
	entries, err := cdsltab.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	list, err := cdsltab.ForInitrd(entries, map[string]string{"nodeid": node.ID, "nodename": node.Name})
	if err != nil {
		return nil, err
	}
	var done []string
	for _, e := range list {
		dst := filepath.Join(root, e.Dest)
		var flags uintptr
		fstype, src := e.FSType, e.Source
		switch fstype {
		case "bind":
			flags, fstype, src = unix.MS_BIND, "", filepath.Join(root, e.Source)
		case "rbind":
			flags, fstype, src = unix.MS_BIND|unix.MS_REC, "", filepath.Join(root, e.Source)
		}
		if e.CDSLFilesystem {
			continue // a CDSL filesystem's own bind comes with its mount, after the boot
		}
		var last error
		for try := 0; try < max(e.MountTimes, 1); try++ {
			if last = unix.Mount(src, dst, fstype, flags, strings.Join(e.Options, ",")); last == nil {
				break
			}
			time.Sleep(time.Duration(e.MountWait) * time.Second)
		}
		if last != nil {
			return done, fmt.Errorf("%s line %d: mount %s on %s: %w", path, e.Line, src, dst, last)
		}
		done = append(done, fmt.Sprintf("%s on %s (%s line %d)", src, dst, path, e.Line))
	}
	return done, nil
}
