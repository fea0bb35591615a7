// SPDX-License-Identifier: Apache-2.0

package compat

import (
	"errors"
	"fmt"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl"
)

// invadmCommands are com-cdslinvadm's commands: the word, its option form
// and how many arguments follow it.
var invadmCommands = []struct {
	word, short, long string
	nargs             int
}{
	{"create", "e", "create", 0},
	{"delete", "x", "delete", 0},
	{"get", "p", "get", 1},
	{"set", "T", "set", 2},
	{"list", "l", "list", 0},
	{"listcdsls", "I", "listcdsls", 0},
	{"getcdsl", "G", "getcdsl", 1},
	{"addnode", "o", "addnode", 1},
	{"deletenode", "O", "deletenode", 1},
	{"migrate", "g", "migrate", 0},
}

// Marker values the option translations of com-cdslinvadm return; build
// reads them back.
const (
	cmdMark       = "\x00cmd="
	recursiveMark = "\x00recursive"
	forceMark     = "\x00force"
	xmlMark       = "\x00xml"
	detailedMark  = "\x00detailed"
	sourceMark    = "\x00source="
)

func cdslinvadm() *tool {
	opts := cdslBase()
	for _, c := range invadmCommands {
		opts = append(opts, option{short: c.short, long: []string{c.long}, to: switchTo(cmdMark + c.word)})
	}
	opts = append(opts, layoutOptions()...)
	opts = append(opts,
		option{short: "S", long: []string{"sourceinventory"}, arg: true, to: func(v string) []string { return []string{sourceMark + v} }},
		option{short: "C", long: []string{"onlyinventory"}, to: dropped,
			note: "ignored: osr creates the inventory and the directories together"},
		option{short: "R", long: []string{"recursive"}, to: switchTo(recursiveMark)},
		option{short: "f", long: []string{"force"}, to: switchTo(forceMark)},
		option{short: "X", long: []string{"xml"}, to: switchTo(xmlMark)},
		option{short: "E", long: []string{"detailed"}, to: switchTo(detailedMark)},
	)
	return &tool{opts: opts, settings: "cdsl", build: buildInvadm}
}

// buildInvadm picks the command (a word or an option; create when none is
// given) and translates it with the options that apply to it.
func buildInvadm(items []item) (Invocation, error) {
	args, pos, warns := translate(items, true)
	var (
		cmd                  string
		recursive            = true // -R toggles it: on by default
		force, xml, detailed bool
		source               string
		base                 []string
	)
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, cmdMark):
			if cmd != "" && cmd != a[len(cmdMark):] {
				return Invocation{}, fmt.Errorf("two commands given: %s and %s", cmd, a[len(cmdMark):])
			}
			cmd = a[len(cmdMark):]
		case a == recursiveMark:
			recursive = !recursive
		case a == forceMark:
			force = true
		case a == xmlMark:
			xml = true
		case a == detailedMark:
			detailed = true
		case strings.HasPrefix(a, sourceMark):
			source = a[len(sourceMark):]
		default:
			base = append(base, a)
		}
	}
	if cmd == "" && len(pos) > 0 {
		for _, c := range invadmCommands {
			if pos[0] == c.word {
				cmd, pos = c.word, pos[1:]
				break
			}
		}
	}
	if cmd == "" {
		cmd = "create"
	}
	for _, c := range invadmCommands {
		if c.word == cmd && len(pos) != c.nargs {
			return Invocation{}, fmt.Errorf("%s takes %d argument(s), got %q", cmd, c.nargs, pos)
		}
	}
	inv := Invocation{Warnings: warns, exit: invadmExit}
	// The layout options only matter to create (other commands read the
	// layout from the inventory), as in the original.
	layout, rest := splitLayout(base)
	switch cmd {
	case "create":
		inv.Args = append(append([]string{"cdsl", "init"}, rest...), layout...)
	case "delete":
		inv.Args = append([]string{"cdsl", "destroy"}, rest...)
		if force {
			inv.Args = append(inv.Args, "--force")
		}
	case "get":
		inv.Args = append(append([]string{"cdsl", "list"}, rest...), "--setting="+pos[0])
	case "set":
		return Invocation{}, errors.New("set: osr does not change the settings of an existing inventory " +
			"(the trees and the link would no longer match the files); create a new infrastructure or edit the inventory")
	case "list":
		inv.Args = append([]string{"cdsl", "list", "--settings"}, rest...)
		if xml {
			inv.Args = append([]string{"cdsl", "list", "--json"}, rest...)
		}
	case "listcdsls":
		inv.Args = append([]string{"cdsl", "list"}, rest...)
		if xml || detailed {
			inv.Args = append(inv.Args, "--json")
		}
	case "getcdsl":
		inv.Args = append([]string{"cdsl", "get"}, rest...)
		if recursive {
			inv.Args = append(inv.Args, "--recursive")
		}
		inv.Args = append(inv.Args, "--", pos[0])
	case "addnode":
		inv.Args = append(append([]string{"cdsl", "nodes"}, rest...), "add", pos[0])
	case "deletenode":
		inv.Args = append([]string{"cdsl", "nodes"}, rest...)
		if force {
			inv.Args = append(inv.Args, "--purge")
		}
		inv.Args = append(inv.Args, "remove", pos[0])
	case "migrate":
		inv.Args = append([]string{"cdsl", "migrate"}, rest...)
		if source != "" {
			inv.Args = append(inv.Args, "--inventory="+source)
		}
	}
	return inv, nil
}

