// SPDX-License-Identifier: Apache-2.0

package bbinitrd

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// moduleName turns a module path or name into the kernel's canonical name:
// the base name without .ko and compression suffix, dashes as underscores.
func moduleName(s string) string {
	s = filepath.Base(s)
	if i := strings.Index(s, ".ko"); i >= 0 {
		s = s[:i]
	}
	return strings.ReplaceAll(s, "-", "_")
}

// depTable is modules.dep: module path (relative to the modules dir) →
// the paths it depends on.
type depTable struct {
	deps   map[string][]string
	byName map[string]string
}

func readDeps(modulesDir string) (*depTable, error) {
	path := filepath.Join(modulesDir, "modules.dep")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read module dependencies: %w", err)
	}
	defer f.Close()
	t := &depTable{deps: map[string][]string{}, byName: map[string]string{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		mod, deps, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: no colon in %q", path, n, sc.Text())
		}
		t.deps[mod] = strings.Fields(deps)
		t.byName[moduleName(mod)] = mod
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return t, nil
}

// readBuiltin returns the names of the modules built into the kernel
// (modules.builtin); a missing file means none.
func readBuiltin(modulesDir string) (map[string]bool, error) {
	data, err := os.ReadFile(filepath.Join(modulesDir, "modules.builtin"))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read built-in modules: %w", err)
	}
	names := map[string]bool{}
	for _, l := range strings.Fields(string(data)) {
		names[moduleName(l)] = true
	}
	return names, nil
}

// ResolveModules returns the module files (paths relative to modulesDir)
// that loading names needs, each after the modules it depends on, without
// duplicates. Modules built into the kernel are left out; a name that is
// neither a module nor built in is an error.
func ResolveModules(modulesDir string, names []string) ([]string, error) {
	t, err := readDeps(modulesDir)
	if err != nil {
		return nil, err
	}
	builtin, err := readBuiltin(modulesDir)
	if err != nil {
		return nil, err
	}
	var order []string
	seen := map[string]bool{}
	var visit func(mod string, chain []string) error
	visit = func(mod string, chain []string) error {
		if seen[mod] {
			return nil
		}
		for _, c := range chain {
			if c == mod {
				return fmt.Errorf("dependency cycle: %s -> %s", strings.Join(chain, " -> "), mod)
			}
		}
		deps, ok := t.deps[mod]
		if !ok {
			return fmt.Errorf("%s is a dependency in modules.dep but has no entry of its own", mod)
		}
		// modules.dep lists the direct dependency first; load the deepest first.
		for i := len(deps) - 1; i >= 0; i-- {
			if err := visit(deps[i], append(chain, mod)); err != nil {
				return err
			}
		}
		seen[mod] = true
		order = append(order, mod)
		return nil
	}
	var missing []string
	for _, n := range names {
		name := moduleName(n)
		mod, ok := t.byName[name]
		if !ok {
			if !builtin[name] {
				missing = append(missing, n)
			}
			continue
		}
		if err := visit(mod, nil); err != nil {
			return nil, fmt.Errorf("resolve module %s: %w", n, err)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("modules %v are neither in %s/modules.dep nor built in", missing, modulesDir)
	}
	return order, nil
}
