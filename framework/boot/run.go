// SPDX-License-Identifier: Apache-2.0

package boot

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/cmdline"
	"github.com/open-sharedroot/osr/framework/boot/identity"
	"github.com/open-sharedroot/osr/framework/boot/netconf"
	"github.com/open-sharedroot/osr/framework/boot/pid1"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/boot/rescue"
	"github.com/open-sharedroot/osr/framework/boot/steps"
	"github.com/open-sharedroot/osr/framework/boot/switchroot"
	"github.com/open-sharedroot/osr/framework/kmod/loader"
)

// state is what the steps hand on to each other.
type state struct {
	cfg     Config
	log     *bootlog.Log
	machine *steps.Machine
	params  cmdline.Params
	nics    []identity.NIC
	node    Node
	net     netconf.Result
}

// Run boots: it runs the steps and, when all succeed, execs the real init in
// the new root, so it returns only on failure (or when a test replaces
// SwitchRoot). A failing step is retried after the rescue shell; without a
// shell Run waits for ctx.
func Run(ctx context.Context, cfg Config) error {
	cfg.defaults()
	s := &state{cfg: cfg, log: cfg.Log}
	s.log.Infof("osr init starting (pid %d)", os.Getpid())
	if os.Getpid() == 1 {
		// Only PID 1 inherits orphans; elsewhere reaping would take other
		// code's children.
		go cfg.Reaper.Loop(ctx, 2*time.Second)
	}
	if cfg.Shell == nil {
		cfg.Shell = &rescue.Shell{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Starter: cfg.Reaper}
	}
	s.machine = &steps.Machine{
		Log:   s.log,
		Shell: cfg.Shell,
		AfterStep: func() {
			if err := s.log.Save(cfg.LogPath); err != nil {
				s.log.Debugf("%v", err) // /run may not be mounted yet
			}
		},
	}
	s.machine.Steps = []steps.Step{
		{Name: "api-mounts", Doc: "mount /proc, /sys, /dev, /run and open the console", Run: s.apiMounts},
		{Name: "cmdline", Doc: "read the kernel command line", Run: s.readCmdline},
		{Name: "modules", Doc: "load drivers for the hardware and the root filesystem", Run: s.loadModules},
		{Name: "identify", Doc: "find this node in the cluster configuration", Run: s.identifyAndName},
		{Name: "network", Doc: "bring up the node's network", Run: s.network},
		{Name: "cluster", Doc: "start corosync and dlm_controld and wait for quorum", Run: s.startCluster},
		{Name: "mount", Doc: "mount the shared root on " + cfg.Sysroot + " (on " + cfg.OverlayLower + " under osr.overlay=tmpfs)", Run: s.mountRoot},
		{Name: "overlay", Doc: "with osr.overlay=tmpfs: mount a tmpfs overlay over the read-only shared root on " + cfg.Sysroot, Run: s.overlay},
		{Name: "cdsl", Doc: "bind the node's CDSL tree", Run: s.bindCDSL},
		{Name: "cdsltab", Doc: "mount the cdsltab entries for the initrd", Run: s.cdsltab},
		{Name: "switch-root", Doc: "switch to the new root and start its init", Run: s.switchRoot},
	}
	return s.machine.Run(ctx)
}

func (c *Config) defaults() {
	if c.Sysroot == "" {
		c.Sysroot = "/sysroot"
	}
	if c.Sysfs == "" {
		c.Sysfs = "/sys"
	}
	if c.OverlayLower == "" {
		c.OverlayLower = DefaultOverlayLower
	}
	if c.OverlayDir == "" {
		c.OverlayDir = DefaultOverlayDir
	}
	if c.LogPath == "" {
		c.LogPath = "/run/osr/boot.log"
	}
	if c.Log == nil {
		c.Log = bootlog.New(os.Stderr)
	}
	if c.NICWait == 0 {
		c.NICWait = 20 * time.Second
	}
	if c.NetworkUp == nil {
		c.NetworkUp = netconf.Up
	}
	if c.SwitchRoot == nil {
		c.SwitchRoot = switchroot.Switch
		if c.Handover == nil {
			c.Handover = handover
		}
		if c.SetHostname == nil {
			c.SetHostname = func(name string) error { return unix.Sethostname([]byte(name)) }
		}
	}
	if c.Reaper == nil {
		c.Reaper = reaper.New(c.Log.Debugf)
	}
}