// splitLayout separates the layout flags (only create takes them) from
// the others.
func splitLayout(args []string) (layout, rest []string) {
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "--tree="), strings.HasPrefix(a, "--shared-tree="), strings.HasPrefix(a, "--link="),
			strings.HasPrefix(a, "--nodes="), a == "--node-names", strings.HasPrefix(a, "--default-dir="),
			strings.HasPrefix(a, "--node-prefix="), strings.HasPrefix(a, "--layout="):
			layout = append(layout, a)
		default:
			rest = append(rest, a)
		}
	}
	return layout, rest
}

// invadmExit: com-cdslinvadm exited 4 when no node could be found
// (ClusterRepositoryNoNodesFound), 1 for other errors.
func invadmExit(err error) int {
	if errors.Is(err, cdsl.ErrNoNodes) {
		return 4
	}
	return 1
}

// mkcdslinfrastructure is com-cdslinvadm's predecessor (2007): it created
// the infrastructure in the version 1 layout, and 2010–2011 versions also
// knew --migrate, --delete, --create, --get and --list.
func mkcdslinfrastructure() *tool {
	opts := []option{
		{short: "L", long: []string{"cdslLink"}, arg: true, to: flagTo("link")},
		{short: "n", long: []string{"noexecute"}, to: switchTo("--dry-run")},
		{long: []string{"mountpoint"}, arg: true, to: flagTo("mountpoint")},
		{short: "s", long: []string{"cdsltreeShared"}, arg: true, to: flagTo("shared-tree")},
		{short: "V", long: []string{"defaultvalues"}, to: dropped, note: "ignored: the defaults are always used for what is not given"},
		// -d was both --verbose and --defaultDir; the later one won.
		{short: "d", long: []string{"defaultDir"}, arg: true, to: flagTo("default-dir")},
		{long: []string{"verbose"}, to: switchTo("--log-level=debug")},
		{short: "m", long: []string{"maxnodeidnum"}, arg: true, to: flagTo("nodes")},
		{short: "q", long: []string{"quiet"}, to: switchTo("--log-level=error")},
		{short: "C", long: []string{"createInventory"}, to: dropped, note: "ignored: osr always writes the inventory"},
		// -t was both --mountpoint and --cdsltree; the later one won.
		{short: "t", long: []string{"cdsltree"}, arg: true, to: flagTo("tree")},
		{short: "p", long: []string{"nodePrefix"}, arg: true, to: flagTo("node-prefix")},
		{short: "c", long: []string{"clusterconf"}, arg: true, to: flagTo("cluster")},
		{short: "l", long: []string{"inventoryfile"}, arg: true, to: flagTo("inventory")},
		{short: "r", long: []string{"root"}, arg: true, to: flagTo("root")},
		{short: "i", long: []string{"useNodeids"}, to: dropped, note: "ignored: node ids are the default"},
		{short: "h", long: []string{"help"}, to: switchTo("--help")},
		{long: []string{"create"}, to: switchTo(cmdMark + "create")},
		{long: []string{"delete"}, to: switchTo(cmdMark + "delete")},
		{long: []string{"get"}, to: switchTo(cmdMark + "get")},
		{long: []string{"list"}, to: switchTo(cmdMark + "list")},
		{long: []string{"migrate"}, to: switchTo(cmdMark + "migrate")},
	}
	return &tool{opts: opts, settings: "cdsl", build: func(items []item) (Invocation, error) {
		inv, err := buildInvadm(items)
		if err != nil {
			return inv, err
		}
		if len(inv.Args) >= 2 && inv.Args[1] == "init" {
			// The v1 layout: cluster/cdsl, cluster/shared, cdsl.local.
			inv.Args = append(inv.Args[:2], append([]string{"--layout=v1"}, inv.Args[2:]...)...)
		}
		return inv, nil
	}}
}
