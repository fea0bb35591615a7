// SPDX-License-Identifier: Apache-2.0

package kernelimage

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/internal/testkernel"
)

// bzImage makes the first bytes of an x86 kernel image whose header points
// at version (written at 0x200+ptr); magic and setupSects may be spoiled.
func bzImage(magic string, setupSects byte, ptr uint16, version string) []byte {
	b := make([]byte, 0x4000)
	b[setupSectsOff] = setupSects
	copy(b[headerMagicOff:], magic)
	binary.LittleEndian.PutUint16(b[versionPtrOff:], ptr)
	copy(b[int(ptr)+0x200:], version+"\x00")
	return b
}

func TestReleaseOf(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		want    string
		wantErr string
	}{
		{"debian", bzImage("HdrS", 30, 0x1000, "6.1.0-13-amd64 (debian-kernel@lists.debian.org) #1 SMP"), "6.1.0-13-amd64", ""},
		{"release only", bzImage("HdrS", 30, 0x1000, "6.12.1-arch1-1"), "6.12.1-arch1-1", ""},
		{"no header", bzImage("MZ\x00\x00", 30, 0x1000, "6.1.0"), "", "no x86 boot header"},
		{"pointer past setup", bzImage("HdrS", 2, 0x1000, "6.1.0"), "", "names no kernel version"},
		{"no pointer", bzImage("HdrS", 30, 0, ""), "", "names no kernel version"},
		{"empty string", bzImage("HdrS", 30, 0x1000, ""), "", "empty"},
		{"slash in release", bzImage("HdrS", 30, 0x1000, "../../etc"), "", "not a release"},
		{"short file", []byte("HdrS"), "", "too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "vmlinuz")
			if err := os.WriteFile(p, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReleaseOf(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), p) {
					t.Fatalf("ReleaseOf() = %q, %v; want an error naming %s and %q", got, err, p, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ReleaseOf() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	root := t.TempDir()
	img := filepath.Join(root, "boot", "vmlinuz-6.1.0-9-amd64")
	if err := os.MkdirAll(filepath.Dir(img), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, bzImage("HdrS", 30, 0x1000, "6.1.0-9-amd64 #1"), 0o644); err != nil {
		t.Fatal(err)
	}
	modImg := filepath.Join(root, "usr", "lib", "modules", "6.8.0-1", "vmlinuz")
	if err := os.MkdirAll(filepath.Dir(modImg), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(modImg, bzImage("HdrS", 30, 0x1000, "6.8.0-1"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arg     string
		want    Kernel
		wantErr bool
	}{
		{img, Kernel{Release: "6.1.0-9-amd64", Image: img}, false},
		{"6.1.0-9-amd64", Kernel{Release: "6.1.0-9-amd64", Image: img}, false},
		{"6.8.0-1", Kernel{Release: "6.8.0-1", Image: modImg}, false},
		{"5.10.0-1-amd64", Kernel{Release: "5.10.0-1-amd64"}, false},
		{filepath.Join(root, "boot", "missing"), Kernel{}, true},
		{"6.1 bad", Kernel{}, true},
		{"..", Kernel{}, true},
	}
	for _, tt := range tests {
		got, err := Resolve(tt.arg, root)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Resolve(%q) = %+v, %v; want %+v, error %v", tt.arg, got, err, tt.want, tt.wantErr)
		}
	}
	if got, err := Resolve("", root); err != nil || got.Release != Running() {
		t.Errorf("Resolve(\"\") = %+v, %v; want the running kernel %q", got, err, Running())
	}
}

// A real Debian kernel image names its own release.
func TestReleaseOfDebianKernel(t *testing.T) {
	k := testkernel.Get(t)
	got, err := ReleaseOf(k.Vmlinuz)
	if err != nil || got != k.Version {
		t.Fatalf("ReleaseOf(%s) = %q, %v; want %q", k.Vmlinuz, got, err, k.Version)
	}
}

func TestImage(t *testing.T) {
	root := t.TempDir()
	img := filepath.Join(root, "boot", "vmlinuz-6.1.0-9-amd64")
	if err := os.MkdirAll(filepath.Dir(img), 0o755); err != nil {
		t.Fatal(err)
	}
	// Image does not read the header: an arm64 Image or a test stand-in will do.
	if err := os.WriteFile(img, []byte("not an x86 kernel"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(root, "boot"))
	tests := []struct {
		arg, want, wantErr string
	}{
		{img, img, ""},
		{"vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-9-amd64", ""}, // a file in the working directory
		{"6.1.0-9-amd64", img, ""},
		{"6.1.0-10-amd64", "", "no image of kernel 6.1.0-10-amd64 (looked for " + filepath.Join(root, "boot", "vmlinuz-6.1.0-10-amd64")},
		{filepath.Join(root, "boot"), "", "not a regular file"},
		{filepath.Join(root, "nope"), "", "no such file"},
	}
	for _, tt := range tests {
		got, err := Image(tt.arg, root)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Image(%q) = %q, %v; want an error with %q", tt.arg, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Image(%q) = %q, %v; want %q", tt.arg, got, err, tt.want)
		}
	}
}
