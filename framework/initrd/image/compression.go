// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"fmt"
	"strings"
)

// Compression names how an initrd, or one segment of it, is compressed.
type Compression string

// The compressions osr writes. Every one of them is one the kernel unpacks.
const (
	Zstd  Compression = "zstd" // the default: fast to write, fast to unpack at boot
	Gzip  Compression = "gzip"
	XZ    Compression = "xz"  // written with a CRC32 check, the only check the kernel's decoder accepts
	LZ4   Compression = "lz4" // written in the legacy frame format (lz4 -l), the only one the kernel reads
	None  Compression = "none"
	LZMA  Compression = "lzma"  // read only
	Bzip2 Compression = "bzip2" // read only
)

// DefaultCompression is used when Options.Compression is empty.
const DefaultCompression = Zstd

// WriteCompressions lists, in order of preference, the compressions Write produces.
var WriteCompressions = []Compression{Zstd, Gzip, XZ, LZ4, None}

// levelRange is the accepted range and the default of Options.Level per compression.
type levelRange struct{ min, max, def int }

var levels = map[Compression]levelRange{
	// The zstd command's scale, mapped to the nearest klauspost level. 3 (its
	// default mode, as booster writes) compresses about twice as fast as 7 (its
	// "better" mode) for an image about 4% bigger: a generic Debian image of 126
	// MB is 36.7 MB at 3 and 35.4 MB at 7, and the build is 1.0 s against 1.8 s
	// on 2 cores. --level 7 is there for images that travel far.
	Zstd: {1, 22, 3},
	Gzip: {1, 9, 6},
	XZ:   {0, 9, 0}, // xz -0: with the system's xz on every core, within about twice the time of zstd and smaller than the built-in encoder's 6
	LZ4:  {1, 9, 1}, // 1 is lz4's fast mode, 2–9 its high-compression levels
	None: {0, 0, 0},
}

// ParseCompression turns a user-supplied name ("zstd", "gz", "none", …) into a
// Compression osr can write. The empty string means DefaultCompression.
func ParseCompression(s string) (Compression, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return DefaultCompression, nil
	case "zstd", "zst":
		return Zstd, nil
	case "gzip", "gz", "pigz":
		return Gzip, nil
	case "xz":
		return XZ, nil
	case "lz4":
		return LZ4, nil
	case "none", "no", "cat", "uncompressed":
		return None, nil
	case "lzma", "bzip2", "bz2":
		return "", fmt.Errorf("compression %q can be read but not written; choose one of %s", s, writeNames())
	}
	return "", fmt.Errorf("unknown compression %q; choose one of %s", s, writeNames())
}

func writeNames() string {
	names := make([]string, len(WriteCompressions))
	for i, c := range WriteCompressions {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// level resolves a requested level (0 = the compression's default) and checks its range.
func (c Compression) level(requested int) (int, error) {
	r, ok := levels[c]
	if !ok {
		return 0, fmt.Errorf("compression %q cannot be written; choose one of %s", c, writeNames())
	}
	if requested == 0 {
		return r.def, nil
	}
	if requested < r.min || requested > r.max {
		if r.max == 0 {
			return 0, fmt.Errorf("compression %s takes no level (got %d)", c, requested)
		}
		return 0, fmt.Errorf("%s level %d is out of range %d–%d", c, requested, r.min, r.max)
	}
	return requested, nil
}

// Magic numbers that start each compressed format, as the kernel's
// decompress_method() and the file(1) database know them.
var magics = []struct {
	c     Compression
	magic []byte
}{
	{Gzip, []byte{0x1f, 0x8b}},
	{Gzip, []byte{0x1f, 0x9e}}, // old gzip, also accepted by the kernel
	{Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{XZ, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{LZ4, []byte{0x02, 0x21, 0x4c, 0x18}}, // legacy frame
	{Bzip2, []byte{'B', 'Z', 'h'}},
	{LZMA, []byte{0x5d, 0x00, 0x00}},
	{None, []byte(newcMagic)},
	{None, []byte(newcCRCMagic)},
}

// lz4FrameMagic starts the modern lz4 frame format, which the kernel cannot unpack.
var lz4FrameMagic = []byte{0x04, 0x22, 0x4d, 0x18}

// Detect names the compression whose magic number starts b, or returns an error
// describing the bytes when none matches.
func Detect(b []byte) (Compression, error) {
	for _, m := range magics {
		if bytes.HasPrefix(b, m.magic) {
			return m.c, nil
		}
	}
	if bytes.HasPrefix(b, lz4FrameMagic) {
		return "", fmt.Errorf("lz4 frame format (not the legacy format the kernel reads; write it with lz4 -l)")
	}
	n := min(len(b), 8)
	return "", fmt.Errorf("unknown format (first bytes % x): not cpio, gzip, zstd, xz, lzma, lz4 or bzip2", b[:n])
}
