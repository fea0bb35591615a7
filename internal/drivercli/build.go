// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/boot/cmdline"
	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/config"
	"github.com/open-sharedroot/osr/framework/config/driverblock"
	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/initrd"
	"github.com/open-sharedroot/osr/framework/initrd/image"
	"github.com/open-sharedroot/osr/framework/kernelimage"
	"github.com/open-sharedroot/osr/framework/kmod"
	"github.com/open-sharedroot/osr/framework/listfile"
	"github.com/open-sharedroot/osr/internal/cli"
)

func init() {
	register(newBuildCmd)
}

const buildLong = `Builds the initrd that boots every node of the cluster from the shared root: osr as
/init, the driver and its manifest, what the driver's plan and the listfiles name
(with the ELF libraries of every binary), the kernel modules the driver needs plus
every network and block driver (only this machine's with --host-only), their
firmware, and the cluster configuration.

Defaults come from the initrd block of osr.hcl; the kernel defaults to the running
one, the output to /boot/initrd_sr-VERSION.img. The cluster configuration and the
driver's configuration are validated first, and the output's directory must exist
and be writable. The image is written to a temporary file beside the output and
renamed, so a failed build never replaces a working image. --dry-run shows what
would go into the image and writes nothing (--json: as JSON).

The image is written as segments (kernel modules, system files, osr and the driver,
configuration), each a compressed cpio archive, concatenated. Each is cached in
--cache-dir (default $OSR_CACHE_DIR, initrd { cache_dir }, or /var/cache/osr) under
the hash of what it holds, so a rebuild compresses only what changed. --force
compresses everything again. The result is the same bytes either way.`

func newBuildCmd(e *env) *cobra.Command {
	var f buildFlags
	c := &cobra.Command{
		Use: `build --driver NAME [--kernel VERSION | --modules DIR] [-o FILE]
          [--compress zstd|gzip|xz|lz4|none] [--level N] [--host-only]
          [--cluster FILE] [--fstype TYPE] [--root DIR] [--listfile-dir DIR]…
          [--listfile NAME]… [--module NAME]… [--cache-dir DIR] [--force]
          [--dry-run [--json]]`,
		Short: "build the shared-root initrd",
		Long:  buildLong,
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return runBuild(e, &f) },
	}
	fs := c.Flags()
	fs.StringVar(&f.driver, "driver", "", "the filesystem driver `NAME` (see osr drivers)")
	fs.StringVar(&f.kernel, "kernel", "", kernelFlagUsage)
	fs.StringVar(&f.modules, "modules", "", "kernel modules `DIR` (default ROOT/lib/modules/VERSION)")
	fs.StringVarP(&f.output, "output", "o", "", "image `FILE` (default /boot/initrd_sr-VERSION.img)")
	fs.StringVar(&f.compress, "compress", "", "`COMPRESSION`: zstd (default), gzip, xz, lz4, none")
	fs.IntVar(&f.level, "level", 0, "compression `LEVEL` (0: the compressor's default)")
	fs.BoolVar(&f.hostOnly, "host-only", false, "only this machine's network and block drivers")
	bindClusterFlag(fs, &f.cluster)
	fs.StringVar(&f.fstype, "fstype", "", "root filesystem `TYPE` when there is no cluster configuration")
	fs.StringVar(&f.root, "root", "/", "build from the system in `DIR`")
	fs.StringArrayVar(&f.listfileDirs, "listfile-dir", nil, "listfile `DIR` (repeatable; default the installed ones)")
	fs.StringArrayVar(&f.listfiles, "listfile", nil, "take the on-request listfile `NAME` too (repeatable)")
	fs.BoolVarP(&f.dryRun, "dry-run", "n", false, "show what would go into the image; write nothing")
	fs.BoolVar(&f.json, "json", false, "with --dry-run: print the plan as JSON")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "keep compressed segments in `DIR` between builds (default /var/cache/osr)")
	fs.BoolVar(&f.force, "force", false, "compress every segment again, even those in the cache")
	fs.StringArrayVar(&f.extraModules, "module", nil, "also take kernel module `NAME` and its dependencies (repeatable; adds to initrd.modules)")
	completeValues(c, "compress", "zstd", "gzip", "xz", "lz4", "none")
	_ = c.RegisterFlagCompletionFunc("driver", driverNames(e))
	_ = c.RegisterFlagCompletionFunc("kernel", kernelVersions)
	return c
}

