// SPDX-License-Identifier: Apache-2.0

package initrd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/initrd/image"
	"github.com/open-sharedroot/osr/framework/internal/inroot"
	"github.com/open-sharedroot/osr/framework/kmod"
	"github.com/open-sharedroot/osr/framework/listfile"
	"github.com/open-sharedroot/osr/framework/manifest"
)

// ClusterDir is where the cluster configuration lives inside an image.
const ClusterDir = "/etc/osr/cluster"

// DriverDir is where the driver binary lives inside an image.
const DriverDir = "/usr/libexec/osr/drivers"

// The image's segments (image.Entry.Segment), in image order: each is
// compressed and cached on its own, so a rebuild after a change to the
// cluster configuration compresses only the small configuration segment.
const (
	// SegmentKernel holds the kernel modules, their index and firmware.
	SegmentKernel = "kernel"
	// SegmentSystem holds the skeleton, what the listfiles and the driver's
	// plan name, the ELF libraries and the cluster stack's programs.
	SegmentSystem = "system"
	// SegmentOSR holds osr itself (/init) and the driver binary.
	SegmentOSR = "osr"
	// SegmentConfig holds the cluster configuration, the driver's generated
	// files, the cluster stack's configuration and the manifest.
	SegmentConfig = "config"
)

// SegmentOrder is the order of the segments in the image.
var SegmentOrder = []string{SegmentKernel, SegmentSystem, SegmentOSR, SegmentConfig}

// Plan is a resolved build: the archive to write and what went into it.
type Plan struct {
	// Archive holds every entry; Write compresses and writes it.
	Archive *image.Archive
	// Manifest is the manifest the image carries.
	Manifest *manifest.Manifest
	// Modules is the kernel module closure; Firmware what those modules declare.
	Modules  []*kmod.Module
	Builtin  []string
	Firmware []kmod.Firmware
	// Items are the listfile and driver items with what asked for them.
	Items []listfile.Item
	// Libraries are the ELF libraries (and links) added for the binaries.
	Libraries []string
	// Notes are things the user may want to know (optional items missing, …).
	Notes []string
}

// Build resolves everything the image needs and fills an archive. It writes
// nothing to disk; Plan.Write does.
func Build(ctx context.Context, req *Request) (*Plan, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	p := &Plan{Archive: image.NewArchive()}
	info := req.DriverInfo

	req.progress("asking driver %s for its plan", info.Name)
	dplan, diags, err := req.Driver.Plan(ctx, driver.PlanRequest{Config: req.DriverConfig, FSType: req.FSType, Target: req.Target})
	if err != nil {
		return nil, fmt.Errorf("driver %s: plan: %w", info.Name, err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("driver %s refuses the configuration: %w", info.Name, joinDiags(diags))
	}
	for _, d := range diags {
		p.Notes = append(p.Notes, fmt.Sprintf("driver %s: warning: %s", info.Name, d.Error()))
	}
	if err := checkContext(ctx); err != nil {
		return nil, err
	}
	var stackFiles []clusterstack.File
	if slices.Contains(dplan.Listfiles, clusterstack.Listfile) {
		// Refuse a cluster stack that cannot start before anything else.
		if stackFiles, err = clusterStackFiles(req); err != nil {
			return nil, err
		}
	}

	req.progress("resolving listfiles")
	items, err := p.listfileItems(ctx, req, dplan)
	if err != nil {
		return nil, err
	}
	driverItems, err := p.driverItems(req, dplan)
	if err != nil {
		return nil, err
	}
	items = append(items, driverItems...)
	p.Items = items
	items, stack := splitClusterStack(items)
	if err := p.addSkeleton(req, items); err != nil {
		return nil, err
	}

	req.progress("resolving ELF libraries")
	if err := p.addItems(ctx, req, items); err != nil {
		return nil, err
	}
	if len(stack) > 0 {
		req.progress("laying out the cluster stack's chroot")
		if err := p.addClusterStack(ctx, req, stackFiles, stack); err != nil {
			return nil, err
		}
	}
	req.progress("resolving kernel modules for %s", req.Kernel.Version())
	if err := p.addModules(ctx, req, dplan); err != nil {
		return nil, err
	}
	if err := p.addCluster(req); err != nil {
		return nil, err
	}
	if err := p.addDriverAndManifest(req, dplan); err != nil {
		return nil, err
	}
	return p, nil
}

// Write compresses the archive into path atomically: a temp file beside it, fsynced
// and renamed, so a failed or killed build never replaces a bootable image.
func (p *Plan) Write(ctx context.Context, path string, opts image.Options) (image.Stats, error) {
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return image.Stats{}, fmt.Errorf("output directory %s does not exist; create it or give another --output", dir)
		}
	}
	if opts.SegmentOrder == nil {
		opts.SegmentOrder = SegmentOrder
	}
	return p.Archive.WriteFile(ctx, path, opts)
}

