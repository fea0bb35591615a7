// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// chunkCompressor compresses one chunk of the cpio stream into one self-contained
// frame (a zstd frame, a gzip member, an xz stream, a legacy lz4 frame). The
// kernel unpacks such frames one after another, so chunks are compressed in
// parallel and concatenated; zstd -d, gzip -d, xz -d and lz4 -d read the
// concatenation as one stream. compress is safe for concurrent use.
type chunkCompressor interface {
	compress(dst *bytes.Buffer, raw []byte) error
	close()
}

// newChunkCompressor returns the compressor for c at the given (resolved) level.
// workers bounds how many chunks are compressed at once. xzt, when set, is
// the system's xz, which writes xz instead of the built-in encoder.
func newChunkCompressor(c Compression, level, workers int, xzt *xzTool) (chunkCompressor, error) {
	switch c {
	case Zstd:
		enc, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
			zstd.WithEncoderConcurrency(workers),
			zstd.WithEncoderCRC(true))
		if err != nil {
			return nil, fmt.Errorf("zstd encoder: %w", err)
		}
		return zstdCompressor{enc}, nil
	case Gzip:
		return gzipCompressor{level}, nil
	case XZ:
		if xzt != nil {
			return xzt, nil
		}
		return xzCompressor(level), nil
	case LZ4:
		return lz4Compressor(level), nil
	case None:
		return noneCompressor{}, nil
	}
	return nil, fmt.Errorf("compression %q cannot be written; choose one of %s", c, writeNames())
}

type zstdCompressor struct{ enc *zstd.Encoder }

func (z zstdCompressor) compress(dst *bytes.Buffer, raw []byte) error {
	dst.Write(z.enc.EncodeAll(raw, dst.AvailableBuffer()))
	return nil
}

func (z zstdCompressor) close() { z.enc.Close() }

type gzipCompressor struct{ level int }

func (g gzipCompressor) compress(dst *bytes.Buffer, raw []byte) error {
	// The header carries no name and a zero mtime, so the output depends on the input only.
	w, err := gzip.NewWriterLevel(dst, g.level)
	return writeAll(Gzip, w, err, raw)
}

func (gzipCompressor) close() {}

// xzCompressor writes xz streams with a CRC32 check when the system has no xz
// (see xzTool): the kernel's xz decoder accepts CRC32 or no check, never xz's
// default CRC64.
type xzCompressor int

func (x xzCompressor) config() xz.WriterConfig {
	// The hash-chain matcher only: ulikunitz/xz's binary-tree matcher is orders of
	// magnitude slower. Levels up to 6 use a 1 MiB dictionary, as u-root
	// recommends for initramfs images; 7, 8 and 9 use 2, 4 and 8 MiB.
	return xz.WriterConfig{
		CheckSum: xz.CRC32,
		DictCap:  1 << (20 + max(0, int(x)-6)),
		Matcher:  lzma.HashTable4,
	}
}

func (x xzCompressor) compress(dst *bytes.Buffer, raw []byte) error {
	w, err := x.config().NewWriter(dst)
	return writeAll(XZ, w, err, raw)
}

func (xzCompressor) close() {}

// lz4Compressor writes the legacy lz4 frame format (magic 0x184C2102, 8 MiB blocks,
// no checksums): the only lz4 format the kernel unpacks, as lz4 -l writes it.
type lz4Compressor int

func (l lz4Compressor) compress(dst *bytes.Buffer, raw []byte) error {
	w := lz4.NewWriter(dst)
	err := w.Apply(lz4.LegacyOption(true), lz4.CompressionLevelOption(lz4Levels[l]), lz4.ConcurrencyOption(1))
	return writeAll(LZ4, w, err, raw)
}

func (lz4Compressor) close() {}

// lz4Levels maps osr's lz4 levels to pierrec/lz4's: 1 is the fast compressor,
// 2–9 the high-compression levels of the same number.
var lz4Levels = [...]lz4.CompressionLevel{
	1: lz4.Fast, 2: lz4.Level2, 3: lz4.Level3, 4: lz4.Level4, 5: lz4.Level5,
	6: lz4.Level6, 7: lz4.Level7, 8: lz4.Level8, 9: lz4.Level9,
}

// writeAll writes raw through a newly made compressing writer w (whose creation
// returned err) and closes it, which ends the frame.
func writeAll(c Compression, w io.WriteCloser, err error, raw []byte) error {
	if err != nil {
		return fmt.Errorf("%s writer: %w", c, err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("%s: %w", c, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: %w", c, err)
	}
	return nil
}

type noneCompressor struct{}

func (noneCompressor) compress(dst *bytes.Buffer, raw []byte) error {
	dst.Write(raw)
	return nil
}

func (noneCompressor) close() {}