type buildFlags struct {
	driver, kernel, modules, output, compress, cluster, fstype, root string
	cacheDir                                                         string
	level                                                            int
	hostOnly, dryRun, json, force                                    bool
	listfileDirs, listfiles, extraModules                            []string
}

func runBuild(e *env, f *buildFlags) error {
	start := time.Now()
	if f.json && !f.dryRun {
		return usagef("--json prints the plan of --dry-run; give both")
	}
	if f.root == "" {
		f.root = "/"
	}
	cfg, err := e.LoadConfig()
	if err != nil {
		return err
	}
	mergeBuildDefaults(f, cfg.Config)
	if f.driver == "" {
		return usagef("no driver: give --driver NAME (see osr drivers) or set initrd { driver = \"…\" } in osr.hcl")
	}
	comp, err := image.ParseCompression(f.compress)
	if err != nil {
		return usagef("--compress: %v", err)
	}

	progress := progressFunc(e)
	req := &initrd.Request{Root: f.root, HostOnly: f.hostOnly, OnRequest: f.listfiles, OSRVersion: cli.Version(), Progress: progress}
	req.Target = driver.Target{Arch: runtime.GOARCH}

	// The cluster configuration: validated before anything else.
	if err := loadBuildCluster(e, cfg, f, req); err != nil {
		return err
	}
	// The kernel.
	progress("reading the kernel's module index")
	if req.Kernel, err = loadKernel(f, cfg.Config); err != nil {
		return err
	}
	req.Target.KernelVersion = req.Kernel.Version()
	// The output, before the long part of the build.
	output := expandOutput(f.output, req.Kernel.Version())
	if !f.dryRun {
		inputs := append([]string{req.ClusterFile}, cfg.Files...)
		if err := image.CheckOutput(output, inputs...); err != nil {
			return err
		}
	}
	req.ExtraModules = append(append([]string(nil), cfg.Initrd.Modules...), f.extraModules...)
	req.CacheDir = f.cacheDir
	// The image's default kernel parameters, and the modules they need (overlay).
	if req.Cmdline = cfg.Initrd.Cmdline; req.Cmdline != "" {
		p := cmdline.Parse(req.Cmdline)
		if len(p.Problems) > 0 {
			r := cfg.Initrd.CmdlineRange
			return fmt.Errorf("%s:%d: initrd { cmdline }: %s", r.Filename, r.Start.Line, strings.Join(p.Problems, "; "))
		}
		req.ExtraModules = append(req.ExtraModules, p.Modules()...)
	}
	cs := cfg.ClusterStack
	req.ClusterStack = clusterstack.Settings{AuthKey: cs.AuthKey, TokenMS: cs.TokenMS, PostJoinDelay: cs.PostJoinDelay, Extra: cs.Files}

	// The driver and its configuration.
	host := driverHost(e, cfg)
	defer host.Close()
	d, err := host.Start(e.Context(), f.driver)
	if err != nil {
		return err
	}
	req.Driver, req.DriverInfo, req.DriverBinary = d, d.Info, d.Path
	if req.FSType == "" {
		req.FSType = f.fstype
	}
	if req.FSType == "" {
		req.FSType = d.Info.FSTypes[0]
	}
	block := cfg.Driver(f.driver)
	if req.DriverConfig, err = decodeDriverConfig(e, cfg, block, d.Info, req.FSType, d); err != nil {
		return err
	}
	if err := checkLockTable(e, cfg, block, d.Info, req.DriverConfig, req.Cluster); err != nil {
		return err
	}

	// Listfiles.
	// Directories given on the command line are host paths; the installed ones lie
	// inside the build root.
	dirs, dirRoot := []string(f.listfileDirs), "/"
	if len(dirs) == 0 {
		dirs, dirRoot = defaultListfileDirs(cfg.Config), f.root
	}
	set, ldiags := listfile.Load(dirs, dirRoot)
	if len(ldiags) > 0 {
		if err := set.WriteDiagnostics(e.Stderr(), ldiags, 100); err != nil {
			return err
		}
		if ldiags.HasErrors() {
			return errReported
		}
	}
	req.Listfiles = set

	// The image's /init is osr-init, which has the built-in drivers in it, or
	// osr-init-plugin, which starts a driver program.
	if req.InitBinary, err = cli.FindLibexec(cli.InitName); err != nil {
		return fmt.Errorf("the image's /init: %w", err)
	}
	if req.PluginInitBinary, err = cli.FindLibexec(cli.PluginInitName); err != nil {
		return fmt.Errorf("the image's /init: %w", err)
	}
	if req.ModTime, err = image.SourceDateEpoch(); err != nil {
		return err
	}

	plan, err := initrd.Build(e.Context(), req)
	if err != nil {
		return err
	}
	if f.dryRun && f.json {
		return writeDryRunJSON(e.Stdout(), plan, output)
	}
	if f.dryRun {
		return printDryRun(e, plan, output)
	}
	progress(fmt.Sprintf("writing %s (%s)", output, comp))
	cache, err := image.OpenCache(f.cacheDir, cfg.Initrd.CacheKeep)
	if err != nil {
		e.Log().Warn("building without the segment cache", "error", err)
	}
	stats, err := plan.Write(e.Context(), output, image.Options{Compression: comp, Level: f.level, ModTime: req.ModTime, Cache: cache, Force: f.force})
	if cache != nil {
		if cerr := cache.Close(); cerr != nil {
			e.Log().Warn("segment cache", "error", cerr)
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", output, err)
	}
	progress("")
	reportNotes(e, plan.Notes)
	fmt.Fprintf(e.Stdout(), "%s: kernel %s, driver %s %s (fstype %s)\n", output, req.Kernel.Version(), d.Info.Name, d.Info.Version, req.FSType)
	fmt.Fprintf(e.Stdout(), "  %d files, %d modules (%d builtin), %d firmware files, %d libraries\n",
		stats.Files, len(plan.Modules), len(plan.Builtin), countFound(plan.Firmware), len(plan.Libraries))
	fmt.Fprintf(e.Stdout(), "  %s raw, %s %s, in %.2fs\n", humanBytes(stats.RawBytes), humanBytes(stats.CompressedBytes), stats.Compression, time.Since(start).Seconds())
	if cache != nil {
		var reused []string
		for _, s := range stats.Segments {
			if s.Cached {
				reused = append(reused, s.Name)
			}
		}
		fmt.Fprintf(e.Stdout(), "  %d of %d segments from the cache %s", len(reused), len(stats.Segments), cache.Dir())
		if len(reused) > 0 {
			fmt.Fprintf(e.Stdout(), " (%s)", strings.Join(reused, ", "))
		}
		fmt.Fprintln(e.Stdout())
	}
	return nil
}

// mergeBuildDefaults fills unset flags from osr.hcl's initrd block.
func mergeBuildDefaults(f *buildFlags, cfg *config.Config) {
	def := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	def(&f.driver, cfg.Initrd.Driver)
	def(&f.output, cfg.Initrd.Output)
	def(&f.compress, cfg.Initrd.Compression)
	def(&f.kernel, cfg.Initrd.Kernel)
	def(&f.modules, cfg.Initrd.ModulesDir)
	def(&f.cacheDir, os.Getenv("OSR_CACHE_DIR"))
	def(&f.cacheDir, cfg.Initrd.CacheDir)
	def(&f.cacheDir, image.DefaultCacheDir)
	def(&f.output, defaultOutput)
	def(&f.compress, string(image.DefaultCompression))
	f.hostOnly = f.hostOnly || cfg.Initrd.HostOnly
}

// loadBuildCluster reads and validates the cluster configuration, when there is one,
// and takes the root filesystem type from it.
func loadBuildCluster(e *env, cfg *loadedConfig, f *buildFlags, req *initrd.Request) error {
	cf, err := e.ClusterFile(f.cluster, cfg.Config)
	if err != nil {
		return err
	}
	path := cf.Path
	if !fileExists(path) {
		if cf.Explicit {
			return fmt.Errorf("cluster configuration %s (%s) does not exist; give an existing file with --cluster", path, cf.Origin())
		}
		e.Log().Info("no cluster configuration; the image identifies nodes by nodeid= only", "looked", path)
		return nil
	}
	c, err := cluster.Load(path)
	if err != nil {
		return err
	}
	e.WarnCluster(c)
	if err := c.Validate(); err != nil {
		return fmt.Errorf("the cluster configuration has problems; fix them before building:\n%w", err)
	}
	req.Cluster, req.ClusterFile = c, path
	for _, n := range c.Nodes {
		if n.RootVolume != nil && n.RootVolume.FSType != "" {
			req.FSType = n.RootVolume.FSType
			break
		}
	}
	if f.fstype != "" && req.FSType != "" && f.fstype != req.FSType {
		return fmt.Errorf("--fstype %s contradicts the cluster configuration %s, whose rootvolume fstype is %s", f.fstype, path, req.FSType)
	}
	return nil
}

// loadKernel reads the module index of the kernel the image is for.
func loadKernel(f *buildFlags, cfg *config.Config) (*kmod.Index, error) {
	dir := f.modules
	if dir == "" {
		k, err := kernelimage.Resolve(f.kernel, f.root)
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(f.root, "lib", "modules", k.Release)
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("kernel modules directory %s does not exist; install the kernel's modules or give --kernel VERSION|PATH / --modules DIR", dir)
	}
	if !fileExists(filepath.Join(dir, kmod.FileDep)) {
		return nil, fmt.Errorf("%s has no %s; run depmod -b ROOT VERSION for that kernel", dir, kmod.FileDep)
	}
	ix, err := kmod.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("read kernel modules in %s: %w", dir, err)
	}
	return ix, nil
}

