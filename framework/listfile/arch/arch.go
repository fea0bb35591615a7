// SPDX-License-Identifier: Apache-2.0

// Package arch translates CPU architecture names between the spellings osr meets:
// Go's GOARCH ("amd64"), the kernel's uname -m ("x86_64"), dpkg's ("amd64", "armhf")
// and rpm's ("x86_64", "aarch64"). osr's canonical name is Go's.
package arch

import (
	"slices"
	"sort"
	"sync"
)

// names maps each canonical (GOARCH) name to its other spellings:
// uname -m, dpkg and rpm names, in no particular order. The tables are made on
// first use: osr commands that never ask about architectures do not pay for them
// at start.
var names = sync.OnceValue(func() map[string][]string {
	return map[string][]string{
		"amd64":    {"x86_64", "x86-64"},
		"386":      {"i386", "i486", "i586", "i686", "x86"},
		"arm64":    {"aarch64"},
		"arm":      {"armhf", "armel", "armv7l", "armv7hl", "armv6l"},
		"ppc64le":  {"ppc64el"},
		"ppc64":    {},
		"s390x":    {},
		"riscv64":  {},
		"mips64le": {"mips64el"},
		"mipsle":   {"mipsel"},
		"loong64":  {"loongarch64"},
	}
})

// dpkgNames and rpmNames are the native spellings where they differ from Go's.
var (
	dpkgNames = sync.OnceValue(func() map[string]string {
		return map[string]string{"386": "i386", "arm": "armhf", "ppc64le": "ppc64el", "mips64le": "mips64el", "mipsle": "mipsel"}
	})
	rpmNames = sync.OnceValue(func() map[string]string {
		return map[string]string{"amd64": "x86_64", "386": "i686", "arm64": "aarch64", "arm": "armv7hl", "mips64le": "mips64el", "mipsle": "mipsel", "loong64": "loongarch64"}
	})
)

// Canonical returns the canonical (GOARCH) name of any known spelling, and false
// for a name it does not know.
func Canonical(name string) (string, bool) {
	if _, ok := names()[name]; ok {
		return name, true
	}
	for c, aliases := range names() {
		if slices.Contains(aliases, name) {
			return c, true
		}
	}
	return "", false
}

// Same reports whether two spellings name the same architecture.
func Same(a, b string) bool {
	ca, ok1 := Canonical(a)
	cb, ok2 := Canonical(b)
	return ok1 && ok2 && ca == cb
}

// Dpkg returns dpkg's name for a canonical architecture.
func Dpkg(canonical string) string {
	if n, ok := dpkgNames()[canonical]; ok {
		return n
	}
	return canonical
}

// RPM returns rpm's name for a canonical architecture.
func RPM(canonical string) string {
	if n, ok := rpmNames()[canonical]; ok {
		return n
	}
	return canonical
}

// Known lists every spelling Canonical accepts, sorted.
func Known() []string {
	var all []string
	for c, aliases := range names() {
		all = append(all, c)
		all = append(all, aliases...)
	}
	sort.Strings(all)
	return all
}
