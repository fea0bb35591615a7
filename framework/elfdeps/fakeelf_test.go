// SPDX-License-Identifier: Apache-2.0

package elfdeps

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeELF describes a small dynamic ELF object for tests.
type fakeELF struct {
	class   elf.Class // ELFCLASS64 unless set
	machine elf.Machine
	interp  string
	needed  []string
	rpath   string
	runpath string
	flags1  uint64
	static  bool // no dynamic section at all
}

// bytes lays the object out: ELF header, one PT_INTERP program header
// when interp is set, then .interp, .dynstr, .dynamic, .shstrtab and the
// section headers, which is what debug/elf and ld.so read.
func (f fakeELF) bytes() []byte {
	is64 := f.class != elf.ELFCLASS32
	if f.machine == 0 {
		f.machine = elf.EM_X86_64
	}
	le := binary.LittleEndian
	word := func(b *bytes.Buffer, v uint64) {
		if is64 {
			_ = binary.Write(b, le, v)
		} else {
			_ = binary.Write(b, le, uint32(v))
		}
	}
	ehsize, phentsize, shentsize, dynent := 52, 32, 40, 8
	if is64 {
		ehsize, phentsize, shentsize, dynent = 64, 56, 64, 16
	}
	// String tables.
	var dynstr bytes.Buffer
	dynstr.WriteByte(0)
	addStr := func(s string) uint64 {
		off := uint64(dynstr.Len())
		dynstr.WriteString(s)
		dynstr.WriteByte(0)
		return off
	}
	type dyn struct{ tag, val uint64 }
	var dyns []dyn
	for _, n := range f.needed {
		dyns = append(dyns, dyn{uint64(elf.DT_NEEDED), addStr(n)})
	}
	if f.rpath != "" {
		dyns = append(dyns, dyn{uint64(elf.DT_RPATH), addStr(f.rpath)})
	}
	if f.runpath != "" {
		dyns = append(dyns, dyn{uint64(elf.DT_RUNPATH), addStr(f.runpath)})
	}
	if f.flags1 != 0 {
		dyns = append(dyns, dyn{uint64(elf.DT_FLAGS_1), f.flags1})
	}
	dyns = append(dyns, dyn{uint64(elf.DT_NULL), 0})
	shstr := []byte("\x00.interp\x00.dynstr\x00.dynamic\x00.shstrtab\x00")
	const nameInterp, nameDynstr, nameDynamic, nameShstrtab = 1, 9, 17, 26

	phnum := 0
	if f.interp != "" {
		phnum = 1
	}
	interp := []byte(f.interp + "\x00")
	interpOff := uint64(ehsize + phnum*phentsize)
	dynstrOff := interpOff + uint64(len(interp))
	dynamicOff := (dynstrOff + uint64(dynstr.Len()) + 7) &^ 7
	dynamicSize := uint64(len(dyns) * dynent)
	shstrOff := dynamicOff + dynamicSize
	shOff := (shstrOff + uint64(len(shstr)) + 7) &^ 7
	type section struct {
		name, typ uint32
		off, size uint64
		link      uint32
		entsize   uint64
		include   bool
	}
	sections := []section{
		{include: true},
		{name: nameInterp, typ: uint32(elf.SHT_PROGBITS), off: interpOff, size: uint64(len(interp)), include: f.interp != ""},
		{name: nameDynstr, typ: uint32(elf.SHT_STRTAB), off: dynstrOff, size: uint64(dynstr.Len()), include: !f.static},
		{name: nameDynamic, typ: uint32(elf.SHT_DYNAMIC), off: dynamicOff, size: dynamicSize, link: 2, entsize: uint64(dynent), include: !f.static},
		{name: nameShstrtab, typ: uint32(elf.SHT_STRTAB), off: shstrOff, size: uint64(len(shstr)), include: true},
	}
	// Section indexes stay fixed (dynamic links to 2) so excluded ones
	// are written as SHT_NULL.
	var b bytes.Buffer
	class := byte(elf.ELFCLASS64)
	if !is64 {
		class = byte(elf.ELFCLASS32)
	}
	b.Write([]byte{0x7f, 'E', 'L', 'F', class, 1, 1, 0})
	b.Write(make([]byte, 8))
	_ = binary.Write(&b, le, uint16(elf.ET_DYN))
	_ = binary.Write(&b, le, uint16(f.machine))
	_ = binary.Write(&b, le, uint32(1))
	word(&b, 0)                                     // entry
	word(&b, uint64(ehsize*min(phnum, 1)))          // phoff
	word(&b, shOff)                                 // shoff
	_ = binary.Write(&b, le, uint32(0))             // flags
	_ = binary.Write(&b, le, uint16(ehsize))        // ehsize
	_ = binary.Write(&b, le, uint16(phentsize))     // phentsize
	_ = binary.Write(&b, le, uint16(phnum))         // phnum
	_ = binary.Write(&b, le, uint16(shentsize))     // shentsize
	_ = binary.Write(&b, le, uint16(len(sections))) // shnum
	_ = binary.Write(&b, le, uint16(4))             // shstrndx
	if phnum == 1 {
		_ = binary.Write(&b, le, uint32(elf.PT_INTERP))
		if is64 {
			_ = binary.Write(&b, le, uint32(elf.PF_R))
			for _, v := range []uint64{interpOff, interpOff, interpOff, uint64(len(interp)), uint64(len(interp)), 1} {
				_ = binary.Write(&b, le, v)
			}
		} else {
			for _, v := range []uint32{uint32(interpOff), uint32(interpOff), uint32(interpOff), uint32(len(interp)), uint32(len(interp)), uint32(elf.PF_R), 1} {
				_ = binary.Write(&b, le, v)
			}
		}
	}
	b.Write(interp)
	b.Write(dynstr.Bytes())
	b.Write(make([]byte, int(dynamicOff)-b.Len()))
	for _, d := range dyns {
		word(&b, d.tag)
		word(&b, d.val)
	}
	b.Write(shstr)
	b.Write(make([]byte, int(shOff)-b.Len()))
	for _, s := range sections {
		if !s.include {
			s = section{}
		}
		_ = binary.Write(&b, le, s.name)
		_ = binary.Write(&b, le, s.typ)
		word(&b, 0) // flags
		word(&b, 0) // addr
		word(&b, s.off)
		word(&b, s.size)
		_ = binary.Write(&b, le, s.link)
		_ = binary.Write(&b, le, uint32(0)) // info
		word(&b, 1)                         // addralign
		word(&b, s.entsize)
	}
	return b.Bytes()
}

