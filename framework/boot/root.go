// SPDX-License-Identifier: Apache-2.0

package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-sharedroot/osr/framework/boot/cdsltmpfiles"
	"github.com/open-sharedroot/osr/framework/boot/netconf"
	"github.com/open-sharedroot/osr/framework/boot/pid1"
	"github.com/open-sharedroot/osr/framework/boot/steps"
	"github.com/open-sharedroot/osr/framework/boot/switchroot"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/shutdown"
)

func (s *state) network(ctx context.Context) error {
	seen := make([]netconf.Interface, len(s.nics))
	for i, n := range s.nics {
		seen[i] = netconf.Interface{Name: n.Name, MAC: n.MAC}
	}
	ifaces, err := netconf.Override(s.node.NICs, s.params.IP, seen)
	if err != nil {
		return steps.Fail(err, "apply ip= to the node's network configuration", s.params.IP, "fix ip= (see docs/boot.md for the forms)")
	}
	up := 0
	var tried []string
	for _, f := range ifaces {
		if f.OnBoot {
			up++
			tried = append(tried, fmt.Sprintf("%s ip=%s", f, f.IP))
		}
	}
	if up == 0 {
		s.log.Infof("no network interface to bring up")
		return nil
	}
	o := netconf.Options{Timeout: s.params.NetTimeout, Logf: s.log.Infof}
	if s.cfg.Modules != nil {
		o.LoadModules = s.cfg.Modules.Load
	}
	res, err := s.cfg.NetworkUp(ctx, ifaces, o)
	s.net = res
	if err != nil {
		return steps.Fail(err, "bring up the node's network", tried,
			"check the cable and the NIC's settings in the cluster configuration, or override them with ip= on the kernel command line")
	}
	if rp := res.RootPath(); rp != "" {
		if s.params.Root == "" {
			s.log.Infof("root path from DHCP: %s (the root, since root= is not given)", rp)
		} else {
			s.log.Infof("root path from DHCP %s ignored: root=%s is given", rp, s.params.Root)
		}
	}
	s.writeResolvConf()
	return nil
}

// writeResolvConf gives the initrd's tools the name servers DHCP offered.
func (s *state) writeResolvConf() {
	var b strings.Builder
	for _, c := range s.net.Configured {
		for _, d := range c.DNS {
			fmt.Fprintf(&b, "nameserver %s\n", d)
		}
	}
	if b.Len() == 0 {
		return
	}
	if err := os.WriteFile("/etc/resolv.conf", []byte(b.String()), 0o644); err != nil {
		s.log.Debugf("write /etc/resolv.conf: %v", err)
	}
}

// mountSpec merges the command line over the node's root settings; ro and rw
// are appended to the options, as the originals did. Without root= a root
// path from DHCP (option 17) names the root (see dhcpRoot).
func (s *state) mountSpec() MountSpec {
	p, n := s.params, s.node
	spec := MountSpec{
		Target: s.cfg.Sysroot, Source: first(p.Root, n.Root), FSType: first(p.RootFS, n.RootFS),
		Options: first(p.MountOpts, n.MountOpts), ReadOnly: p.Access == "ro",
		Tries: p.MountTries, Wait: p.MountWait, Node: n, Params: p,
	}
	if rp := s.net.RootPath(); p.Root == "" && rp != "" {
		src, fstype, opts := dhcpRoot(rp)
		spec.Source = src
		if p.RootFS == "" && fstype != "" {
			spec.FSType = fstype
		}
		if p.MountOpts == "" && opts != "" {
			spec.Options = opts
		}
	}
	if p.Overlay != "" {
		spec.Target = s.cfg.OverlayLower
	}
	if p.Access != "" {
		if spec.Options == "" {
			spec.Options = p.Access
		} else {
			spec.Options += "," + p.Access
		}
	}
	return spec
}