func (s *state) apiMounts(ctx context.Context) error {
	if s.cfg.MountAPI != nil {
		return s.cfg.MountAPI(s.log)
	}
	if err := pid1.MountAPI("/", pid1.APIMounts, s.log.Debugf); err != nil {
		return steps.Fail(err, "mount the kernel's API filesystems", []string{"proc, sysfs, devtmpfs, devpts, tmpfs on /run"},
			"the kernel needs CONFIG_DEVTMPFS, CONFIG_PROC_FS, CONFIG_SYSFS and CONFIG_TMPFS; check the kernel the image was built for")
	}
	if con, err := pid1.AttachConsole("/dev/console"); err != nil {
		s.log.Warnf("%v; keeping the descriptors the kernel gave", err)
	} else {
		s.log.SetConsole(con)
	}
	return nil
}

func (s *state) readCmdline(ctx context.Context) error {
	line := s.cfg.Cmdline
	if line == "" {
		b, err := os.ReadFile("/proc/cmdline")
		if err != nil {
			return steps.Fail(err, "read the kernel command line", []string{"/proc/cmdline"}, "check that /proc is mounted (step api-mounts)")
		}
		line = string(b)
	}
	s.log.Infof("kernel command line: %s", strings.TrimSpace(line))
	if d := strings.TrimSpace(s.cfg.DefaultCmdline); d != "" {
		s.log.Infof("the image's default parameters, before the kernel's: %s", d)
		line = d + " " + line
	}
	p := cmdline.Parse(line)
	s.params = p
	s.log.SetDebug(p.Debug)
	for _, problem := range p.Problems {
		s.log.Warnf("ignored %s", problem)
	}
	m := s.machine
	m.Breaks = append(m.Breaks, p.Breaks...)
	m.BreakAll = m.BreakAll || p.BreakAll
	if p.Shell {
		m.Breaks = append(m.Breaks, "modules")
	}
	if bad := m.UnknownBreaks(); len(bad) > 0 {
		s.log.Warnf("break point(s) %s name no step; the steps are: %s", strings.Join(bad, ", "), strings.Join(m.Names(), ", "))
	}
	for _, b := range m.Breaks {
		if b == "api-mounts" || b == "cmdline" {
			s.log.Warnf("break before %s asked for, but the command line is read only in step cmdline; the first break possible is before modules", b)
		}
	}
	return nil
}

func (s *state) loadModules(ctx context.Context) error {
	if s.cfg.Modules == nil {
		s.log.Infof("no module loader in this image; relying on built-in drivers")
		return nil
	}
	loaded, err := s.cfg.Modules.LoadHardware(ctx, s.cfg.Sysfs)
	s.log.Infof("hardware: loaded %d modules: %s", len(loaded), strings.Join(loaded, " "))
	if err != nil {
		// Hardware nobody needs may lack a driver; the steps that need a
		// device say so precisely. Drivers that do not fit this machine
		// are not errors (the loader logs them as skipped).
		s.log.Warnf("some hardware drivers did not load: %v", err)
	}
	if len(s.cfg.DriverModules) > 0 {
		if err := s.loadDriverModules(ctx); err != nil {
			return err
		}
	}
	for _, name := range s.cfg.OptionalDriverModules {
		if err := s.cfg.Modules.Load(ctx, name); err != nil {
			s.log.Warnf("optional driver module %s did not load (the root can do without it): %v", name, err)
			continue
		}
		s.log.Infof("optional driver module loaded: %s", name)
	}
	return nil
}

// loadDriverModules loads the modules the root filesystem's driver needs.
func (s *state) loadDriverModules(ctx context.Context) error {
	if err := s.cfg.Modules.Load(ctx, s.cfg.DriverModules...); err != nil {
		fix := "rebuild the image for this kernel (osr build), so its modules match `uname -r`"
		if errors.Is(err, loader.ErrUnsupported) {
			fix = "a module \"not supported by this machine\" needs hardware or a CPU feature this machine lacks, " +
				"and no other module in the image provides the same: boot a machine (or CPU model) that has it, " +
				"or rebuild the image (osr build) with a module that works here"
		}
		return steps.Fail(err, "load the root filesystem driver's modules",
			[]string{"modules " + strings.Join(s.cfg.DriverModules, " ")}, fix)
	}
	s.log.Infof("driver modules loaded: %s", strings.Join(s.cfg.DriverModules, " "))
	return nil
}
