// SPDX-License-Identifier: Apache-2.0

package elfdeps

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type cacheEntry struct {
	name, path string
	hwcap      uint64
}

// ldCache writes an ld.so.cache in glibc's layout: optionally behind an
// old-format table, in either byte order.
func ldCache(entries []cacheEntry, withOld bool, order binary.ByteOrder) []byte {
	var strs bytes.Buffer
	base := newHeaderSize + len(entries)*newEntrySize
	type offs struct{ key, value uint32 }
	var o []offs
	for _, e := range entries {
		k := uint32(base + strs.Len())
		strs.WriteString(e.name + "\x00")
		v := uint32(base + strs.Len())
		strs.WriteString(e.path + "\x00")
		o = append(o, offs{k, v})
	}
	var b bytes.Buffer
	if withOld {
		b.WriteString(cacheMagicOld + "\x00")
		_ = binary.Write(&b, binary.LittleEndian, uint32(1))
		b.Write(make([]byte, oldEntrySize)) // one old entry
		b.Write(make([]byte, (8-b.Len()%8)%8))
	}
	b.WriteString(cacheMagicNew + cacheVersion)
	_ = binary.Write(&b, order, uint32(len(entries)))
	_ = binary.Write(&b, order, uint32(strs.Len()))
	flag := byte(2)
	if order == binary.BigEndian {
		flag = 3
	}
	b.Write([]byte{flag, 0, 0, 0})
	b.Write(make([]byte, 16)) // extension offset, unused
	for i, e := range entries {
		_ = binary.Write(&b, order, int32(0x0303))
		_ = binary.Write(&b, order, o[i].key)
		_ = binary.Write(&b, order, o[i].value)
		_ = binary.Write(&b, order, uint32(0))
		_ = binary.Write(&b, order, e.hwcap)
	}
	b.Write(strs.Bytes())
	return b.Bytes()
}

func TestParseLDCache(t *testing.T) {
	entries := []cacheEntry{
		{"libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", 0},
		{"libc.so.6", "/lib/i386-linux-gnu/libc.so.6", 0},
		{"libm.so.6", "/usr/lib/glibc-hwcaps/x86-64-v3/libm.so.6", 1 << 62},
		{"libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6", 0},
	}
	want := map[string][]string{
		"libc.so.6": {"/lib/x86_64-linux-gnu/libc.so.6", "/lib/i386-linux-gnu/libc.so.6"},
		"libm.so.6": {"/lib/x86_64-linux-gnu/libm.so.6"},
	}
	for _, tt := range []struct {
		name    string
		withOld bool
		order   binary.ByteOrder
	}{
		{"new format", false, binary.LittleEndian},
		{"behind old format", true, binary.LittleEndian},
		{"big endian", false, binary.BigEndian},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseLDCache(ldCache(entries, tt.withOld, tt.order))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, c.entries); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if c.Len() != 2 || len(c.Lookup("libnone.so")) != 0 {
				t.Errorf("Len %d, Lookup(libnone) %v", c.Len(), c.Lookup("libnone.so"))
			}
		})
	}
	good := ldCache(entries, false, binary.LittleEndian)
	badVersion := bytes.Replace(good, []byte(cacheVersion), []byte("9.9"), 1)
	badOffset := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(badOffset[newHeaderSize+4:], 1<<30)
	unterminated := good[:len(good)-1]
	for name, data := range map[string][]byte{
		"empty":         nil,
		"old only":      append([]byte(cacheMagicOld+"\x00"), 0, 0, 0, 0),
		"bad version":   badVersion,
		"truncated":     good[:newHeaderSize+10],
		"offset beyond": badOffset,
		"unterminated":  unterminated,
	} {
		if _, err := ParseLDCache(data); err == nil {
			t.Errorf("%s: ParseLDCache succeeded", name)
		}
	}
}

// TestHostLDCacheMatchesLdconfig compares the host's cache with what
// glibc's own ldconfig -p prints.
func TestHostLDCacheMatchesLdconfig(t *testing.T) {
	data, err := os.ReadFile("/etc/ld.so.cache")
	if err != nil {
		t.Skipf("no host ld.so.cache: %v", err)
	}
	ldconfig, err := exec.LookPath("ldconfig")
	if err != nil {
		ldconfig = "/usr/sbin/ldconfig"
	}
	out, err := exec.Command(ldconfig, "-p").Output()
	if err != nil {
		t.Fatalf("ldconfig -p: %v", err)
	}
	// "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6"; hwcap
	// entries carry ", hwcap: …" inside the parentheses.
	line := regexp.MustCompile(`^\s+(\S+) \(([^)]*)\) => (\S+)$`)
	want := map[string][]string{}
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil || strings.Contains(m[2], "hwcap") {
			continue
		}
		want[m[1]] = append(want[m[1]], m[3])
	}
	c, err := ParseLDCache(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 10 {
		t.Fatalf("ldconfig -p listed only %d libraries:\n%s", len(want), out)
	}
	if diff := cmp.Diff(want, c.entries); diff != "" {
		t.Errorf("ld.so.cache differs from ldconfig -p (-ldconfig +osr):\n%s", diff)
	}
}
