// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"sort"
	"strings"
)

// AliasTable maps modaliases and other alias strings (fs-gfs2, net-pf-10,
// pci:v00008086d…) to module names. Patterns are fnmatch globs, as in
// modules.alias; lookups use an index keyed by each pattern's literal
// prefix so a modalias is compared only with the few patterns that can
// match it.
type AliasTable struct {
	buckets map[string][]aliasEntry
	n       int
	// devices holds the modules with at least one device modalias.
	devices map[string]bool
}

type aliasEntry struct {
	pattern, module string
}

// aliasKeyLen bounds the literal prefix used as a bucket key: long enough
// to separate PCI vendors ("pci:v00008086d00"), short enough to keep the
// number of lookups per match small.
const aliasKeyLen = 16

func aliasKey(pattern string) string {
	if i := strings.IndexAny(pattern, `*?[\`); i >= 0 {
		pattern = pattern[:i]
	}
	if len(pattern) > aliasKeyLen {
		pattern = pattern[:aliasKeyLen]
	}
	return pattern
}

func (t *AliasTable) add(entries []aliasEntry) {
	if t.buckets == nil {
		t.buckets = make(map[string][]aliasEntry, len(entries)/4+1)
		t.devices = map[string]bool{}
	}
	for _, e := range entries {
		e.pattern = NormalizeAlias(e.pattern)
		k := aliasKey(e.pattern)
		t.buckets[k] = append(t.buckets[k], e)
		if IsDeviceAlias(e.pattern) {
			t.devices[e.module] = true
		}
	}
	t.n += len(entries)
}

// IsDeviceAlias reports whether an alias (or alias pattern) is a device
// modalias, "bus:…" as the kernel gives it in a device's modalias file
// (pci:v…, usb:v…, virtio:d…, acpi*:…, of:N…, platform:…, and cpu:type:…
// for a CPU feature). Other aliases name a service a module provides:
// fs-ext4, crypto-crc32c, net-pf-10, char-major-10-229, and devname:fuse,
// which names a device node the module creates, not hardware it needs.
func IsDeviceAlias(alias string) bool {
	bus, _, ok := strings.Cut(alias, ":")
	return ok && bus != "" && bus != "devname" && bus != "symbol"
}

// DeviceDriver reports whether module name has a device modalias: it
// drives hardware, or needs a CPU feature, that a machine may lack.
func (t *AliasTable) DeviceDriver(name string) bool { return t.devices[Normalize(name)] }

// Len returns the number of alias patterns.
func (t *AliasTable) Len() int { return t.n }

// Match returns the sorted, distinct modules whose alias pattern matches
// s. Both s and the patterns are compared in NormalizeAlias form.
func (t *AliasTable) Match(s string) []string {
	s = NormalizeAlias(s)
	var out []string
	seen := map[string]bool{}
	try := func(k string) {
		for _, e := range t.buckets[k] {
			if !seen[e.module] && Fnmatch(e.pattern, s) {
				seen[e.module] = true
				out = append(out, e.module)
			}
		}
	}
	for i := 0; i <= len(s) && i <= aliasKeyLen; i++ {
		try(s[:i])
	}
	sort.Strings(out)
	return out
}

// Fnmatch reports whether s matches the shell pattern, with the rules of
// fnmatch(3) without flags (what kmod uses for modules.alias): '*' matches
// any run of bytes including '/', '?' one byte, "[…]" a set or range
// (negated by '!' or '^'), and '\' quotes the next byte. A malformed
// bracket matches a literal '['.
func Fnmatch(pattern, s string) bool {
	p, i := 0, 0
	// Backtrack point: the pattern index after the last '*' and the
	// position in s it currently absorbs up to.
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starI = p+1, i
				p++
				continue
			case '?':
				p++
				i++
				continue
			case '[':
				if ok, next, valid := matchBracket(pattern, p, s[i]); valid {
					if ok {
						p, i = next, i+1
						continue
					}
				} else if s[i] == '[' {
					p, i = p+1, i+1
					continue
				}
			case '\\':
				if p+1 < len(pattern) && pattern[p+1] == s[i] {
					p, i = p+2, i+1
					continue
				}
				if p+1 == len(pattern) && s[i] == '\\' {
					p, i = p+1, i+1
					continue
				}
			default:
				if c == s[i] {
					p, i = p+1, i+1
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchBracket matches c against the bracket expression starting at
// pattern[p] == '['. It returns whether c is in the set, the index after
// the closing ']', and whether the expression is well formed.
func matchBracket(pattern string, p int, c byte) (match bool, next int, valid bool) {
	j := p + 1
	negate := false
	if j < len(pattern) && (pattern[j] == '!' || pattern[j] == '^') {
		negate = true
		j++
	}
	first := true
	for j < len(pattern) {
		if pattern[j] == ']' && !first {
			return match != negate, j + 1, true
		}
		first = false
		lo := pattern[j]
		if lo == '\\' && j+1 < len(pattern) {
			j++
			lo = pattern[j]
		}
		j++
		hi := lo
		if j+1 < len(pattern) && pattern[j] == '-' && pattern[j+1] != ']' {
			hi = pattern[j+1]
			if hi == '\\' && j+2 < len(pattern) {
				j++
				hi = pattern[j+1]
			}
			j += 2
		}
		if lo <= c && c <= hi {
			match = true
		}
	}
	return false, 0, false
}

// NormalizeAlias replaces '-' by '_' outside bracket expressions, as kmod
// does for both the patterns of modules.alias and the strings looked up,
// so "fs-gfs2" and "fs_gfs2" are one alias while "[a-f]" keeps its range.
func NormalizeAlias(s string) string {
	if !strings.Contains(s, "-") {
		return s
	}
	b := []byte(s)
	inBracket := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '[' && !inBracket:
			inBracket = true
			// A ']' right after '[' or '[!' is a member, not the end.
			if i+1 < len(b) && (b[i+1] == '!' || b[i+1] == '^') {
				i++
			}
			if i+1 < len(b) && b[i+1] == ']' {
				i++
			}
		case c == ']' && inBracket:
			inBracket = false
		case c == '-' && !inBracket:
			b[i] = '_'
		}
	}
	return string(b)
}
