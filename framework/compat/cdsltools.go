// SPDX-License-Identifier: Apache-2.0

package compat

import (
	"errors"
	"fmt"

	"github.com/open-sharedroot/osr/framework/cdsl"
)

// flagTo returns a translation to one osr flag with the option's value.
func flagTo(name string) func(string) []string {
	return func(v string) []string { return []string{"--" + name + "=" + v} }
}

// switchTo returns a translation to fixed osr arguments.
func switchTo(args ...string) func(string) []string {
	return func(string) []string { return args }
}

// dropped is the translation of an option osr has no use for; its note
// says why.
func dropped(string) []string { return nil }

// cdslBase are the options every CDSL tool took
// (comoonics.cdsl.commonoptparseroptions).
func cdslBase() []option {
	return []option{
		{short: "n", long: []string{"noexecute"}, to: switchTo("--dry-run")},
		{short: "q", long: []string{"quiet"}, to: switchTo("--log-level=error")},
		{short: "d", long: []string{"verbose"}, to: switchTo("--log-level=debug")},
		{short: "i", long: []string{"inventoryfile"}, arg: true, to: flagTo("inventory")},
		{short: "c", long: []string{"clusterconf"}, arg: true, to: flagTo("cluster")},
		{short: "r", long: []string{"root"}, arg: true, to: flagTo("root")},
		{short: "m", long: []string{"mountpoint"}, arg: true, to: flagTo("mountpoint")},
		{short: "h", long: []string{"help"}, to: switchTo("--help")},
	}
}

// translate turns parsed items into osr arguments: options first, in order,
// then the positional arguments after a "--" when sep is true, or in place
// when it is false. It collects the notes of the options given.
func translate(items []item, sep bool) (args, pos, warns []string) {
	for _, it := range items {
		switch {
		case it.opt == nil && sep:
			pos = append(pos, it.value)
		case it.opt == nil:
			args = append(args, it.value)
		default:
			args = append(args, it.opt.to(it.value)...)
			if it.opt.note != "" {
				warns = append(warns, it.given+": "+it.opt.note)
			}
		}
	}
	return args, pos, warns
}

// cdslExit is the exit code of the CDSL tools for an error: 1, as their
// "Error: …" handlers exited.
func cdslExit(error) int { return 1 }

func mkcdsl() *tool {
	opts := append(cdslBase(),
		option{short: "a", long: []string{"hostdependent"}, to: switchTo("-a")},
		option{short: "s", long: []string{"shared"}, to: switchTo("-s")},
		option{short: "b", long: []string{"backup"}, to: switchTo("--backup")},
		option{short: "u", long: []string{"updateinventory"}, to: dropped,
			note: "ignored: osr writes the inventory with every change"},
		option{short: "S", long: []string{"resolved"}, to: dropped,
			note: "ignored: osr resolves parent directories inside the root itself"},
	)
	return &tool{opts: opts, settings: "cdsl", build: func(items []item) (Invocation, error) {
		args, _, warns := translate(items, false)
		return Invocation{Args: append([]string{"cdsl", "add"}, args...), Warnings: warns, exit: cdslExit}, nil
	}}
}

func rmcdsl() *tool {
	opts := append(cdslBase(),
		option{short: "F", long: []string{"reallyforce"}, to: switchTo("--purge")},
		option{short: "f", long: []string{"force"}, to: switchTo("--force")},
		option{short: "R", long: []string{"recursive"}, to: switchTo("--recursive")},
		option{short: "S", long: []string{"resolved"}, to: dropped,
			note: "ignored: osr resolves parent directories inside the root itself"},
	)
	return &tool{opts: opts, settings: "cdsl", build: func(items []item) (Invocation, error) {
		args, pos, warns := translate(items, true)
		args = append(append([]string{"cdsl", "rm"}, args...), "--")
		return Invocation{Args: append(args, pos...), Warnings: warns, exit: rmcdslExit}, nil
	}}
}

// rmcdslExit: com-rmcdsl exited 1 when a path was no CDSL or had children
// (without --recursive), 2 for any other error.
func rmcdslExit(err error) int {
	if errors.Is(err, cdsl.ErrNotCDSL) || errors.Is(err, cdsl.ErrHasNested) {
		return 1
	}
	return 2
}

func cdslinvchk() *tool {
	opts := append(cdslBase(),
		option{short: "U", long: []string{"update"}, to: switchTo("--repair")},
		option{short: "f", long: []string{"filesystem"}, to: switchTo("--scan")},
		option{short: "p", long: []string{"path"}, arg: true, to: dropped,
			note: "ignored: osr checks the whole CDSL filesystem"},
		option{short: "C", long: []string{"cdsl"}, arg: true, to: dropped,
			note: "ignored: osr checks every CDSL of the inventory"},
		option{short: "R", long: []string{"norecursive"}, to: dropped,
			note: "ignored: osr checks the inventory of the filesystem named by -m only"},
	)
	for _, o := range layoutOptions() {
		o.to, o.note = dropped, "ignored: osr reads the layout from the inventory"
		opts = append(opts, o)
	}
	return &tool{opts: opts, settings: "cdsl", build: func(items []item) (Invocation, error) {
		args, pos, warns := translate(items, true)
		if len(pos) > 0 {
			return Invocation{}, fmt.Errorf("unexpected arguments %q", pos)
		}
		return Invocation{Args: append([]string{"cdsl", "check"}, args...), Warnings: warns, exit: cdslExit}, nil
	}}
}

// layoutOptions are the infrastructure settings com-cdslinvadm create and
// com-cdslinvchk took. Only creating an inventory uses them; osr reads them
// from the inventory otherwise.
func layoutOptions() []option {
	return []option{
		{short: "t", long: []string{"cdsltree"}, arg: true, to: flagTo("tree")},
		{short: "s", long: []string{"cdsltreeshared"}, arg: true, to: flagTo("shared-tree")},
		{short: "L", long: []string{"cdsllink"}, arg: true, to: flagTo("link")},
		{short: "M", long: []string{"maxnodeidnum"}, arg: true, to: flagTo("nodes")},
		{short: "N", long: []string{"usenodenames"}, to: switchTo("--node-names")},
		{short: "D", long: []string{"defaultdir"}, arg: true, to: flagTo("default-dir")},
	}
}