// skeletonDirs are the directories the init needs, added unless a listfile
// already gives them (with its own mode).
var skeletonDirs = []string{"/dev", "/proc", "/sys", "/run", "/sysroot", "/tmp", "/etc/osr", "/usr/bin"}

// addSkeleton adds osr as /init, the directories the init mounts on, and the
// console device the kernel opens for /init's output before devtmpfs is mounted.
func (p *Plan) addSkeleton(req *Request, items []listfile.Item) error {
	a := p.Archive.Segment(SegmentSystem)
	listed := map[string]bool{}
	for _, it := range items {
		listed[it.ImagePath] = true
	}
	for _, d := range skeletonDirs {
		if listed[d] {
			continue
		}
		if err := a.AddDir(d, 0o755); err != nil {
			return err
		}
	}
	if err := a.AddDevice("/dev/console", image.CharDevice, 5, 1, 0o600); err != nil {
		return err
	}
	if err := a.AddDevice("/dev/null", image.CharDevice, 1, 3, 0o666); err != nil {
		return err
	}
	o := p.Archive.Segment(SegmentOSR)
	init, name := req.Init()
	if err := o.Add(image.Entry{Path: "/init", Kind: image.File, Source: init, Mode: 0o755, Origin: name}); err != nil {
		return fmt.Errorf("add %s as /init: %w", name, err)
	}
	return o.AddSymlink("/usr/bin/osr", "/init")
}

// listfileItems resolves the listfiles for this build, including those the driver
// names.
func (p *Plan) listfileItems(ctx context.Context, req *Request, dplan *driver.Plan) ([]listfile.Item, error) {
	if req.Listfiles == nil {
		return nil, nil
	}
	onRequest := append(append([]string{}, req.OnRequest...), dplan.Listfiles...)
	items, report, err := req.Listfiles.Resolve(ctx, listfile.Query{
		Root: req.root(), Driver: req.DriverInfo.Name, FSType: req.FSType, Arch: req.Target.Arch, Listfiles: onRequest,
	})
	if err != nil {
		return nil, fmt.Errorf("listfiles: %w", err)
	}
	for _, m := range report.Optional {
		p.Notes = append(p.Notes, "optional, not on this system: "+m.String())
	}
	p.Notes = append(p.Notes, report.Notes...)
	for _, u := range report.Listfiles {
		if p.Manifest == nil {
			p.Manifest = &manifest.Manifest{}
		}
		p.Manifest.Listfiles = append(p.Manifest.Listfiles, u.Name)
	}
	return items, nil
}

// driverItems turns the driver's binaries, files and directories into items.
func (p *Plan) driverItems(req *Request, dplan *driver.Plan) ([]listfile.Item, error) {
	items, notes, err := DriverItems(req.root(), req.DriverInfo.Name, dplan)
	p.Notes = append(p.Notes, notes...)
	return items, err
}

// DriverItems turns a driver's plan (binaries, files, directories) into listfile
// items found inside root, each with the driver as its origin. Optional items that
// root lacks become notes; required ones are an error that lists them all.
func DriverItems(root, name string, dplan *driver.Plan) (items []listfile.Item, notes []string, err error) {
	origin := listfile.Origin{Source: "driver " + name}
	var missing []string
	for _, b := range dplan.Binaries {
		path, final, err := listfile.FindBinary(root, b.Name)
		if errors.Is(err, fs.ErrNotExist) {
			if b.Optional {
				notes = append(notes, fmt.Sprintf("optional, not on this system: binary %s (driver %s: %s)", b.Name, name, b.Reason))
				continue
			}
			missing = append(missing, fmt.Sprintf("binary %s (%s), looked in %s", b.Name, b.Reason, strings.Join(listfile.BinDirs, ", ")))
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("driver %s: binary %s: %w", name, b.Name, err)
		}
		o := origin
		o.Entry = fmt.Sprintf("binary %q", b.Name)
		items = append(items, listfile.Item{Kind: listfile.KindBinary, ImagePath: path, Source: final, HostPath: inroot.Host(root, final), Origin: o})
	}
	for _, f := range dplan.Files {
		// Links are followed inside the root: an absolute link names the root's file, never the host's.
		_, final, _, err := inroot.Chain(root, f.Path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, inroot.ErrTooManyLinks) {
				return nil, nil, fmt.Errorf("driver %s: file %s: %w", name, f.Path, err)
			}
			if f.Optional {
				notes = append(notes, fmt.Sprintf("optional, not on this system: file %s (driver %s)", f.Path, name))
				continue
			}
			missing = append(missing, fmt.Sprintf("file %s (%s)", f.Path, f.Reason))
			continue
		}
		o := origin
		o.Entry = fmt.Sprintf("file %q", f.Path)
		items = append(items, listfile.Item{Kind: listfile.KindFile, ImagePath: f.Path, Source: final, HostPath: inroot.Host(root, final), Origin: o})
	}
	for _, d := range dplan.Directories {
		o := origin
		o.Entry = fmt.Sprintf("directory %q", d)
		items = append(items, listfile.Item{Kind: listfile.KindDir, ImagePath: d, Mode: 0o755, Origin: o})
	}
	if len(missing) > 0 {
		return items, notes, fmt.Errorf("driver %s needs what this system does not have:\n  %s\ninstall the packages that provide them (or pick a configuration that does not need them)",
			name, strings.Join(missing, "\n  "))
	}
	return items, notes, nil
}

