// SPDX-License-Identifier: Apache-2.0

package image

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkWrite writes an image of the trees named in $OSR_BENCH_TREE
// (colon-separated, for example a kernel's drivers/net:drivers/scsi:fs module
// directories) with each compression, reporting the output size.
//
//	OSR_BENCH_TREE=/lib/modules/$(uname -r)/kernel go test -run '^$' -bench Write ./framework/initrd/image
func BenchmarkWrite(b *testing.B) {
	trees := os.Getenv("OSR_BENCH_TREE")
	if trees == "" {
		b.Skip("set OSR_BENCH_TREE to directories to pack")
	}
	a := NewArchive()
	for _, root := range strings.Split(trees, ":") {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			return a.AddFile(filepath.Join(filepath.Base(root), strings.TrimPrefix(p, root)), p, 0)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		c     Compression
		level int
	}{{Zstd, 1}, {Zstd, 3}, {Zstd, 7}, {Zstd, 19}, {Gzip, 0}, {LZ4, 0}, {None, 0}, {XZ, 0}} {
		b.Run(fmt.Sprintf("%s-%d", tc.c, tc.level), func(b *testing.B) {
			var st Stats
			for b.Loop() {
				var err error
				if st, err = a.Write(context.Background(), io.Discard, Options{Compression: tc.c, Level: tc.level}); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(st.RawBytes)
			b.ReportMetric(float64(st.CompressedBytes)/1e6, "MB-out")
			b.ReportMetric(float64(st.Files), "files")
		})
	}
}
