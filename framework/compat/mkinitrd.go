// SPDX-License-Identifier: Apache-2.0

package compat

import (
	"errors"
	"fmt"
	"strings"
)

// DistroMkinitrd is the distribution's mkinitrd, which the bootimage's
// mkinitrd handed a command line starting with "--" to.
const DistroMkinitrd = "/sbin/mkinitrd"

const (
	forceOutput   = "\x00force"
	unsupportedMk = "\x00unsupported="
)

func unsupported(why string) func(string) []string {
	return func(string) []string { return []string{unsupportedMk + why} }
}

// mkinitrd is comoonics-bootimage's mkinitrd (create-gfs-initrd-generic.sh):
// mkinitrd [options] initrdname [kernel-version].
func mkinitrd() *tool {
	ignored := func(short, long string, arg bool, why string) option {
		return option{short: short, long: []string{long}, arg: arg, to: dropped, note: "ignored: " + why}
	}
	opts := []option{
		ignored("d", "dep-filename", true, "osr reads listfiles, not *.list files (docs/migrating.md)"),
		ignored("r", "rpm-list", true, "osr reads listfiles, not rpms.list (docs/migrating.md)"),
		ignored("s", "initrdsize", true, "osr writes an initramfs, never an ext2 ramdisk"),
		ignored("m", "mountpoint", true, "osr builds the image without a build directory"),
		ignored("b", "build-date-file", true, "the image records its build itself (osr inspect)"),
		{short: "V", long: []string{"verbose"}, to: switchTo("--log-level=info")},
		{short: "v", long: []string{"version"}, to: switchTo("--log-level=info")},
		ignored("F", "ignore-lock", false, "osr takes no global lock: the image is written beside the output and renamed"),
		ignored("R", "keep-build-dir", false, "osr builds the image without a build directory"),
		{short: "o", long: []string{"old-format"}, to: unsupported("-o: the ext2 ramdisk format is not supported; osr writes an initramfs")},
		{short: "l", long: []string{"lite"}, to: switchTo("--host-only")},
		ignored("L", "loaded-modules", false, "osr takes the driver's modules and every network and block driver"),
		{short: "M", long: []string{"module"}, arg: true, to: flagTo("module")},
		{short: "U", long: []string{"update"}, to: unsupported("-U: update mode is not supported; osr rebuilds the whole image")},
		{short: "A", long: []string{"add-kernel"}, arg: true, to: unsupported("-A: an image holds one kernel's modules; build one image per kernel")},
		{short: "D", long: []string{"remove-kernel"}, arg: true, to: unsupported("-D: an image holds one kernel's modules; build one image per kernel")},
		ignored("p", "no-pre", false, "osr has no pre.mkinitrd.d hooks: their checks are part of osr build"),
		ignored("P", "no-post", false, "osr has no post.mkinitrd.d hooks: their work is part of osr build"),
		ignored("c", "no-cache", false, "osr keeps no file-list cache"),
		{short: "f", long: []string{"force"}, to: switchTo(forceOutput)},
		{short: "h", long: []string{"help"}, to: switchTo("--help")},
	}
	// The original parsed its options with getopts: short ones only.
	for i := range opts {
		opts[i].long = nil
	}
	return &tool{opts: opts, build: buildMkinitrd}
}

func buildMkinitrd(items []item) (Invocation, error) {
	args, pos, warns := translate(items, true)
	inv := Invocation{Warnings: warns}
	force := false
	out := []string{"build"}
	for _, a := range args {
		switch {
		case a == forceOutput:
			force = true
		case strings.HasPrefix(a, unsupportedMk):
			return Invocation{}, errors.New(a[len(unsupportedMk):])
		case a == "--help":
			inv.Args = []string{"help", "build"}
			return inv, nil
		default:
			out = append(out, a)
		}
	}
	switch len(pos) {
	case 0:
		return Invocation{}, errors.New("no initrd name given: mkinitrd [options] initrdname [kernel-version]")
	case 1:
	case 2:
		out = append(out, "--kernel="+pos[1])
	default:
		return Invocation{}, fmt.Errorf("more than one kernel version (%q): an image holds one kernel's modules; build one image per kernel", pos[1:])
	}
	inv.Args = append(out, "--output="+pos[0])
	if !force {
		inv.MustNotExist = pos[0]
	}
	return inv, nil
}

// handOff reports whether an mkinitrd command line belongs to the
// distribution's mkinitrd: the bootimage's handed one whose first argument
// starts with "--" on (a kernel package calling mkinitrd).
func handOff(name string, args []string) bool {
	return (name == "mkinitrd" || name == "create-gfs-initrd-generic.sh") &&
		len(args) > 0 && strings.HasPrefix(args[0], "--")
}
