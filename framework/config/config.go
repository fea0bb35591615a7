// SPDX-License-Identifier: Apache-2.0

// Package config loads osr's configuration: osr.hcl and the drop-ins in conf.d/*.hcl
// beside it. Driver blocks are kept as HCL bodies and decoded later against the
// schema their driver reports, so every problem, the core's or a driver's, is an HCL
// diagnostic with file, line and snippet.
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/internal/hcldepth"
	"github.com/open-sharedroot/osr/internal/paths"
)

// DefaultPath is where osr looks for its configuration when neither --config nor
// $OSR_CONFIG names one: SYSCONFDIR/osr/osr.hcl, compiled in (/etc/osr/osr.hcl for
// a distribution package).
var DefaultPath = paths.ConfigFile()

// EnvPath names the configuration file when --config is not given.
const EnvPath = "OSR_CONFIG"

// Config is osr's configuration, merged from osr.hcl and conf.d/*.hcl.
type Config struct {
	// DriverDirs are searched for osr-driver-* binaries (after --driver-dir and
	// $OSR_DRIVER_PATH).
	DriverDirs []string
	// DriverCallTimeout bounds each Describe, ValidateConfig and Plan call to a
	// driver (driver_call_timeout); 0 means driver.DefaultCallTimeout.
	DriverCallTimeout time.Duration
	// ListfileDirs are searched for listfiles, in order.
	ListfileDirs []string
	// ClusterConfig is the cluster configuration osr reads by default.
	ClusterConfig string
	// Initrd holds the defaults of `osr build`.
	Initrd Initrd
	// ClusterStack holds the cluster_stack block: the corosync/dlm_controld chroot
	// of a root that needs it (GFS2 with lock_dlm).
	ClusterStack ClusterStack
	// Drivers are the driver "<name>" {} blocks.
	Drivers []*DriverBlock
	// Files are the files that were read, in order.
	Files []string
}

// Initrd holds the defaults of `osr build`.
type Initrd struct {
	Driver      string
	Compression string
	Output      string
	HostOnly    bool
	Modules     []string
	Kernel      string
	ModulesDir  string
	// KernelHooks lets the kernel hooks (kernel-install, /etc/kernel/postinst.d and
	// postrm.d) build an image when a kernel is installed and remove it when the
	// kernel is removed. Off by default.
	KernelHooks bool
	// KernelHooksRange is where kernel_hooks was last set, for messages.
	KernelHooksRange hcl.Range
	// CacheDir is where osr build keeps compressed image segments between
	// builds ("" means /var/cache/osr).
	CacheDir string
	// CacheKeep is how many builds' segments the cache keeps (0 means 8).
	CacheKeep int
	// Cmdline holds default kernel parameters for the image's init
	// ("osr.overlay=tmpfs osr.overlaysize=1g"), kept in its manifest; the
	// kernel command line's parameters win over them.
	Cmdline string
	// CmdlineRange is where cmdline was last set, for messages.
	CmdlineRange hcl.Range
}

// ClusterStack holds the cluster_stack block's settings; zero values mean the
// defaults.
type ClusterStack struct {
	// AuthKey is the build host's corosync key (default /etc/corosync/authkey).
	AuthKey string
	// TokenMS is corosync's token timeout in milliseconds.
	TokenMS int
	// PostJoinDelay is dlm_controld's post_join_delay in seconds.
	PostJoinDelay int
	// Files are more files for the chroot: chroot path → build host path.
	Files map[string]string
	// DefRange is where the block starts, for messages.
	DefRange hcl.Range
}

// DriverBlock is one driver "<name>" { … } block.
type DriverBlock struct {
	Name string
	// Path is an explicit driver binary, from the block's reserved "path" attribute.
	Path string
	// Body holds the rest of the block, decoded against the driver's schema by Decode.
	Body hcl.Body
	// DefRange is where the block starts, for messages.
	DefRange hcl.Range
}

