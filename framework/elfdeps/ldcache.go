// SPDX-License-Identifier: Apache-2.0

package elfdeps

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// LDCache is the parsed /etc/ld.so.cache: for each library soname, the
// paths ldconfig found, in the cache's order (all architectures mixed;
// the caller checks which ELF class and machine a path holds).
type LDCache struct {
	entries map[string][]string
}

// Lookup returns the paths the cache lists for a soname.
func (c *LDCache) Lookup(soname string) []string {
	if c == nil {
		return nil
	}
	return c.entries[soname]
}

// Len returns the number of sonames in the cache.
func (c *LDCache) Len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
}

// Cache file magics (glibc elf/cache.h). The new format may follow an
// old-format table ("ld.so-1.7.0") in files written for old linkers.
const (
	cacheMagicOld = "ld.so-1.7.0"
	cacheMagicNew = "glibc-ld.so.cache"
	cacheVersion  = "1.1"
	// Sizes of struct cache_file_new and struct file_entry_new.
	newHeaderSize = 48
	newEntrySize  = 24
	oldHeaderSize = 16
	oldEntrySize  = 12
)

// ParseLDCache parses an ld.so.cache in glibc's format
// "glibc-ld.so.cache1.1", alone or behind the old "ld.so-1.7.0" table.
// Entries for hardware-capability subdirectories (glibc-hwcaps) are left
// out: an initrd boots many CPUs, so it takes the baseline libraries.
func ParseLDCache(data []byte) (*LDCache, error) {
	start := 0
	if bytes.HasPrefix(data, []byte(cacheMagicOld)) {
		if len(data) < oldHeaderSize {
			return nil, fmt.Errorf("ld.so.cache: truncated old-format header")
		}
		n := int(binary.LittleEndian.Uint32(data[12:]))
		start = (oldHeaderSize + n*oldEntrySize + 7) &^ 7
	}
	if start+newHeaderSize > len(data) || string(data[start:start+len(cacheMagicNew)]) != cacheMagicNew {
		return nil, fmt.Errorf("ld.so.cache: no %q table (old format only?)", cacheMagicNew+cacheVersion)
	}
	h := data[start:]
	if v := string(h[len(cacheMagicNew) : len(cacheMagicNew)+len(cacheVersion)]); v != cacheVersion {
		return nil, fmt.Errorf("ld.so.cache: version %q, want %q", v, cacheVersion)
	}
	// The header's flags byte says the byte order ldconfig wrote
	// (cache_file_new.flags: 0 unknown, 1 invalid, 2 little, 3 big).
	var order binary.ByteOrder = binary.LittleEndian
	if h[28] == 3 {
		order = binary.BigEndian
	}
	nlibs := int(order.Uint32(h[20:]))
	if nlibs < 0 || newHeaderSize+nlibs*newEntrySize > len(h) {
		return nil, fmt.Errorf("ld.so.cache: %d entries do not fit in %d bytes", nlibs, len(h))
	}
	str := func(off uint32) (string, error) {
		// String offsets count from the start of the new-format header.
		if int(off) >= len(h) {
			return "", fmt.Errorf("ld.so.cache: string offset %d out of range", off)
		}
		s := h[off:]
		if i := bytes.IndexByte(s, 0); i >= 0 {
			return string(s[:i]), nil
		}
		return "", fmt.Errorf("ld.so.cache: unterminated string at %d", off)
	}
	c := &LDCache{entries: make(map[string][]string, nlibs)}
	for i := range nlibs {
		e := h[newHeaderSize+i*newEntrySize:]
		key, value, hwcap := order.Uint32(e[4:]), order.Uint32(e[8:]), order.Uint64(e[16:])
		if hwcap != 0 {
			continue
		}
		name, err := str(key)
		if err != nil {
			return nil, err
		}
		p, err := str(value)
		if err != nil {
			return nil, err
		}
		c.entries[name] = append(c.entries[name], p)
	}
	return c, nil
}
