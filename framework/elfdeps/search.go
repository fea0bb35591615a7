// SPDX-License-Identifier: Apache-2.0

package elfdeps

import (
	"debug/elf"
	"errors"
	"path"
	"strings"
)

// rpathScope is the DT_RPATH of one object on a loader chain, with the
// $ORIGIN it expands against.
type rpathScope struct {
	dirs   []string
	origin string
}

func chainKey(chain []rpathScope) string {
	var b strings.Builder
	for _, s := range chain {
		b.WriteString(s.origin)
		b.WriteByte('=')
		b.WriteString(strings.Join(s.dirs, ":"))
		b.WriteByte(';')
	}
	return b.String()
}

// found is a library located by search.
type found struct {
	path  string // the path it was found at, symlinks unresolved ($ORIGIN of it)
	links []File // symlinks met resolving path
	final string // the file itself
}

// searchedCache names the ld.so.cache among the searched places.
const searchedCache = "ld.so.cache"

// search finds the library name needed by o the way ld.so does: a name
// with a slash is a path; otherwise the RPATHs of o and its loaders
// (unless o has a RUNPATH), o's RUNPATH, ld.so.cache and the default
// directories (both skipped for DF_1_NODEFLIB). Only a file of o's ELF
// class and machine counts. It returns nil and the places tried when
// nothing matches.
func (r *Resolver) search(name, origin string, o *object, chain []rpathScope) (*found, []string, error) {
	if strings.Contains(name, "/") {
		p := r.expand(name, origin, o)
		f, err := r.candidate(p, o)
		return f, []string{path.Dir(p)}, err
	}
	var dirs []string
	if !o.hasRunpath {
		for i := len(chain) - 1; i >= 0; i-- {
			for _, d := range chain[i].dirs {
				dirs = append(dirs, r.expand(d, chain[i].origin, o))
			}
		}
	}
	for _, d := range o.runpath {
		dirs = append(dirs, r.expand(d, origin, o))
	}
	var searched []string
	try := func(dirs []string) (*found, error) {
		for _, d := range dirs {
			if !path.IsAbs(d) {
				continue // relative to ld.so's working directory: meaningless here
			}
			searched = append(searched, d)
			f, err := r.candidate(path.Join(d, name), o)
			if f != nil || err != nil {
				return f, err
			}
		}
		return nil, nil
	}
	if f, err := try(dirs); f != nil || err != nil {
		return f, searched, err
	}
	if o.nodeflib {
		return nil, searched, nil
	}
	if r.cache != nil {
		searched = append(searched, searchedCache)
		for _, p := range r.cache.Lookup(name) {
			f, err := r.candidate(p, o)
			if f != nil || err != nil {
				return f, searched, err
			}
		}
	}
	f, err := try(r.libDirs(o))
	return f, searched, err
}

// candidate returns p when it exists in the root and is an ELF object of
// o's class and machine, and nil otherwise.
func (r *Resolver) candidate(p string, o *object) (*found, error) {
	p = path.Clean(p)
	links, final, err := r.root.resolve(p)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !r.root.stat(final).mode.IsRegular() {
		return nil, nil
	}
	lib, err := r.object(final)
	if err != nil {
		return nil, err
	}
	if !lib.isELF || lib.class != o.class || lib.machine != o.machine {
		return nil, nil
	}
	return &found{path: p, links: links, final: final}, nil
}

// expand replaces the dynamic string tokens $ORIGIN, $LIB and $PLATFORM
// (also as ${…}) in a search path or library name.
func (r *Resolver) expand(s, origin string, o *object) string {
	if !strings.Contains(s, "$") {
		return s
	}
	for _, tok := range []struct {
		name string
		val  func() string
	}{
		{"ORIGIN", func() string { return origin }},
		{"LIB", func() string { return r.libName(o) }},
		{"PLATFORM", func() string { return r.platform(o) }},
	} {
		for _, form := range []string{"${" + tok.name + "}", "$" + tok.name} {
			if strings.Contains(s, form) {
				s = strings.ReplaceAll(s, form, tok.val())
			}
		}
	}
	return s
}

// arch describes the library layout of one ELF machine and class.
type arch struct {
	triplet  string // Debian multiarch tuple
	platform string // AT_PLATFORM, what $PLATFORM expands to
}

func archOf(o *object) arch {
	switch {
	case o.machine == elf.EM_X86_64 && o.class == elf.ELFCLASS64:
		return arch{"x86_64-linux-gnu", "x86_64"}
	case o.machine == elf.EM_X86_64:
		return arch{"x86_64-linux-gnux32", "x86_64"}
	case o.machine == elf.EM_386:
		return arch{"i386-linux-gnu", "i686"}
	case o.machine == elf.EM_AARCH64:
		return arch{"aarch64-linux-gnu", "aarch64"}
	case o.machine == elf.EM_ARM:
		return arch{"arm-linux-gnueabihf", "v7l"}
	case o.machine == elf.EM_PPC64:
		return arch{"powerpc64le-linux-gnu", "power8"}
	case o.machine == elf.EM_S390:
		return arch{"s390x-linux-gnu", "s390x"}
	case o.machine == elf.EM_RISCV:
		return arch{"riscv64-linux-gnu", "riscv64"}
	}
	return arch{}
}

// DefaultLibDirs returns the directories ld.so searches last for objects
// of a machine and class: the Debian multiarch directories, the lib64
// directories of 64-bit Fedora, SUSE and Arch layouts, then /lib and
// /usr/lib. Directories a root lacks are simply not found.
func DefaultLibDirs(machine elf.Machine, class elf.Class) []string {
	var dirs []string
	if t := archOf(&object{machine: machine, class: class}).triplet; t != "" {
		dirs = append(dirs, "/lib/"+t, "/usr/lib/"+t)
	}
	if class == elf.ELFCLASS64 {
		dirs = append(dirs, "/lib64", "/usr/lib64")
	}
	return append(dirs, "/lib", "/usr/lib")
}

func (r *Resolver) libDirs(o *object) []string {
	if r.opts.LibDirs != nil {
		return r.opts.LibDirs
	}
	return DefaultLibDirs(o.machine, o.class)
}

// libName is $LIB: Options.Lib, else the multiarch directory when the
// root has one for o's machine, else lib64 for 64-bit objects when the
// root has /usr/lib64 or /lib64, else lib.
func (r *Resolver) libName(o *object) string {
	if r.opts.Lib != "" {
		return r.opts.Lib
	}
	isDir := func(p string) bool {
		_, final, err := r.root.resolve(p)
		return err == nil && r.root.stat(final).mode.IsDir()
	}
	if t := archOf(o).triplet; t != "" && (isDir("/usr/lib/"+t) || isDir("/lib/"+t)) {
		return "lib/" + t
	}
	if o.class == elf.ELFCLASS64 && (isDir("/usr/lib64") || isDir("/lib64")) {
		return "lib64"
	}
	return "lib"
}

// platform is $PLATFORM: Options.Platform or the machine's usual name.
func (r *Resolver) platform(o *object) string {
	if r.opts.Platform != "" {
		return r.opts.Platform
	}
	if p := archOf(o).platform; p != "" {
		return p
	}
	return strings.ToLower(strings.TrimPrefix(o.machine.String(), "EM_"))
}