// fakeRoot builds a root from a spec: "path" → fakeELF, string content,
// or symlink("target").
type symlink string

func fakeRoot(t *testing.T, spec map[string]any) string {
	t.Helper()
	root := t.TempDir()
	for p, v := range spec {
		host := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch v := v.(type) {
		case fakeELF:
			err = os.WriteFile(host, v.bytes(), 0o755)
		case string:
			if strings.HasSuffix(p, "/") {
				err = os.MkdirAll(host, 0o755)
			} else {
				err = os.WriteFile(host, []byte(v), 0o755)
			}
		case []byte:
			err = os.WriteFile(host, v, 0o644)
		case symlink:
			err = os.Symlink(string(v), host)
		default:
			t.Fatalf("fakeRoot: %s: unknown spec %T", p, v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestFakeELFReadable(t *testing.T) {
	for _, class := range []elf.Class{elf.ELFCLASS64, elf.ELFCLASS32} {
		data := fakeELF{class: class, machine: elf.EM_386, interp: "/lib/ld.so", needed: []string{"liba.so", "libb.so"}, rpath: "$ORIGIN", runpath: "/x:/y", flags1: uint64(elf.DF_1_NODEFLIB)}.bytes()
		o, err := readELF(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if o.class != class || o.machine != elf.EM_386 || o.interp != "/lib/ld.so" || strings.Join(o.needed, ",") != "liba.so,libb.so" ||
			strings.Join(o.rpath, ",") != "$ORIGIN" || strings.Join(o.runpath, ",") != "/x,/y" || !o.nodeflib || !o.hasRunpath {
			t.Errorf("%v: read back %+v", class, o)
		}
	}
}
