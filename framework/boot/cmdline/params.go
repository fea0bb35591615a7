// SPDX-License-Identifier: Apache-2.0

package cmdline

import (
	"strconv"
	"strings"
	"time"
)

// Params holds what the osr init takes from the kernel command line. Empty
// strings and zero values mean "not given": the init then falls back to the
// cluster configuration or the image's manifest.
type Params struct {
	// NodeID forces the node identity (osr.nodeid, nodeid, com-nodeid) and
	// skips MAC detection; 0 means not given (node ids start at 1).
	NodeID int
	// NodeName forces the node identity by name (osr.nodename, nodename,
	// com-nodename) when NodeID is not given.
	NodeName string
	// Root is the root device or source (osr.root, root, rootvolume,
	// com-root), e.g. /dev/vg/lv or server:/export.
	Root string
	// RootFS is the root filesystem type (osr.rootfs, rootfs, com-rootfs).
	RootFS string
	// MountOpts are extra root mount options (osr.mountopts, mountopts, the
	// originals' old mountopt, com-mountopts).
	MountOpts string
	// Access is "ro" or "rw" when the kernel's ro/rw flag was given (the last
	// one wins), "" otherwise.
	Access string
	// IP holds the ip= values (osr.ip, ip, com-ip): the kernel's
	// client:server:gw:mask:host:dev:autoconf form, dhcp, off, or cluster
	// (the originals' default: use the cluster configuration).
	IP []string
	// Init is the program to exec in the new root (osr.init, init).
	Init string
	// Breaks names the steps before which the init opens a shell (osr.break,
	// osr.step, break, step, com-break, com-step; comma separated).
	Breaks []string
	// BreakAll asks for a shell before every step: a break parameter without
	// a value, or the value "all" (the originals' step mode).
	BreakAll bool
	// Debug turns on debug output on the console (osr.debug, debug,
	// com-debug).
	Debug bool
	// Shell opens a shell before the first step that follows the command
	// line (osr.shell, com-expert).
	Shell bool
	// MountTries is how often the root mount is tried (osr.mounttimes,
	// mounttimes, com-mounttimes); 0 means the driver's default.
	MountTries int
	// MountWait is the pause before each root mount try (osr.mountwait,
	// mountwait, com-mountwait; seconds, or a Go duration).
	MountWait time.Duration
	// NetTimeout bounds the whole network bring-up (osr.nettimeout; seconds
	// or a Go duration); 0 means the init's default.
	NetTimeout time.Duration
	// Overlay is OverlayTmpfs when the shared root is to be mounted
	// read-only under a per-node tmpfs overlay (osr.overlay=tmpfs), ""
	// otherwise (osr.overlay=off, or not given).
	Overlay string
	// OverlaySize is the overlay tmpfs's size (osr.overlaysize: bytes with
	// an optional k, m or g suffix, or a percentage of RAM); "" means the
	// tmpfs default, half the RAM.
	OverlaySize string
	// All is every parameter in command line order, for drivers that read
	// their own (quorumack, votes, lockmethod …).
	All []Param
	// Problems lists values that could not be understood; they were ignored.
	Problems []string
}

// lookup finds the winning value of a setting spelled in several ways, in
// precedence order; within one spelling the last occurrence wins.
func lookup(ps []Param, names ...string) (Param, bool) {
	for _, n := range names {
		found := false
		var last Param
		for _, p := range ps {
			if p.Name == n {
				last = p
				found = true
			}
		}
		if found {
			return last, true
		}
	}
	return Param{}, false
}

// spellings returns osr.<name>, <name>, com-<name>, in precedence order.
func spellings(name string, aliases ...string) []string {
	out := []string{"osr." + name, name}
	out = append(out, aliases...)
	return append(out, "com-"+name)
}

