// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenArchive pins the exact bytes of an uncompressed archive, so any change
// to the on-disk format (header fields, order, padding, hardlinks) is deliberate.
// Inspect the golden file with: cpio -tv < testdata/sample.cpio
func TestGoldenArchive(t *testing.T) {
	var buf bytes.Buffer
	_, err := sampleArchive(t).Write(context.Background(), &buf, Options{Compression: None, ModTime: 1700000000})
	must(t, err)
	golden := filepath.Join("testdata", "sample.cpio")
	if *update {
		must(t, os.MkdirAll("testdata", 0o755))
		must(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	must(t, err)
	if !bytes.Equal(buf.Bytes(), want) {
		n := 0
		for n < min(len(want), buf.Len()) && want[n] == buf.Bytes()[n] {
			n++
		}
		t.Errorf("archive differs from %s at byte %d (got %d bytes, want %d); run go test -update if the change is intended",
			golden, n, buf.Len(), len(want))
	}
}
