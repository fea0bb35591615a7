// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"errors"
	"fmt"
	"sort"
)

// ErrNotFound is returned (wrapped) for a name that is neither a module,
// a built-in nor an alias of either.
var ErrNotFound = errors.New("no such module or alias")

// Lookup resolves a module name or alias the way modprobe does: a
// loadable module of that name, else a built-in of that name, else every
// module an alias pattern of modules.alias (or of a built-in) matches. It
// returns the loadable modules, and builtin=true when the kernel provides
// the name itself.
func (ix *Index) Lookup(name string) (mods []*Module, builtin bool, err error) {
	if m, ok := ix.Module(name); ok {
		return []*Module{m}, false, nil
	}
	if ix.Builtin(name) {
		return nil, true, nil
	}
	for _, target := range ix.aliases.Match(name) {
		if m, ok := ix.modules[target]; ok {
			mods = append(mods, m)
		} else if ix.builtin[target] {
			builtin = true
		}
	}
	if len(mods) == 0 && !builtin {
		return nil, false, fmt.Errorf("%q: %w in %s (not in %s, %s or %s)", name, ErrNotFound, ix.dir, FileDep, FileBuiltin, FileAlias)
	}
	return mods, builtin, nil
}

// Request says which modules an image needs.
type Request struct {
	// Modules are names or aliases that must resolve (the driver's Plan).
	Modules []string
	// Optional are names or aliases taken when they exist.
	Optional []string
	// Generic adds every module Rules select (GenericRules when nil).
	Generic bool
	// Rules override GenericRules for the generic set.
	Rules []PathRule
	// Host, when not nil, narrows the generic set to the drivers of this
	// machine: those its modaliases match or that are loaded now.
	Host *Host
	// Exclude names modules never taken as generic or host seeds (they are
	// still taken when a requested module depends on them).
	Exclude []string
	// NoSoftdeps leaves out soft dependencies.
	NoSoftdeps bool
}

// Selection is the resolved module set of an image.
type Selection struct {
	// Modules is the closure, sorted by path.
	Modules []*Module
	// Builtin are requested names the kernel provides itself.
	Builtin []string
	// Missing are Optional names that do not exist in this kernel.
	Missing []string
}

// Resolve computes the closure of req: the requested modules, the generic
// or host set, and all their dependencies (modules.dep) and soft
// dependencies (pre and post).
func (ix *Index) Resolve(req Request) (*Selection, error) {
	c := closure{ix: ix, softdeps: !req.NoSoftdeps, in: map[string]*Module{}}
	sel := &Selection{}
	var errs []error
	for _, name := range req.Modules {
		mods, builtin, err := ix.Lookup(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if builtin && len(mods) == 0 {
			sel.Builtin = append(sel.Builtin, name)
		}
		c.addAll(mods)
	}
	for _, name := range req.Optional {
		mods, builtin, err := ix.Lookup(name)
		switch {
		case errors.Is(err, ErrNotFound):
			sel.Missing = append(sel.Missing, name)
		case builtin && len(mods) == 0:
			sel.Builtin = append(sel.Builtin, name)
		}
		c.addAll(mods)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if req.Generic {
		rules := req.Rules
		if rules == nil {
			rules = GenericRules
		}
		excluded := map[string]bool{}
		for _, n := range req.Exclude {
			excluded[Normalize(n)] = true
		}
		var hostMods map[string]bool
		if req.Host != nil {
			hostMods = ix.hostModules(*req.Host)
		}
		for _, m := range ix.Generic(rules) {
			if excluded[m.Name] || (hostMods != nil && !hostMods[m.Name]) {
				continue
			}
			c.add(m)
		}
	}
	sel.Modules = make([]*Module, 0, len(c.in))
	for _, m := range c.in {
		sel.Modules = append(sel.Modules, m)
	}
	sortByPath(sel.Modules)
	sort.Strings(sel.Builtin)
	sort.Strings(sel.Missing)
	return sel, nil
}

type closure struct {
	ix       *Index
	softdeps bool
	in       map[string]*Module
}

func (c *closure) addAll(ms []*Module) {
	for _, m := range ms {
		c.add(m)
	}
}

func (c *closure) add(m *Module) {
	if _, ok := c.in[m.Name]; ok {
		return
	}
	c.in[m.Name] = m
	for _, d := range m.Deps {
		if dm, ok := c.ix.modules[d]; ok {
			c.add(dm)
		}
	}
	if !c.softdeps {
		return
	}
	sd := c.ix.softdeps[m.Name]
	for _, list := range [][]string{sd.Pre, sd.Post} {
		for _, name := range list {
			// Soft dependencies are optional by definition.
			mods, _, _ := c.ix.Lookup(name)
			c.addAll(mods)
		}
	}
}
