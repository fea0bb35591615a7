// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Module is one loadable module of the index.
type Module struct {
	// Name is the normalised module name.
	Name string
	// Path is the module file relative to the modules directory, as
	// modules.dep gives it, e.g. "kernel/fs/ext4/ext4.ko".
	Path string
	// Deps are the normalised names modules.dep lists for the module.
	Deps []string
	// Order is the module's line in modules.order, or -1 when absent.
	Order int
}

// Softdep holds the soft dependencies of one module: names or aliases to
// load before (Pre) and after (Post) it; missing ones are not an error.
type Softdep struct {
	Pre, Post []string
}

// Index is the parsed module index of one kernel.
type Index struct {
	dir      string
	modules  map[string]*Module
	builtin  map[string]bool
	softdeps map[string]Softdep
	aliases  *AliasTable
	// builtinFirmware lists firmware= of built-in modules (from
	// modules.builtin.modinfo), by module name.
	builtinFirmware map[string][]string
}

// Index file names inside a modules directory.
const (
	FileDep            = "modules.dep"
	FileSoftdep        = "modules.softdep"
	FileAlias          = "modules.alias"
	FileBuiltin        = "modules.builtin"
	FileBuiltinModinfo = "modules.builtin.modinfo"
	FileOrder          = "modules.order"
)

// depmodHint tells the user how to regenerate a missing or broken index.
const depmodHint = "run depmod (depmod -b ROOT VERSION for an unpacked tree)"

// Load reads the index files of the modules directory dir
// (/lib/modules/<version>). modules.dep is required; the others are read
// when present. The files are parsed concurrently.
func Load(dir string) (*Index, error) {
	ix := &Index{dir: dir}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		dep  []depLine
		ord  map[string]int
	)
	parse := func(name string, required bool, fn func(path string, data []byte) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := filepath.Join(dir, name)
			data, err := os.ReadFile(p)
			if errors.Is(err, fs.ErrNotExist) && !required {
				data, err = nil, nil
			}
			if err == nil {
				err = fn(p, data)
			} else if required {
				err = fmt.Errorf("read module index: %w (%s)", err, depmodHint)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	parse(FileDep, true, func(p string, b []byte) (err error) { dep, err = parseDep(p, b); return })
	parse(FileSoftdep, false, func(p string, b []byte) (err error) { ix.softdeps, err = parseSoftdep(p, b); return })
	parse(FileAlias, false, func(p string, b []byte) (err error) { ix.aliases, err = parseAlias(p, b); return })
	parse(FileBuiltin, false, func(p string, b []byte) error { ix.builtin = parseNames(b); return nil })
	parse(FileOrder, false, func(p string, b []byte) error { ord = parseOrder(b); return nil })
	var builtinAliases []aliasEntry
	parse(FileBuiltinModinfo, false, func(p string, b []byte) error {
		builtinAliases, ix.builtinFirmware = parseBuiltinModinfo(b)
		return nil
	})
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if ix.aliases == nil {
		ix.aliases = &AliasTable{}
	}
	if ix.builtin == nil {
		ix.builtin = map[string]bool{}
	}
	// Aliases of built-in modules ("crypto-crc32c" → crc32c_generic) resolve
	// like any other alias; the target is then found to be built in.
	ix.aliases.add(builtinAliases)
	ix.modules = make(map[string]*Module, len(dep))
	for _, d := range dep {
		m := &Module{Name: NameFromPath(d.path), Path: d.path, Deps: d.deps, Order: -1}
		if o, ok := ord[UncompressedPath(d.path)]; ok {
			m.Order = o
		}
		ix.modules[m.Name] = m
	}
	return ix, nil
}

// Dir returns the modules directory the index was read from.
func (ix *Index) Dir() string { return ix.dir }

// Version returns the kernel release: the name of the modules directory.
func (ix *Index) Version() string { return filepath.Base(ix.dir) }

// Module returns the loadable module called name ('-' and '_' alike).
func (ix *Index) Module(name string) (*Module, bool) {
	m, ok := ix.modules[Normalize(name)]
	return m, ok
}

// Builtin reports whether name is built into the kernel image.
func (ix *Index) Builtin(name string) bool { return ix.builtin[Normalize(name)] }

// Softdep returns the soft dependencies declared for module name.
func (ix *Index) Softdep(name string) Softdep { return ix.softdeps[Normalize(name)] }

// Aliases returns the alias table (modules.alias plus built-in aliases).
func (ix *Index) Aliases() *AliasTable { return ix.aliases }

// Modules returns every loadable module, sorted by path.
func (ix *Index) Modules() []*Module {
	out := make([]*Module, 0, len(ix.modules))
	for _, m := range ix.modules {
		out = append(out, m)
	}
	sortByPath(out)
	return out
}

// Path returns the absolute path of a module's file.
func (ix *Index) Path(m *Module) string { return filepath.Join(ix.dir, filepath.FromSlash(m.Path)) }

func sortByPath(ms []*Module) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].Path < ms[j].Path })
}