// decodeDriverConfig decodes and validates the driver's block (or its defaults).
func decodeDriverConfig(e *env, cfg *loadedConfig, block *config.DriverBlock, info *driver.Info, fstype string, d driver.Driver) (driver.Config, error) {
	dcfg, diags := driverblock.Decode(block, info.Schema)
	if err := e.Report(cfg.Loader(), diags); err != nil {
		return dcfg, err
	}
	ds, err := d.ValidateConfig(e.Context(), driver.ValidateRequest{Config: dcfg, FSType: fstype})
	if err != nil {
		return dcfg, err
	}
	if err := e.Report(cfg.Loader(), driverblock.Diagnostics(block, info.Schema, ds, info.Name)); err != nil {
		return dcfg, err
	}
	return dcfg, nil
}

// defaultListfileDirs are the configured listfile dirs, else the installed ones, plus
// the source tree's listfiles/ when osr runs from a build tree (bin/osr).
func defaultListfileDirs(cfg *config.Config) []string {
	if len(cfg.ListfileDirs) > 0 {
		return cfg.ListfileDirs
	}
	dirs := append([]string{}, listfile.SystemDirs...)
	if exe, err := os.Executable(); err == nil {
		tree := filepath.Join(filepath.Dir(exe), "..", "listfiles")
		if fileExists(tree) && !fileExists(listfile.SystemDirs[0]) {
			dirs[0] = filepath.Clean(tree)
		}
	}
	return dirs
}

