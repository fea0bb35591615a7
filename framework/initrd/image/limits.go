// SPDX-License-Identifier: Apache-2.0

package image

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxWindow bounds the history a decoder keeps while reading an image: a zstd
// frame's window, an xz or lzma dictionary. It is the zstd tool's own default
// limit (windowLog 27); larger windows are refused before anything is
// allocated, so a small crafted frame cannot make osr take gigabytes. Images
// written by osr, dracut, initramfs-tools and the compressors' presets stay far
// below it (xz -9 uses a 64 MiB dictionary, zstd -19 an 8 MiB window).
const MaxWindow = 128 << 20

// ErrWindowTooLarge is returned for a frame whose window or dictionary exceeds MaxWindow.
var ErrWindowTooLarge = errors.New("decoder window too large")

func windowError(c Compression, what string, size uint64) error {
	return fmt.Errorf("%w: the %s %s declares %s; osr reads at most %s (recompress with a smaller window, e.g. %s)",
		ErrWindowTooLarge, c, what, byteSize(size), byteSize(MaxWindow), map[Compression]string{
			Zstd: "zstd without --long", XZ: "xz -6", LZMA: "xz --format=lzma -6",
		}[c])
}

// byteSize renders n in the largest binary unit that divides it evenly enough to read.
func byteSize(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// zstdWindow returns the window size a zstd frame header declares (RFC 8878
// §3.1.1.1): the window descriptor, or for a single-segment frame its content size.
// hdr holds the frame's first bytes (at least 14 when available).
func zstdWindow(hdr []byte) (uint64, error) {
	if len(hdr) < 5 {
		return 0, fmt.Errorf("zstd: truncated frame header")
	}
	fhd := hdr[4]
	single := fhd&0x20 != 0
	if !single {
		if len(hdr) < 6 {
			return 0, fmt.Errorf("zstd: truncated frame header")
		}
		wd := hdr[5]
		log := 10 + uint(wd>>3)
		base := uint64(1) << log
		return base + base/8*uint64(wd&7), nil
	}
	off := 5 + [4]int{0, 1, 2, 4}[fhd&3]
	fcsLen := [4]int{1, 2, 4, 8}[fhd>>6]
	if len(hdr) < off+fcsLen {
		return 0, fmt.Errorf("zstd: truncated frame header")
	}
	b := hdr[off : off+fcsLen]
	switch fcsLen {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.LittleEndian.Uint16(b)) + 256, nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(b)), nil
	}
	return binary.LittleEndian.Uint64(b), nil
}

// xzFirstDict returns the LZMA2 dictionary size declared by the first block of
// the xz stream starting at hdr (stream header, then the block header), or 0 when
// the stream has no block or no LZMA2 filter. hdr should hold the stream header
// and up to 1024 bytes of block header.
func xzFirstDict(hdr []byte) (uint64, error) {
	const streamHeader = 12
	if len(hdr) < streamHeader+1 {
		return 0, fmt.Errorf("xz: truncated stream header")
	}
	b := hdr[streamHeader:]
	if b[0] == 0 {
		return 0, nil // the index follows at once: an empty stream
	}
	size := (int(b[0]) + 1) * 4
	if len(b) < size {
		return 0, fmt.Errorf("xz: truncated block header")
	}
	b = b[1:size]
	flags := b[0]
	b = b[1:]
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} { // compressed, uncompressed size
		if present {
			_, n := binary.Uvarint(b)
			if n <= 0 {
				return 0, fmt.Errorf("xz: bad block header")
			}
			b = b[n:]
		}
	}
	for range int(flags&3) + 1 {
		id, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, fmt.Errorf("xz: bad filter flags")
		}
		b = b[n:]
		psize, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < psize {
			return 0, fmt.Errorf("xz: bad filter flags")
		}
		props := b[n : n+int(psize)]
		b = b[n+int(psize):]
		if id == 0x21 && len(props) == 1 { // LZMA2
			bits := uint64(props[0] & 0x3f)
			if bits > 40 {
				return 0, fmt.Errorf("xz: LZMA2 dictionary size code %d is invalid", bits)
			}
			if bits == 40 {
				return 1<<32 - 1, nil
			}
			return (2 | bits&1) << (bits/2 + 11), nil
		}
	}
	return 0, nil
}
