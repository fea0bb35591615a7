// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// ReadModule returns the ELF bytes of the module file at path, decompressing
// .ko.xz, .ko.zst and .ko.gz files.
func ReadModule(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := Decompress(f, Compression(path))
	if err != nil {
		return nil, fmt.Errorf("module %s: %w", path, err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("module %s: decompress: %w", path, err)
	}
	return data, nil
}

// Decompress wraps r in a reader for the compression named by ext (".xz",
// ".zst", ".gz" or "" for none).
func Decompress(r io.Reader, ext string) (io.Reader, error) {
	switch ext {
	case "":
		return r, nil
	case ".gz":
		return gzip.NewReader(r)
	case ".xz":
		return xz.NewReader(r)
	case ".zst":
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown module compression %q", ext)
}

// Modinfo holds the key=value pairs of a module's .modinfo section.
type Modinfo map[string][]string

// Firmware returns the firmware files the module declares.
func (mi Modinfo) Firmware() []string { return mi["firmware"] }

// ReadModinfo reads the .modinfo section of the module at path. For an
// uncompressed module only the ELF headers and that section are read.
func ReadModinfo(path string) (Modinfo, error) {
	if Compression(path) == "" {
		f, err := elf.Open(path)
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", path, err)
		}
		defer f.Close()
		mi, err := modinfoOf(f)
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", path, err)
		}
		return mi, nil
	}
	data, err := ReadModule(path)
	if err != nil {
		return nil, err
	}
	mi, err := ParseModinfo(data)
	if err != nil {
		return nil, fmt.Errorf("module %s: %w", path, err)
	}
	return mi, nil
}

// ParseModinfo returns the .modinfo of a module's (uncompressed) ELF bytes.
func ParseModinfo(data []byte) (Modinfo, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return modinfoOf(f)
}

func modinfoOf(f *elf.File) (Modinfo, error) {
	s := f.Section(".modinfo")
	if s == nil {
		return nil, fmt.Errorf("no .modinfo section: not a kernel module")
	}
	data, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("read .modinfo: %w", err)
	}
	mi := Modinfo{}
	for _, rec := range bytes.Split(data, []byte{0}) {
		if k, v, ok := bytes.Cut(rec, []byte{'='}); ok {
			mi[string(k)] = append(mi[string(k)], string(v))
		}
	}
	return mi, nil
}
