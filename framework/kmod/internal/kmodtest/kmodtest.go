// SPDX-License-Identifier: Apache-2.0

// Package kmodtest builds kernel module files for tests of framework/kmod
// and its loader: minimal ELF objects with a .modinfo section, stored
// plain or compressed the way distributions ship modules.
package kmodtest

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// ModuleELF returns a minimal ELF64 relocatable object whose .modinfo
// section holds the given "key=value" records, NUL-separated as in a real
// module. It carries no code: enough for readers of .modinfo, not for a
// kernel.
func ModuleELF(records ...string) []byte {
	modinfo := []byte(strings.Join(records, "\x00") + "\x00")
	shstr := []byte("\x00.modinfo\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	modOff := uint64(ehsize)
	shstrOff := modOff + uint64(len(modinfo))
	shOff := (shstrOff + uint64(len(shstr)) + 7) &^ 7
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}) // ELFCLASS64, little endian, version 1
	b.Write(make([]byte, 8))
	for _, v := range []any{
		uint16(1), uint16(62), uint32(1), // ET_REL, EM_X86_64, EV_CURRENT
		uint64(0), uint64(0), shOff, // entry, phoff, shoff
		uint32(0), uint16(ehsize), uint16(0), uint16(0), // flags, ehsize, phentsize, phnum
		uint16(shentsize), uint16(3), uint16(2), // shentsize, shnum, shstrndx
	} {
		_ = binary.Write(&b, le, v)
	}
	b.Write(modinfo)
	b.Write(shstr)
	b.Write(make([]byte, int(shOff)-b.Len()))
	section := func(name, typ uint32, off, size uint64) {
		for _, v := range []any{name, typ, uint64(0), uint64(0), off, size, uint32(0), uint32(0), uint64(1), uint64(0)} {
			_ = binary.Write(&b, le, v)
		}
	}
	section(0, 0, 0, 0)
	section(1, 1, modOff, uint64(len(modinfo)))  // .modinfo, SHT_PROGBITS
	section(10, 3, shstrOff, uint64(len(shstr))) // .shstrtab, SHT_STRTAB
	return b.Bytes()
}

// Compress returns data compressed for the module file suffix ext: "" (as
// is), ".gz", ".xz" or ".zst".
func Compress(ext string, data []byte) ([]byte, error) {
	var b bytes.Buffer
	var err error
	switch ext {
	case "":
		return data, nil
	case ".gz":
		w := gzip.NewWriter(&b)
		if _, err = w.Write(data); err == nil {
			err = w.Close()
		}
	case ".xz":
		var w *xz.Writer
		if w, err = xz.NewWriter(&b); err == nil {
			if _, err = w.Write(data); err == nil {
				err = w.Close()
			}
		}
	case ".zst":
		var w *zstd.Encoder
		if w, err = zstd.NewWriter(&b); err == nil {
			if _, err = w.Write(data); err == nil {
				err = w.Close()
			}
		}
	default:
		return nil, fmt.Errorf("kmodtest: unknown module compression %q", ext)
	}
	if err != nil {
		return nil, fmt.Errorf("kmodtest: compress %s: %w", ext, err)
	}
	return b.Bytes(), nil
}