// file is what one HCL file may hold, decoded by decodeFile; the hcl tags are
// gohcl's spelling of the same schema, which the tests hold decodeFile to.
type file struct {
	DriverDirs    *[]string          `hcl:"driver_dirs,optional"`
	DriverTimeout *hcl.Attribute     `hcl:"driver_call_timeout,optional"`
	ListfileDirs  *[]string          `hcl:"listfile_dirs,optional"`
	ClusterConfig *string            `hcl:"cluster_config,optional"`
	Initrd        *initrdBlock       `hcl:"initrd,block"`
	ClusterStack  *clusterStackBlock `hcl:"cluster_stack,block"`
	Drivers       []driverBlock      `hcl:"driver,block"`
}

type initrdBlock struct {
	Driver      *string   `hcl:"driver,optional"`
	Compression *string   `hcl:"compression,optional"`
	Output      *string   `hcl:"output,optional"`
	HostOnly    *bool     `hcl:"host_only,optional"`
	Modules     *[]string `hcl:"modules,optional"`
	Kernel      *string   `hcl:"kernel,optional"`
	ModulesDir  *string   `hcl:"modules_dir,optional"`
	KernelHooks *bool     `hcl:"kernel_hooks,optional"`
	CacheDir    *string   `hcl:"cache_dir,optional"`
	CacheKeep   *int      `hcl:"cache_keep,optional"`
	Cmdline     *string   `hcl:"cmdline,optional"`
	DefRange    hcl.Range `hcl:",def_range"`
}

type clusterStackBlock struct {
	AuthKey       *string            `hcl:"authkey,optional"`
	Token         *int               `hcl:"token,optional"`
	PostJoinDelay *int               `hcl:"post_join_delay,optional"`
	Files         *map[string]string `hcl:"files,optional"`
	DefRange      hcl.Range          `hcl:",def_range"`
}

type driverBlock struct {
	Name     string    `hcl:"name,label"`
	Path     *string   `hcl:"path,optional"`
	Body     hcl.Body  `hcl:",remain"`
	DefRange hcl.Range `hcl:",def_range"`
}

// Compressions are the values initrd.compression accepts.
var Compressions = []string{"zstd", "gzip", "xz", "lz4", "none"}

// Loader reads configuration files and keeps their sources for rendering
// diagnostics.
type Loader struct {
	parser *hclparse.Parser
}

// NewLoader returns a loader.
func NewLoader() *Loader { return &Loader{parser: hclparse.NewParser()} }

// Files returns the sources read so far, for hcl.NewDiagnosticTextWriter.
func (l *Loader) Files() map[string]*hcl.File { return l.parser.Files() }

// ResolvePath picks the configuration file: the flag's value, else $OSR_CONFIG, else
// DefaultPath. explicit reports whether the user named it (a missing explicit file
// is an error; a missing default is an empty configuration).
func ResolvePath(flagValue string) (path string, explicit bool) {
	if flagValue != "" {
		return flagValue, true
	}
	if env := os.Getenv(EnvPath); env != "" {
		return env, true
	}
	return DefaultPath, false
}

// Load reads path and then every conf.d/*.hcl beside it, in name order. Later files
// override single values of earlier ones; driver blocks must be unique by name.
func (l *Loader) Load(path string, explicit bool) (*Config, hcl.Diagnostics) {
	cfg := &Config{}
	var diags hcl.Diagnostics
	if _, err := os.Stat(path); err != nil {
		if explicit || !errors.Is(err, fs.ErrNotExist) {
			return cfg, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Cannot read the osr configuration",
				Detail:   fmt.Sprintf("%v. Give an existing file with --config or $%s.", err, EnvPath),
			}}
		}
	} else {
		diags = append(diags, l.loadFile(cfg, path)...)
	}
	dropins, err := filepath.Glob(filepath.Join(filepath.Dir(path), "conf.d", "*.hcl"))
	if err != nil {
		return cfg, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Bad conf.d pattern", Detail: err.Error()})
	}
	sort.Strings(dropins)
	for _, p := range dropins {
		diags = append(diags, l.loadFile(cfg, p)...)
	}
	return cfg, append(diags, cfg.validate()...)
}