// dhcpRoot reads a DHCP root path as dracut does: [nfs:|nfs4:]SERVER:/PATH[:OPTIONS],
// SERVER an address or [an IPv6 address]; the prefix names the filesystem type.
func dhcpRoot(rp string) (source, fstype, options string) {
	rest := rp
	for _, t := range []string{"nfs4", "nfs"} {
		if r, ok := strings.CutPrefix(rest, t+":"); ok {
			fstype, rest = t, r
			break
		}
	}
	// SERVER:/PATH:OPTIONS — the options follow the path's last colon.
	if i := strings.Index(rest, ":/"); i >= 0 {
		if j := strings.LastIndex(rest[i+2:], ":"); j >= 0 {
			options = rest[i+2+j+1:]
			rest = rest[:i+2+j]
		}
	}
	return rest, fstype, options
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *state) mountRoot(ctx context.Context) error {
	spec := s.mountSpec()
	what := fmt.Sprintf("%s (%s, options %q) on %s", spec.Source, orDash(spec.FSType), spec.Options, spec.Target)
	if s.cfg.Root == nil {
		return steps.Fail(fmt.Errorf("no filesystem driver in this image"), "mount the root filesystem", nil,
			"rebuild the image with a driver: osr build --driver <name>")
	}
	if spec.Source == "" && spec.FSType != "nfs" && spec.FSType != "nfs4" {
		s.log.Warnf("no root device: neither root= nor the node's root volume says one; the driver decides")
	}
	if err := os.MkdirAll(spec.Target, 0o755); err != nil {
		return steps.Fail(err, "create the mount point "+spec.Target, nil, "the initrd's / must be writable")
	}
	s.log.Infof("mounting %s", what)
	if err := s.cfg.Root.MountRoot(ctx, spec); err != nil {
		return steps.Fail(err, "mount the root filesystem", []string{what},
			"check root=, rootfs= and mountopts= (or the node's rootvolume), that the device or server is reachable, and the driver's messages above")
	}
	mounted, err := pid1.IsMountPoint(spec.Target)
	if err != nil || !mounted {
		return steps.Fail(fmt.Errorf("the driver reported success but nothing is mounted on %s", spec.Target), "mount the root filesystem",
			[]string{what}, "this is a driver bug: report it with the boot log")
	}
	s.log.Infof("root mounted (uptime %s)", clusterstack.Uptime())
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "type from the driver"
	}
	return s
}

func (s *state) bindCDSL(ctx context.Context) error {
	if s.cfg.CDSL == nil {
		s.log.Infof("no CDSL support in this image")
		return nil
	}
	if s.node.ID == 0 && s.node.Name == "" {
		return steps.Fail(fmt.Errorf("the node is unknown"), "choose the node's CDSL tree", nil, "boot with nodeid=<id> or add the node to the cluster configuration")
	}
	did, err := s.cfg.CDSL.Bind(ctx, s.cfg.Sysroot, s.node, s.bindOptions())
	if err != nil {
		return steps.Fail(err, "bind the CDSL tree of "+s.node.String(), nil,
			"check the root's CDSL inventory and that the node's tree exists (osr cdsl check on a running node)")
	}
	s.log.Infof("%s", did)
	return nil
}

func (s *state) cdsltab(ctx context.Context) error {
	if s.cfg.CDSL == nil {
		return nil
	}
	did, err := s.cfg.CDSL.MountTab(ctx, s.cfg.Sysroot, s.node)
	for _, d := range did {
		s.log.Infof("%s", d)
	}
	if err != nil {
		return steps.Fail(err, "mount the cdsltab entries for the initrd", did,
			"fix the entry in the root's /etc/cdsltab, or remove its __initrd mark to mount it later")
	}
	return nil
}

