// SPDX-License-Identifier: Apache-2.0

// Package kmod reads a kernel's module index (modules.dep, modules.softdep,
// modules.alias, modules.builtin, modules.builtin.modinfo, modules.order)
// and answers what an initrd must hold: the closure of requested modules,
// the generic set of network and block drivers or the host's own hardware,
// and the firmware those modules declare.
//
// Module names treat '-' and '_' alike (Normalize). Modules compressed as
// .ko.xz, .ko.zst or .ko.gz are read transparently (ReadModule).
//
// A build resolves a selection like this:
//
//	ix, err := kmod.Load("/lib/modules/6.1.0-48-amd64")
//	sel, err := ix.Resolve(kmod.Request{Modules: []string{"gfs2", "fs-nfs4"}, Generic: true})
//	fw, err := ix.Firmware(ctx, sel.Modules, kmod.FirmwareDirs("/", ix.Version()))
//
// The boot side (package framework/kmod/loader) reads the same index from
// the image and loads modules with finit_module; MatchModaliases finds the
// drivers for the hardware the init sees, as udev would.
package kmod