// addDriverAndManifest copies the driver binary and writes the manifest.
func (p *Plan) addDriverAndManifest(req *Request, dplan *driver.Plan) error {
	info := req.DriverInfo
	// A built-in driver is called in /init's (osr-init's) own process: the
	// image carries no driver program, and the manifest no path or digest.
	var imgPath, sum string
	builtIn := req.DriverBuiltIn()
	if !builtIn {
		var err error
		if sum, err = fileSHA256(req.DriverBinary); err != nil {
			return fmt.Errorf("driver %s: %w", info.Name, err)
		}
		imgPath = filepath.Join(DriverDir, "osr-driver-"+info.Name)
		if err := p.Archive.Segment(SegmentOSR).Add(image.Entry{Path: imgPath, Kind: image.File, Source: req.DriverBinary, Mode: 0o755, Origin: "driver " + info.Name}); err != nil {
			return err
		}
	}
	for _, g := range dplan.Generated {
		mode := g.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := p.Archive.Segment(SegmentConfig).Add(image.Entry{Path: g.Path, Kind: image.File, Data: g.Content, Mode: os.FileMode(mode), Secret: g.Secret, Origin: "driver " + info.Name}); err != nil {
			return err
		}
	}
	m := p.Manifest
	if m == nil {
		m = &manifest.Manifest{}
	}
	m.Version = manifest.FormatVersion
	m.OSRVersion = req.OSRVersion
	m.Kernel = req.Kernel.Version()
	m.Created = req.ModTime
	m.FSType = req.FSType
	m.Cmdline = strings.TrimSpace(req.Cmdline)
	m.Driver = manifest.Driver{Name: info.Name, Version: info.Version, Path: imgPath, SHA256: sum, Protocol: driver.ProtocolVersion, BuiltIn: builtIn}
	if err := m.Driver.EncodeConfig(req.DriverConfig); err != nil {
		return err
	}
	for _, mod := range dplan.Modules {
		if mod.Optional {
			m.OptionalModules = append(m.OptionalModules, kmod.Normalize(mod.Name))
		} else {
			m.Modules = append(m.Modules, kmod.Normalize(mod.Name))
		}
	}
	m.Modules = append(m.Modules, normalizeAll(req.ExtraModules)...)
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	p.Manifest = m
	// The manifest carries the driver's configuration, Sensitive attributes
	// included; only the init (root) reads it.
	return p.Archive.Segment(SegmentConfig).AddBytes(manifest.Path, data, 0o600)
}

// addCluster embeds the cluster configuration; a file holding secrets is stored 0600.
func (p *Plan) addCluster(req *Request) error {
	if req.ClusterFile == "" {
		return nil
	}
	dst := filepath.Join(ClusterDir, filepath.Base(req.ClusterFile))
	secret := req.Cluster != nil && req.Cluster.HasSecrets()
	if err := p.Archive.Segment(SegmentConfig).Add(image.Entry{Path: dst, Kind: image.File, Source: req.ClusterFile, Mode: 0o644, Secret: secret, Origin: "cluster configuration"}); err != nil {
		return fmt.Errorf("embed cluster configuration: %w", err)
	}
	if p.Manifest == nil {
		p.Manifest = &manifest.Manifest{}
	}
	p.Manifest.Cluster = dst
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func normalizeAll(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, kmod.Normalize(n))
	}
	sort.Strings(out)
	return out
}

func joinDiags(ds driver.Diagnostics) error {
	var parts []string
	for _, d := range ds {
		if d.Severity == driver.Error {
			parts = append(parts, d.Error())
		}
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}