// LoadFiles reads the given files in order, as Load does with osr.hcl and conf.d.
func (l *Loader) LoadFiles(paths ...string) (*Config, hcl.Diagnostics) {
	cfg := &Config{}
	var diags hcl.Diagnostics
	for _, p := range paths {
		diags = append(diags, l.loadFile(cfg, p)...)
	}
	return cfg, append(diags, cfg.validate()...)
}

func (l *Loader) loadFile(cfg *Config, path string) hcl.Diagnostics {
	src, err := os.ReadFile(path)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration file", Detail: fmt.Sprintf("%s: %v.", path, err)}}
	}
	return l.loadSource(cfg, path, src)
}

// loadSource reads the configuration src, from the file path, into cfg.
func (l *Loader) loadSource(cfg *Config, path string, src []byte) hcl.Diagnostics {
	if diags := hcldepth.Check(src, path); diags.HasErrors() {
		return diags
	}
	f, diags := l.parser.ParseHCL(src, path)
	if diags.HasErrors() {
		return diags
	}
	cfg.Files = append(cfg.Files, path)
	var raw file
	diags = append(diags, decodeFile(f.Body, &raw)...)
	if diags.HasErrors() {
		return diags
	}
	if raw.DriverDirs != nil {
		cfg.DriverDirs = *raw.DriverDirs
	}
	if raw.ListfileDirs != nil {
		cfg.ListfileDirs = *raw.ListfileDirs
	}
	if a := raw.DriverTimeout; a != nil {
		d, diag := parseTimeout(a)
		if diag != nil {
			diags = append(diags, diag)
		} else {
			cfg.DriverCallTimeout = d
		}
	}
	if raw.ClusterConfig != nil {
		cfg.ClusterConfig = *raw.ClusterConfig
	}
	if b := raw.Initrd; b != nil {
		diags = append(diags, mergeInitrd(&cfg.Initrd, b)...)
	}
	if b := raw.ClusterStack; b != nil {
		diags = append(diags, mergeClusterStack(&cfg.ClusterStack, b)...)
	}
	for _, d := range raw.Drivers {
		if prev := cfg.Driver(d.Name); prev != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate driver block",
				Detail:   fmt.Sprintf("driver %q is already configured at %s; merge the two blocks into one.", d.Name, prev.DefRange),
				Subject:  d.DefRange.Ptr(),
			})
			continue
		}
		b := &DriverBlock{Name: d.Name, Body: d.Body, DefRange: d.DefRange}
		if d.Path != nil {
			b.Path = *d.Path
		}
		cfg.Drivers = append(cfg.Drivers, b)
	}
	return diags
}

func mergeInitrd(dst *Initrd, b *initrdBlock) hcl.Diagnostics {
	var diags hcl.Diagnostics
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&dst.Driver, b.Driver)
	set(&dst.Output, b.Output)
	set(&dst.Kernel, b.Kernel)
	set(&dst.ModulesDir, b.ModulesDir)
	set(&dst.CacheDir, b.CacheDir)
	if b.Cmdline != nil {
		dst.Cmdline, dst.CmdlineRange = *b.Cmdline, b.DefRange
	}
	if b.CacheKeep != nil {
		if *b.CacheKeep < 1 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "cache_keep below 1",
				Detail:   fmt.Sprintf("cache_keep = %d: the cache keeps the segments of the last cache_keep builds; give 1 or more (default 8).", *b.CacheKeep),
				Subject:  b.DefRange.Ptr(),
			})
		}
		dst.CacheKeep = *b.CacheKeep
	}
	if b.Compression != nil {
		if !contains(Compressions, *b.Compression) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown compression",
				Detail:   fmt.Sprintf("compression %q is not one of %s.", *b.Compression, strings.Join(Compressions, ", ")),
				Subject:  b.DefRange.Ptr(),
			})
		}
		dst.Compression = *b.Compression
	}
	if b.HostOnly != nil {
		dst.HostOnly = *b.HostOnly
	}
	if b.Modules != nil {
		dst.Modules = *b.Modules
	}
	if b.KernelHooks != nil {
		dst.KernelHooks, dst.KernelHooksRange = *b.KernelHooks, b.DefRange
	}
	return diags
}

