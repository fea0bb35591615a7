// SPDX-License-Identifier: Apache-2.0

// Package compat lets osr answer to the command names of the original
// open-sharedroot tools (com-queryclusterconf, com-mkcdsl, com-rmcdsl,
// com-cdslinvadm, com-cdslinvchk, com-mkcdslinfrastructure and the
// bootimage's mkinitrd): it turns their command lines, options spelled as
// the originals spelled them, into osr's, and osr's errors into the
// originals' exit codes. Existing scripts and boot code keep working when
// these names are links to osr (make install-compat).
package compat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Invocation is what an original command line becomes.
type Invocation struct {
	// Name is the original command's name ("com-mkcdsl").
	Name string
	// Args are osr's arguments ("cdsl", "add", …).
	Args []string
	// Exec, when set, is a program to run instead of osr: mkinitrd hands a
	// first argument starting with "--" to the distribution's mkinitrd.
	Exec []string
	// Warnings tell what osr does differently for an option that was given.
	Warnings []string
	// MustNotExist names a file the command refuses to overwrite (mkinitrd
	// without -f).
	MustNotExist string
	// Help, when set, is printed instead of running anything.
	Help string

	exit func(error) int
}

// ExitCode is the original's exit code for an error osr returned. Errors
// osr already turned into a count (failed queries, problems left) keep
// theirs; the caller handles those before asking.
func (inv Invocation) ExitCode(err error) int {
	if inv.exit == nil {
		return 1
	}
	return inv.exit(err)
}

// Precheck refuses what the original refused before doing anything.
func (inv Invocation) Precheck() error {
	if inv.MustNotExist == "" {
		return nil
	}
	if _, err := os.Lstat(inv.MustNotExist); err == nil {
		return fmt.Errorf("%s exists; give -f to overwrite it", inv.MustNotExist)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", inv.MustNotExist, err)
	}
	return nil
}

// tool is one original command: its options and how a parsed command line
// becomes osr's.
type tool struct {
	opts []option
	// settings is the settings file family ("cdsl" for cdsl.cfg) whose
	// values are defaults for the options; "" for none.
	settings string
	build    func(items []item) (Invocation, error)
}

// commands are the original tools by name, made on first use: osr under its
// own name never pays for their option tables at start.
var commands = sync.OnceValue(func() map[string]*tool {
	commands := map[string]*tool{}
	commands[QueryCommand] = queryClusterConf()
	commands["com-mkcdsl"] = mkcdsl()
	commands["com-rmcdsl"] = rmcdsl()
	commands["com-cdslinvadm"] = cdslinvadm()
	commands["com-cdslinvchk"] = cdslinvchk()
	commands["com-mkcdslinfrastructure"] = mkcdslinfrastructure()
	commands["mkinitrd"] = mkinitrd()
	commands["create-gfs-initrd-generic.sh"] = commands["mkinitrd"]
	return commands
})

// Paths are where the originals installed their commands; make
// install-compat links each to osr.
var Paths = []string{
	"/usr/bin/com-queryclusterconf",
	"/usr/bin/com-mkcdsl",
	"/usr/bin/com-rmcdsl",
	"/usr/bin/com-cdslinvadm",
	"/usr/bin/com-cdslinvchk",
	"/usr/bin/com-mkcdslinfrastructure",
	"/opt/atix/comoonics-bootimage/mkinitrd",
}

// names are the keys of commands, sorted: Is answers from them without
// making the tools (a test keeps the two equal).
var names = []string{
	"com-cdslinvadm",
	"com-cdslinvchk",
	"com-mkcdsl",
	"com-mkcdslinfrastructure",
	QueryCommand,
	"com-rmcdsl",
	"create-gfs-initrd-generic.sh",
	"mkinitrd",
}

// Is reports whether argv0 (a path or a name) is one of the originals'
// commands.
func Is(argv0 string) bool {
	return slices.Contains(names, filepath.Base(argv0))
}

// Names lists the command names osr answers to.
func Names() []string { return slices.Clone(names) }

// Translate turns the original command line argv0 args into osr's.
// Settings files (/etc/comoonics/cdsl.cfg for the CDSL tools) supply
// defaults that the command line overrides; see Defaults.
func Translate(argv0 string, args []string, d Defaults) (Invocation, error) {
	name := filepath.Base(argv0)
	t, ok := commands()[name]
	if !ok {
		return Invocation{}, fmt.Errorf("%s is not a command of the original tools (known: %v)", name, Names())
	}
	if handOff(name, args) {
		return Invocation{Name: name, Exec: append([]string{DistroMkinitrd}, args...)}, nil
	}
	pre, warns, err := d.items(name, t)
	if err != nil {
		return Invocation{}, err
	}
	items, err := getopt(t.opts, args)
	if err != nil {
		return Invocation{}, fmt.Errorf("%s: %w", name, err)
	}
	inv, err := t.build(append(pre, items...))
	if err != nil {
		return Invocation{}, fmt.Errorf("%s: %w", name, err)
	}
	inv.Name = name
	inv.Warnings = append(warns, inv.Warnings...)
	return inv, nil
}
