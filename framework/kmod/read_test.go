// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-sharedroot/osr/framework/kmod/internal/kmodtest"
)

// fakeModuleELF returns a module ELF holding the .modinfo records.
func fakeModuleELF(records ...string) []byte { return kmodtest.ModuleELF(records...) }

// compress returns data compressed for the module suffix ext.
func compress(t *testing.T, ext string, data []byte) []byte {
	t.Helper()
	out, err := kmodtest.Compress(ext, data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadModuleCompressed(t *testing.T) {
	elfData := fakeModuleELF("license=GPL", "firmware=acme/a.bin", "firmware=acme/b.bin", "alias=pci:v0000ACMEd*")
	for _, ext := range []string{"", ".gz", ".xz", ".zst"} {
		t.Run("ko"+ext, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "acme.ko"+ext)
			if err := os.WriteFile(p, compress(t, ext, elfData), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadModule(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, elfData) {
				t.Fatalf("ReadModule returned %d bytes, want the %d ELF bytes", len(got), len(elfData))
			}
			mi, err := ReadModinfo(p)
			if err != nil {
				t.Fatal(err)
			}
			want := Modinfo{"license": {"GPL"}, "firmware": {"acme/a.bin", "acme/b.bin"}, "alias": {"pci:v0000ACMEd*"}}
			if diff := cmp.Diff(want, mi); diff != "" {
				t.Errorf("ReadModinfo (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadModuleErrors(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "junk.ko")
	writeFile(t, notELF, "not an elf file at all")
	badXZ := filepath.Join(dir, "bad.ko.xz")
	writeFile(t, badXZ, "not xz")
	noModinfo := filepath.Join(dir, "plain.ko")
	if err := os.WriteFile(noModinfo, bytes.Replace(fakeModuleELF("a=b"), []byte(".modinfo"), []byte(".notinfo"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
		read             func(string) error
	}{
		{"missing file", filepath.Join(dir, "none.ko"), "no such file", func(p string) error { _, err := ReadModule(p); return err }},
		{"corrupt xz", badXZ, "bad.ko.xz", func(p string) error { _, err := ReadModule(p); return err }},
		{"not ELF", notELF, "junk.ko", func(p string) error { _, err := ReadModinfo(p); return err }},
		{"no .modinfo", noModinfo, "no .modinfo section", func(p string) error { _, err := ReadModinfo(p); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := Decompress(strings.NewReader(""), ".bz2"); err == nil {
		t.Error("Decompress accepted .bz2")
	}
}

func TestFirmwareFake(t *testing.T) {
	dir := fakeModules(t, map[string]string{
		FileDep: "kernel/drivers/net/acme.ko.zst:\nkernel/drivers/net/other.ko:\nkernel/drivers/net/none.ko:\n",
	})
	writeModule := func(rel string, records ...string) {
		p := filepath.Join(dir, rel)
		writeFile(t, p, string(compress(t, Compression(p), fakeModuleELF(records...))))
	}
	writeModule("kernel/drivers/net/acme.ko.zst", "firmware=acme/a.bin", "firmware=acme/shared.bin")
	writeModule("kernel/drivers/net/other.ko", "firmware=acme/shared.bin", "firmware=acme/gone.bin")
	writeModule("kernel/drivers/net/none.ko", "license=GPL")
	ix, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	fwRoot := t.TempDir()
	dirs := FirmwareDirs(fwRoot, ix.Version())
	// The updates directory wins over the plain one; a .zst file counts.
	writeFile(t, filepath.Join(fwRoot, "lib/firmware/acme/a.bin"), "old")
	writeFile(t, filepath.Join(fwRoot, "lib/firmware/updates/acme/a.bin"), "new")
	writeFile(t, filepath.Join(fwRoot, "lib/firmware", ix.Version(), "acme/shared.bin.zst"), "z")
	fw, err := ix.Firmware(context.Background(), ix.Modules(), dirs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Firmware{
		{Name: "acme/a.bin", Path: filepath.Join(fwRoot, "lib/firmware/updates/acme/a.bin"), Modules: []string{"acme"}},
		{Name: "acme/gone.bin", Modules: []string{"other"}},
		{Name: "acme/shared.bin", Path: filepath.Join(fwRoot, "lib/firmware", ix.Version(), "acme/shared.bin.zst"), Modules: []string{"acme", "other"}},
	}
	if diff := cmp.Diff(want, fw); diff != "" {
		t.Errorf("Firmware (-want +got):\n%s", diff)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ix.Firmware(ctx, ix.Modules(), dirs); err == nil {
		t.Error("Firmware with a cancelled context succeeded")
	}
	writeFile(t, filepath.Join(dir, "kernel/drivers/net/none.ko"), "broken")
	if _, err := ix.Firmware(context.Background(), ix.Modules(), dirs); err == nil || !strings.Contains(err.Error(), "firmware of none") {
		t.Errorf("Firmware of a broken module: err = %v, want it named", err)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		path, name, compression, uncompressed string
	}{
		{"kernel/fs/ext4/ext4.ko", "ext4", "", "kernel/fs/ext4/ext4.ko"},
		{"kernel/arch/x86/crypto/crc32c-intel.ko.xz", "crc32c_intel", ".xz", "kernel/arch/x86/crypto/crc32c-intel.ko"},
		{"kernel/fs/gfs2/gfs2.ko.zst", "gfs2", ".zst", "kernel/fs/gfs2/gfs2.ko"},
		{"extra/ocfs2-stack-user.ko.gz", "ocfs2_stack_user", ".gz", "extra/ocfs2-stack-user.ko"},
		{"kernel/odd.zst.ko", "odd.zst", "", "kernel/odd.zst.ko"},
	}
	for _, tt := range tests {
		if got := NameFromPath(tt.path); got != tt.name {
			t.Errorf("NameFromPath(%q) = %q, want %q", tt.path, got, tt.name)
		}
		if got := Compression(tt.path); got != tt.compression {
			t.Errorf("Compression(%q) = %q, want %q", tt.path, got, tt.compression)
		}
		if got := UncompressedPath(tt.path); got != tt.uncompressed {
			t.Errorf("UncompressedPath(%q) = %q, want %q", tt.path, got, tt.uncompressed)
		}
	}
}
