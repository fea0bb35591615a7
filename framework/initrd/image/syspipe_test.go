// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readVia lists data as an image: through the system tools reading the file
// itself (file), through the tools fed by osr (bytes), or with the Go decoders.
func readVia(t *testing.T, data []byte, mode string) (string, error) {
	t.Helper()
	old := systemDecoders
	defer func() { systemDecoders = old }()
	systemDecoders = mode != "go"
	var ra io.ReaderAt = bytes.NewReader(data)
	if mode == "file" {
		p := filepath.Join(t.TempDir(), "initrd.img")
		must(t, os.WriteFile(p, data, 0o600))
		f, err := os.Open(p)
		must(t, err)
		defer f.Close()
		ra = f
	}
	var b strings.Builder
	segs, err := walk(context.Background(), ra, int64(len(data)), func(h *Header, body io.Reader) error {
		n, err := io.Copy(io.Discard, body)
		fmt.Fprintf(&b, "%s %s %d %d\n", h.Name, h.Kind, h.stored, n)
		return err
	})
	for _, s := range segs {
		fmt.Fprintf(&b, "segment %+v\n", s)
	}
	return b.String(), err
}

// TestSystemDecodersReadAlike: the zstd and xz tools, fed or reading the file,
// read every image as the Go decoders do, broken ones too (both fail).
func TestSystemDecodersReadAlike(t *testing.T) {
	needTools(t, "cpio", "zstd", "xz")
	_, mainTree := foreignTrees(t)
	mainCPIO := gnuCPIO(t, mainTree)
	big := NewArchive()
	for i := range 40 {
		data := make([]byte, 8<<10)
		_, _ = rand.Read(data[:4<<10]) // half random: chunks compress to several frames
		must(t, big.Add(Entry{Path: fmt.Sprintf("f%02d", i), Kind: File, Data: data, Mode: 0o644}))
	}
	defer func(old int64) { chunkSize = old }(chunkSize)
	chunkSize = 64 << 10
	osrImage := func(c Compression) []byte {
		var out bytes.Buffer
		_, err := big.Write(context.Background(), &out, Options{Compression: c})
		must(t, err)
		return out.Bytes()
	}
	zst := run(t, "", mainCPIO, "zstd", "-q", "-c")
	xzs := run(t, "", mainCPIO, "xz", "-c")
	images := map[string][]byte{
		"zstd tool":                   zst,
		"xz tool":                     xzs,
		"osr zstd":                    osrImage(Zstd),
		"osr xz":                      osrImage(XZ),
		"zstd frames with padding":    bytes.Join([][]byte{zst, make([]byte, 7), zst}, nil),
		"xz streams with padding":     bytes.Join([][]byte{xzs, make([]byte, 8), xzs, make([]byte, 4)}, nil),
		"xz with odd padding":         bytes.Join([][]byte{xzs, make([]byte, 3)}, nil),
		"xz then zstd":                bytes.Join([][]byte{xzs, zst}, nil),
		"zstd then xz":                bytes.Join([][]byte{zst, xzs}, nil),
		"xz then garbage":             append(append([]byte{}, xzs...), "junk"...),
		"zstd then garbage":           append(append([]byte{}, zst...), "junk"...),
		"uncompressed then zstd":      bytes.Join([][]byte{mainCPIO, zst}, nil),
		"uncompressed then xz":        bytes.Join([][]byte{mainCPIO, xzs}, nil),
		"xz with a bad index count":   xzWithBadIndex(xzs),
		"zstd then a truncated frame": bytes.Join([][]byte{zst, zst[:len(zst)/2]}, nil),
	}
	for name, img := range images {
		variants := map[string][]byte{"": img}
		for _, cut := range []int{len(img) - 1, len(img) - 13, len(img) / 2, 20} {
			variants[fmt.Sprintf(", cut at %d", cut)] = img[:cut]
		}
		for _, at := range []int{len(img) / 3, len(img) - 10, len(img) - 30} {
			flipped := append([]byte{}, img...)
			flipped[at] ^= 0x55
			variants[fmt.Sprintf(", byte %d flipped", at)] = flipped
		}
		for v, data := range variants {
			t.Run(name+v, func(t *testing.T) {
				want, wantErr := readVia(t, data, "go")
				for _, mode := range []string{"file", "bytes"} {
					got, err := readVia(t, data, mode)
					if (err == nil) != (wantErr == nil) {
						t.Fatalf("%s: error %v; the Go decoders: %v", mode, err, wantErr)
					}
					if err == nil && got != want {
						t.Errorf("%s read\n%s\nthe Go decoders\n%s", mode, got, want)
					}
				}
			})
		}
	}
}

// xzWithBadIndex claims one block too many in the stream's index.
func xzWithBadIndex(x []byte) []byte {
	b := append([]byte{}, x...)
	idx := len(b) - 12 - (int(b[len(b)-8])+1)*4
	b[idx+1]++
	return b
}
