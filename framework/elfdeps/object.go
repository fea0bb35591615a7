// SPDX-License-Identifier: Apache-2.0

package elfdeps

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// object is what the closure needs from one file: for an ELF file its
// class, machine, interpreter and dynamic section; for a script its
// interpreter (#!).
type object struct {
	isELF    bool
	class    elf.Class
	machine  elf.Machine
	interp   string
	needed   []string
	rpath    []string
	runpath  []string
	nodeflib bool // DF_1_NODEFLIB: skip ld.so.cache and the default dirs
	// hasRunpath is set when DT_RUNPATH is present (even empty), which
	// disables the object's DT_RPATH.
	hasRunpath bool
}

// readObject reads the header and dynamic section of the file at host
// path p. A file that is neither ELF nor a #! script is an object with
// no dependencies.
func readObject(p string) (*object, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return &object{}, nil // shorter than any ELF or script: data
	}
	switch {
	case string(magic[:]) == elf.ELFMAG:
		return readELF(f)
	case magic[0] == '#' && magic[1] == '!':
		return readScript(f)
	}
	return &object{}, nil
}

func readELF(r io.ReaderAt) (*object, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("parse ELF: %w", err)
	}
	o := &object{isELF: true, class: f.Class, machine: f.Machine}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			data, err := io.ReadAll(p.Open())
			if err != nil {
				return nil, fmt.Errorf("read PT_INTERP: %w", err)
			}
			o.interp = string(bytes.TrimRight(data, "\x00"))
		}
	}
	if o.needed, err = f.DynString(elf.DT_NEEDED); err != nil {
		return nil, fmt.Errorf("read DT_NEEDED: %w", err)
	}
	rpath, err := f.DynString(elf.DT_RPATH)
	if err != nil {
		return nil, fmt.Errorf("read DT_RPATH: %w", err)
	}
	runpath, err := f.DynString(elf.DT_RUNPATH)
	if err != nil {
		return nil, fmt.Errorf("read DT_RUNPATH: %w", err)
	}
	o.hasRunpath = len(runpath) > 0
	o.rpath, o.runpath = splitSearchPath(rpath), splitSearchPath(runpath)
	flags, err := f.DynValue(elf.DT_FLAGS_1)
	if err != nil {
		return nil, fmt.Errorf("read DT_FLAGS_1: %w", err)
	}
	o.nodeflib = len(flags) > 0 && flags[0]&uint64(elf.DF_1_NODEFLIB) != 0
	return o, nil
}

// readScript reads the interpreter of a "#!" script: the first word
// after "#!".
func readScript(f *os.File) (*object, error) {
	if _, err := f.Seek(2, io.SeekStart); err != nil {
		return nil, err
	}
	line, err := bufio.NewReaderSize(f, 256).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return &object{}, nil
	}
	return &object{interp: fields[0]}, nil
}

// splitSearchPath splits DT_RPATH/DT_RUNPATH strings at ':'; empty
// elements (the current directory to ld.so) are dropped, as they mean
// nothing at build time.
func splitSearchPath(values []string) []string {
	var out []string
	for _, v := range values {
		for _, d := range strings.Split(v, ":") {
			if d != "" {
				out = append(out, d)
			}
		}
	}
	return out
}