func (s *state) switchRoot(ctx context.Context) error {
	s.handover()
	logPath := s.cfg.LogPath
	err := s.cfg.SwitchRoot(switchroot.Options{
		NewRoot: s.cfg.Sysroot,
		Init:    s.params.Init,
		Args:    s.cfg.Args,
		Logf:    s.log.Infof,
		BeforeExec: func() {
			s.log.Infof("boot log kept in %s of the new root", logPath)
			if err := s.log.Save(logPath); err != nil {
				s.log.Warnf("%v", err)
			}
		},
	})
	if err != nil {
		return steps.Fail(err, "switch to the new root", []string{"init=" + first(s.params.Init, strings.Join(switchroot.FallbackInits, ", "))},
			"check that the root holds an init ("+filepath.Join(s.cfg.Sysroot, "sbin/init")+") or pass init=PATH")
	}
	return nil
}

// handover prepares the node's shutdown (docs/shutdown.md). A failure does
// not stop the boot: the node runs, but its shutdown may unmount the shared
// root early or wait for it.
func (s *state) handover() {
	if s.cfg.Handover == nil {
		return
	}
	_, err := s.cfg.Handover(shutdown.HandoverOptions{
		Sysroot: s.cfg.Sysroot,
		Links:   rootLinks(s.net),
		Logf:    s.log.Infof,
	})
	if err != nil {
		s.log.Warnf("preparing the shutdown: %v; systemd may take the shared root's mounts or network down too early at shutdown", err)
	}
}

// rootLinks are the links the network step configured, as the shutdown
// package describes them.
func rootLinks(res netconf.Result) []shutdown.Link {
	masters := map[string]bool{}
	for _, c := range res.Configured {
		if c.Via == "slave" {
			masters[c.Interface.Master] = true
		}
	}
	var out []shutdown.Link
	for _, c := range res.Configured {
		if c.Via == "down" || c.Link == "" {
			continue
		}
		l := shutdown.Link{
			Name:    c.Link,
			MAC:     c.Interface.MAC,
			Bond:    masters[c.Link] || masters[c.Interface.Name] || c.Interface.BondOpts != "" || c.Interface.Kind == netconf.KindBond,
			Slave:   c.Via == "slave" || c.Via == "port",
			DHCP:    c.Via == "dhcp",
			Auto6:   c.Via == "auto6",
			Addr:    c.Addr,
			Gateway: c.Gateway,
			DNS:     c.DNS,
			Kind:    c.Interface.Kind,
		}
		if l.Bond {
			l.Kind = netconf.KindBond
		}
		if l.Kind == netconf.KindVLAN {
			l.VLANParent, l.VLANID = vlanParentLink(res, c.Interface.VLANParent), c.Interface.VLANID
		}
		for _, r := range c.Routes {
			l.Routes = append(l.Routes, shutdown.Route{Dst: r.Dst, Gw: r.Gw})
		}
		out = append(out, l)
	}
	return out
}

// handover is the real Handover: the shutdown's, then the tmpfiles.d
// overrides for the root's CDSL links (none when the root has no CDSL
// inventory).
func handover(o shutdown.HandoverOptions) (shutdown.Runtime, error) {
	rt, err := shutdown.Handover(o)
	if err != nil {
		return rt, err
	}
	l, lerr := inventory.FindLayout(o.Sysroot, "")
	if lerr != nil {
		return rt, nil
	}
	files, err := cdsltmpfiles.Overrides(o.Sysroot, l.LinkDir())
	if err != nil {
		return rt, err
	}
	var out []shutdown.File
	for _, f := range files {
		out = append(out, shutdown.File{Path: f.Name, Data: f.Data})
	}
	run := o.RunDir
	if run == "" {
		run = "/run"
	}
	return rt, shutdown.WriteRuntime(run, out)
}

// vlanParentLink is the kernel's name of a VLAN's parent, which the
// configuration may name differently.
func vlanParentLink(res netconf.Result, parent string) string {
	for _, c := range res.Configured {
		if c.Interface.Name == parent && c.Link != "" {
			return c.Link
		}
	}
	return parent
}