// validate checks what only the merged configuration shows.
func (c *Config) validate() hcl.Diagnostics {
	in := c.Initrd
	if !in.KernelHooks {
		return nil
	}
	var diags hcl.Diagnostics
	if in.Driver == "" {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "kernel_hooks without a driver",
			Detail:   `initrd { kernel_hooks = true } builds images with the initrd block's defaults, but no driver is set; add driver = "nfs" (or another of osr drivers) to the initrd block.`,
			Subject:  in.KernelHooksRange.Ptr(),
		})
	}
	if in.Output != "" && !strings.Contains(in.Output, "{kernel}") && !strings.Contains(in.Output, "VERSION") {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "kernel_hooks with a fixed output",
			Detail:   fmt.Sprintf("the kernel hooks build one image per kernel, but output %q names one file for all of them; put {kernel} in it (\"/boot/initrd_sr-{kernel}.img\") or remove it.", in.Output),
			Subject:  in.KernelHooksRange.Ptr(),
		})
	}
	if in.Kernel != "" {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "kernel_hooks with a fixed kernel",
			Detail:   fmt.Sprintf("the kernel hooks build for the kernel being installed, but kernel = %q pins one; remove kernel from the initrd block.", in.Kernel),
			Subject:  in.KernelHooksRange.Ptr(),
		})
	}
	return diags
}

func mergeClusterStack(dst *ClusterStack, b *clusterStackBlock) hcl.Diagnostics {
	var diags hcl.Diagnostics
	dst.DefRange = b.DefRange
	if b.AuthKey != nil {
		dst.AuthKey = *b.AuthKey
	}
	if b.Token != nil {
		if *b.Token < 100 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Token timeout too short",
				Detail: fmt.Sprintf("cluster_stack token = %d: corosync's token timeout is in milliseconds; give at least 100 (corosync's default is 3000).", *b.Token), Subject: b.DefRange.Ptr()})
		}
		dst.TokenMS = *b.Token
	}
	if b.PostJoinDelay != nil {
		if *b.PostJoinDelay < 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Negative post_join_delay",
				Detail: "cluster_stack post_join_delay is in seconds and cannot be negative.", Subject: b.DefRange.Ptr()})
		}
		dst.PostJoinDelay = *b.PostJoinDelay
	}
	if b.Files != nil {
		if dst.Files == nil {
			dst.Files = map[string]string{}
		}
		for k, v := range *b.Files {
			dst.Files[k] = v
		}
	}
	return diags
}

// Driver returns the block of the named driver, or nil.
func (c *Config) Driver(name string) *DriverBlock {
	for _, d := range c.Drivers {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// DriverPaths maps driver names to the explicit binaries their blocks name.
func (c *Config) DriverPaths() map[string]string {
	m := map[string]string{}
	for _, d := range c.Drivers {
		if d.Path != "" {
			m[d.Name] = d.Path
		}
	}
	return m
}

// WriteDiagnostics renders diags the way HCL does: file, line, snippet, detail.
func (l *Loader) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics) error {
	if len(diags) == 0 {
		return nil
	}
	return hcl.NewDiagnosticTextWriter(w, l.parser.Files(), 100, false).WriteDiagnostics(diags)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseTimeout reads a duration attribute such as driver_call_timeout = "2m":
// a Go duration of at least one second.
func parseTimeout(a *hcl.Attribute) (time.Duration, *hcl.Diagnostic) {
	bad := func(detail string) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + a.Name, Detail: detail, Subject: a.Range.Ptr()}
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return 0, bad(fmt.Sprintf("%s is a duration in quotes, such as \"90s\" or \"2m\".", a.Name))
	}
	d, err := time.ParseDuration(v.AsString())
	if err != nil || d < time.Second {
		return 0, bad(fmt.Sprintf("%q is not a duration of at least one second; write, for example, \"90s\" or \"2m\".", v.AsString()))
	}
	return d, nil
}