// Parse reads a kernel command line. It never fails: values it cannot
// understand are listed in Params.Problems and otherwise ignored.
func Parse(line string) Params {
	ps := Split(line)
	p := Params{All: ps}
	str := func(dst *string, names []string) {
		if v, ok := lookup(ps, names...); ok && v.HasValue {
			*dst = v.Value
		}
	}
	if v, ok := lookup(ps, spellings("nodeid")...); ok && v.HasValue {
		n, err := strconv.Atoi(v.Value)
		if err != nil || n < 1 {
			p.Problems = append(p.Problems, v.Name+"="+v.Value+": want a node id, a whole number ≥ 1 (osr cluster nodes lists them)")
		} else {
			p.NodeID = n
		}
	}
	str(&p.NodeName, spellings("nodename"))
	str(&p.Root, spellings("root", "rootvolume"))
	str(&p.RootFS, spellings("rootfs"))
	str(&p.MountOpts, spellings("mountopts", "mountopt"))
	str(&p.Init, []string{"osr.init", "init"})

	for _, q := range ps {
		switch q.Name {
		case "ro", "rw":
			if !q.HasValue {
				p.Access = q.Name
			}
		}
	}
	for _, n := range spellings("ip") {
		var vals []string
		for _, q := range ps {
			if q.Name == n && q.HasValue {
				vals = append(vals, q.Value)
			}
		}
		if len(vals) > 0 {
			p.IP = vals
			break
		}
	}
	p.Debug = p.flag(ps, spellings("debug"))
	p.Shell = p.flag(ps, []string{"osr.shell", "com-expert"})
	p.breaks(ps)

	if v, ok := lookup(ps, spellings("mounttimes")...); ok {
		n, err := strconv.Atoi(v.Value)
		if err != nil || n < 1 {
			p.Problems = append(p.Problems, v.Name+"="+v.Value+": want a whole number of tries ≥ 1")
		} else {
			p.MountTries = n
		}
	}
	p.MountWait = p.duration(ps, spellings("mountwait"))
	p.NetTimeout = p.duration(ps, []string{"osr.nettimeout"})
	p.overlay(ps)
	return p
}

// OverlayTmpfs is the value of osr.overlay that puts a tmpfs overlay over
// the read-only shared root.
const OverlayTmpfs = "tmpfs"

// overlay reads osr.overlay and osr.overlaysize.
func (p *Params) overlay(ps []Param) {
	if v, ok := lookup(ps, "osr.overlay"); ok {
		switch strings.ToLower(v.Value) {
		case OverlayTmpfs:
			p.Overlay = OverlayTmpfs
		case "off", "no", "none", "0", "false":
		default:
			p.Problems = append(p.Problems, v.Name+"="+v.Value+": want tmpfs (a per-node tmpfs over the read-only root) or off")
		}
	}
	if v, ok := lookup(ps, "osr.overlaysize"); ok {
		if validSize(v.Value) {
			p.OverlaySize = v.Value
		} else {
			p.Problems = append(p.Problems, v.Name+"="+v.Value+": want a size such as 512m, 2g or 25% (of the RAM)")
		}
	}
}

// validSize accepts tmpfs's size= forms: a number with an optional k, m or g
// suffix, or a percentage.
func validSize(s string) bool {
	num := strings.TrimRight(strings.ToLower(s), "kmg%")
	if len(s)-len(num) > 1 || num == "" {
		return false
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n == 0 {
		return false
	}
	return !strings.HasSuffix(s, "%") || n <= 100
}

// Modules returns the kernel modules the parameters need in the image: the
// overlay filesystem for osr.overlay=tmpfs.
func (p Params) Modules() []string {
	if p.Overlay == OverlayTmpfs {
		return []string{"overlay"}
	}
	return nil
}

// flag reads a boolean: a bare name is true, so are 1/yes/true/on; 0, no,
// false and off are false.
func (p *Params) flag(ps []Param, names []string) bool {
	v, ok := lookup(ps, names...)
	if !ok {
		return false
	}
	if !v.HasValue {
		return true
	}
	switch strings.ToLower(v.Value) {
	case "", "1", "y", "yes", "true", "on":
		return true
	case "0", "n", "no", "false", "off":
		return false
	}
	p.Problems = append(p.Problems, v.Name+"="+v.Value+": want yes or no; taken as yes")
	return true
}

// duration reads seconds ("10", "2.5") or a Go duration ("1m30s").
func (p *Params) duration(ps []Param, names []string) time.Duration {
	v, ok := lookup(ps, names...)
	if !ok {
		return 0
	}
	if f, err := strconv.ParseFloat(v.Value, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second))
	}
	if d, err := time.ParseDuration(v.Value); err == nil && d >= 0 {
		return d
	}
	p.Problems = append(p.Problems, v.Name+"="+v.Value+": want seconds (e.g. 10) or a duration (e.g. 1m30s)")
	return 0
}

// breaks collects break points from every spelling.
func (p *Params) breaks(ps []Param) {
	seen := map[string]bool{}
	for _, q := range ps {
		switch q.Name {
		case "osr.break", "osr.step", "break", "step", "com-break", "com-step":
		default:
			continue
		}
		if !q.HasValue || q.Value == "" {
			p.BreakAll = true
			continue
		}
		for _, s := range strings.Split(q.Value, ",") {
			s = strings.TrimSpace(s)
			switch {
			case s == "":
			case s == "all":
				p.BreakAll = true
			case !seen[s]:
				seen[s] = true
				p.Breaks = append(p.Breaks, s)
			}
		}
	}
}

// Value returns the winning value of an arbitrary parameter spelled
// osr.<name>, <name> or com-<name>, for settings this package does not model.
func (p Params) Value(name string) (string, bool) {
	v, ok := lookup(p.All, spellings(name)...)
	if !ok {
		return "", false
	}
	return v.Value, true
}
