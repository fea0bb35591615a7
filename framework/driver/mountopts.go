// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"strings"

	"golang.org/x/sys/unix"
)

// Mount options as mount(8) understands them: some are mount(2) flags, some mean
// nothing to the kernel, the rest go to the filesystem as its data string. A
// filesystem refuses flags passed as data ("noatime"), so every driver splits them.

// vfsFlags are the options mount(8) turns into mount(2) flags instead of passing them
// to the filesystem, which would refuse them. set=false clears the flag.
var vfsFlags = map[string]struct {
	flag uintptr
	set  bool
}{
	"ro": {unix.MS_RDONLY, true}, "rw": {unix.MS_RDONLY, false},
	"noatime": {unix.MS_NOATIME, true}, "atime": {unix.MS_NOATIME, false},
	"nodiratime": {unix.MS_NODIRATIME, true}, "diratime": {unix.MS_NODIRATIME, false},
	"relatime": {unix.MS_RELATIME, true}, "norelatime": {unix.MS_RELATIME, false},
	"strictatime": {unix.MS_STRICTATIME, true}, "nostrictatime": {unix.MS_STRICTATIME, false},
	"lazytime": {unix.MS_LAZYTIME, true}, "nolazytime": {unix.MS_LAZYTIME, false},
	"nosuid": {unix.MS_NOSUID, true}, "suid": {unix.MS_NOSUID, false},
	"nodev": {unix.MS_NODEV, true}, "dev": {unix.MS_NODEV, false},
	"noexec": {unix.MS_NOEXEC, true}, "exec": {unix.MS_NOEXEC, false},
	"sync": {unix.MS_SYNCHRONOUS, true}, "async": {unix.MS_SYNCHRONOUS, false},
	"dirsync": {unix.MS_DIRSYNC, true},
	"silent":  {unix.MS_SILENT, true}, "loud": {unix.MS_SILENT, false},
}

// fstabOnly are options only mount(8) and fstab readers understand; they mean nothing
// to the kernel and are dropped.
var fstabOnly = map[string]bool{
	"defaults": true, "auto": true, "noauto": true, "nofail": true, "_netdev": true,
	"user": true, "nouser": true, "users": true, "owner": true, "group": true,
}

// MountOptions merges the driver's configured options, the request's options (the
// cluster configuration and the command line; each entry may hold several,
// comma-separated) and the options the driver sets itself (forced, which win), and
// splits them into mount(2) flags and the filesystem's data string. A later value of
// the same option replaces an earlier one in place. readOnly adds MS_RDONLY.
// replaced lists the options that forced ones overrode.
func MountOptions(configured, requested []string, readOnly bool, forced ...string) (flags uintptr, data string, replaced []string) {
	var order []string
	values := map[string]string{}
	isForced := map[string]bool{}
	add := func(o string, force bool) {
		key, _, _ := strings.Cut(o, "=")
		if old, ok := values[key]; ok && force && old != o {
			replaced = append(replaced, old)
		}
		if _, ok := values[key]; !ok {
			order = append(order, key)
		}
		values[key] = o
		isForced[key] = isForced[key] || force
	}
	for _, group := range [][]string{configured, requested} {
		for _, entry := range group {
			for _, o := range strings.Split(entry, ",") {
				o = strings.TrimSpace(o)
				switch f, ok := vfsFlags[o]; {
				case o == "" || fstabOnly[o] || strings.HasPrefix(o, "x-") || strings.HasPrefix(o, "comment="):
				case ok && f.set:
					flags |= f.flag
				case ok:
					flags &^= f.flag
				default:
					add(o, false)
				}
			}
		}
	}
	for _, o := range forced {
		add(o, true)
	}
	if readOnly {
		flags |= unix.MS_RDONLY
	}
	opts := make([]string, 0, len(order))
	for _, k := range order {
		if isForced[k] {
			opts = append(opts, values[k])
		}
	}
	for _, k := range order {
		if !isForced[k] {
			opts = append(opts, values[k])
		}
	}
	return flags, strings.Join(opts, ","), replaced
}

// MountFlagNames spells mount(2) flags as mount(8) options, for messages.
func MountFlagNames(flags uintptr) []string {
	var out []string
	for _, name := range []string{"ro", "noatime", "nodiratime", "relatime", "strictatime", "lazytime", "nosuid", "nodev", "noexec", "sync", "dirsync", "silent"} {
		if f := vfsFlags[name]; flags&f.flag != 0 {
			out = append(out, name)
		}
	}
	return out
}