func expandOutput(tmpl, kernel string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tmpl, "{kernel}", kernel), "VERSION", kernel)
}

// progressFunc returns a function that shows the build's stage on a terminal and does
// nothing otherwise.
func progressFunc(e *env) func(string) {
	f, ok := e.Stderr().(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return func(string) {}
	}
	return func(stage string) {
		fmt.Fprintf(f, "\r\033[K%s", stage)
		if stage != "" {
			fmt.Fprint(f, " …")
		}
	}
}

func printDryRun(e *env, plan *initrd.Plan, output string) error {
	w := e.Stdout()
	fmt.Fprintf(w, "would write %s with:\n", output)
	for _, it := range plan.Items {
		fmt.Fprintf(w, "  %-9s %-50s %s\n", it.Kind, it.ImagePath, it.Origin)
	}
	for _, l := range plan.Libraries {
		fmt.Fprintf(w, "  %-9s %s\n", "library", l)
	}
	for _, m := range plan.Modules {
		fmt.Fprintf(w, "  %-9s %s\n", "module", m.Path)
	}
	fmt.Fprintf(w, "  %d entries in all, %d modules, %d firmware files\n", plan.Archive.Len(), len(plan.Modules), countFound(plan.Firmware))
	for _, n := range plan.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func countFound(fws []kmod.Firmware) int {
	n := 0
	for _, f := range fws {
		if f.Path != "" {
			n++
		}
	}
	return n
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// reportNotes shows the build's notes: what the image lacks (firmware, a
// driver's warnings) as warnings, the optional entries this system does not
// have at info level (-v).
func reportNotes(e *env, notes []string) {
	for _, n := range notes {
		if strings.HasPrefix(n, "optional") {
			e.Log().Info(n)
			continue
		}
		e.Log().Warn(n)
	}
}