type depLine struct {
	path string
	deps []string
}

// parseDep parses modules.dep: "kernel/a.ko: kernel/b.ko kernel/c.ko".
func parseDep(file string, data []byte) ([]depLine, error) {
	out := make([]depLine, 0, bytes.Count(data, []byte{'\n'}))
	err := eachLine(data, func(n int, line string) error {
		mod, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(mod) == "" {
			return fmt.Errorf("%s:%d: want \"module.ko: deps…\", got %q (%s)", file, n, line, depmodHint)
		}
		f := strings.Fields(rest)
		deps := make([]string, len(f))
		for i, p := range f {
			deps[i] = NameFromPath(p)
		}
		out = append(out, depLine{path: strings.TrimSpace(mod), deps: deps})
		return nil
	})
	return out, err
}

// parseSoftdep parses "softdep NAME [pre: a b…] [post: c…]". Words before
// the first "pre:" or "post:" are ignored, as kmod ignores them.
func parseSoftdep(file string, data []byte) (map[string]Softdep, error) {
	out := map[string]Softdep{}
	err := eachLine(data, func(n int, line string) error {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "softdep" {
			return fmt.Errorf("%s:%d: want \"softdep MODULE pre: … post: …\", got %q", file, n, line)
		}
		name := Normalize(f[1])
		sd := out[name]
		var mode string
		for _, w := range f[2:] {
			switch {
			case w == "pre:" || w == "post:":
				mode = w
			case mode == "pre:":
				sd.Pre = append(sd.Pre, w)
			case mode == "post:":
				sd.Post = append(sd.Post, w)
			}
		}
		out[name] = sd
		return nil
	})
	return out, err
}

// parseAlias parses modules.alias: "alias PATTERN MODULE".
func parseAlias(file string, data []byte) (*AliasTable, error) {
	entries := make([]aliasEntry, 0, bytes.Count(data, []byte{'\n'}))
	err := eachLine(data, func(n int, line string) error {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "alias" {
			return fmt.Errorf("%s:%d: want \"alias PATTERN MODULE\", got %q", file, n, line)
		}
		entries = append(entries, aliasEntry{pattern: f[1], module: Normalize(f[2])})
		return nil
	})
	if err != nil {
		return nil, err
	}
	t := &AliasTable{}
	t.add(entries)
	return t, nil
}

// parseNames reads a list of module paths (modules.builtin) as names.
func parseNames(data []byte) map[string]bool {
	out := map[string]bool{}
	_ = eachLine(data, func(_ int, line string) error {
		out[NameFromPath(strings.TrimSpace(line))] = true
		return nil
	})
	return out
}

// parseOrder maps each (uncompressed) path of modules.order to its line.
func parseOrder(data []byte) map[string]int {
	out := map[string]int{}
	_ = eachLine(data, func(n int, line string) error {
		out[UncompressedPath(strings.TrimSpace(line))] = n
		return nil
	})
	return out
}

// parseBuiltinModinfo reads modules.builtin.modinfo, NUL-separated
// "module.key=value" records, for the aliases and firmware of built-ins.
func parseBuiltinModinfo(data []byte) ([]aliasEntry, map[string][]string) {
	var aliases []aliasEntry
	firmware := map[string][]string{}
	for _, rec := range bytes.Split(data, []byte{0}) {
		mod, kv, ok := bytes.Cut(rec, []byte{'.'})
		if !ok {
			continue
		}
		key, val, ok := bytes.Cut(kv, []byte{'='})
		if !ok {
			continue
		}
		switch string(key) {
		case "alias":
			aliases = append(aliases, aliasEntry{pattern: string(val), module: Normalize(string(mod))})
		case "firmware":
			name := Normalize(string(mod))
			firmware[name] = append(firmware[name], string(val))
		}
	}
	return aliases, firmware
}

// eachLine calls fn for every non-empty line that is not a comment, with
// its 1-based line number.
func eachLine(data []byte, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	return sc.Err()
}
