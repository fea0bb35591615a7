// SPDX-License-Identifier: Apache-2.0

// Package kernelimage names a kernel the way admins do: by its release
// ("6.1.0-13-amd64", as uname -r prints it) or by the path of its image
// ("/boot/vmlinuz-6.1.0-13-amd64"). It finds the image of a release and reads
// the release out of an image's boot header.
//
// Usage:
//
//	k, err := kernelimage.Resolve("/boot/vmlinuz-6.1.0-13-amd64", "/")
//	// k.Release == "6.1.0-13-amd64", k.Image == "/boot/vmlinuz-6.1.0-13-amd64"
package kernelimage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Kernel is a kernel named by release and, when found, image.
type Kernel struct {
	// Release is the kernel release, as uname -r prints it.
	Release string
	// Image is the path of the kernel image; empty when only the release was
	// given and no image of it was found.
	Image string
}

// Running returns the release of the running kernel (uname -r).
func Running() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// IsPath reports whether arg names a kernel image rather than a release: it
// holds a slash (releases never do) or names a file in the working directory.
func IsPath(arg string) bool {
	if strings.Contains(arg, "/") {
		return true
	}
	st, err := os.Stat(arg)
	return err == nil && st.Mode().IsRegular()
}

// Image returns the path of the kernel image arg stands for: arg itself when
// it is a path (it must be a regular file), else the image of that release
// (the running kernel's when arg is empty) below root, as Resolve finds it.
// Unlike Resolve it does not read the image's header, so any architecture's
// image will do.
func Image(arg, root string) (string, error) {
	if arg != "" && IsPath(arg) {
		st, err := os.Stat(arg)
		if err != nil {
			return "", fmt.Errorf("kernel image: %w", err)
		}
		if !st.Mode().IsRegular() {
			return "", fmt.Errorf("kernel image %s is not a regular file", arg)
		}
		return arg, nil
	}
	k, err := Resolve(arg, root)
	if err != nil {
		return "", err
	}
	if k.Image == "" {
		return "", fmt.Errorf("no image of kernel %s (looked for %s); give the image's path", k.Release, strings.Join(Candidates(k.Release, root), ", "))
	}
	return k.Image, nil
}

// Resolve names the kernel arg stands for, looking for images below root
// ("/" for the running system). An empty arg is the running kernel. A path
// (see IsPath) must be a kernel image: its release is read from its header.
// A release is looked up as ROOT/boot/vmlinuz-RELEASE, then
// ROOT/lib/modules/RELEASE/vmlinuz; Image stays empty when neither exists.
func Resolve(arg, root string) (Kernel, error) {
	if arg == "" {
		arg = Running()
		if arg == "" {
			return Kernel{}, errors.New("the running kernel's release is unknown (uname failed); give --kernel")
		}
	}
	if IsPath(arg) {
		rel, err := ReleaseOf(arg)
		if err != nil {
			return Kernel{}, err
		}
		return Kernel{Release: rel, Image: arg}, nil
	}
	if strings.ContainsAny(arg, " \t\n") || arg == "." || arg == ".." {
		return Kernel{}, fmt.Errorf("kernel %q is neither a release (uname -r) nor the path of an image", arg)
	}
	k := Kernel{Release: arg}
	for _, p := range Candidates(arg, root) {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			k.Image = p
			break
		}
	}
	return k, nil
}

// Candidates are the paths where the image of release is looked for below
// root, in order.
func Candidates(release, root string) []string {
	return []string{
		filepath.Join(root, "boot", "vmlinuz-"+release),
		filepath.Join(root, "lib", "modules", release, "vmlinuz"),
		filepath.Join(root, "usr", "lib", "modules", release, "vmlinuz"),
	}
}

// x86 boot protocol: the setup header of a bzImage (Documentation/arch/x86/boot.rst).
const (
	headerMagicOff   = 0x202 // "HdrS"
	versionPtrOff    = 0x20e // kernel_version: offset of the release string - 0x200
	setupSectsOff    = 0x1f1
	maxVersionString = 256
)

// ReleaseOf reads the release of the kernel image at path from its x86 boot
// header (the string uname -r prints is its first word). Images without that
// header (other architectures, compressed EFI zboot images) are refused with
// a message that says to name the release instead.
func ReleaseOf(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("kernel image: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("kernel image: %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("kernel image %s is not a regular file", path)
	}
	rel, err := releaseFrom(f)
	if err != nil {
		return "", fmt.Errorf("kernel image %s: %w; give the kernel's release (uname -r) instead", path, err)
	}
	return rel, nil
}

func releaseFrom(r io.ReaderAt) (string, error) {
	hdr := make([]byte, 0x210)
	if _, err := r.ReadAt(hdr, 0); err != nil {
		return "", errors.New("too short for an x86 boot header")
	}
	if string(hdr[headerMagicOff:headerMagicOff+4]) != "HdrS" {
		return "", errors.New("no x86 boot header (HdrS)")
	}
	ptr := int64(binary.LittleEndian.Uint16(hdr[versionPtrOff:]))
	setup := int64(hdr[setupSectsOff])
	if setup == 0 {
		setup = 4
	}
	if ptr == 0 || ptr+0x200 >= (setup+1)*512 {
		return "", errors.New("the boot header names no kernel version")
	}
	buf := make([]byte, maxVersionString)
	n, err := r.ReadAt(buf, ptr+0x200)
	if n == 0 && err != nil {
		return "", fmt.Errorf("read the kernel version: %w", err)
	}
	buf = buf[:n]
	if i := bytes.IndexByte(buf, 0); i >= 0 {
		buf = buf[:i]
	}
	fields := strings.Fields(string(buf))
	if len(fields) == 0 {
		return "", errors.New("the kernel version string is empty")
	}
	rel := fields[0]
	for _, c := range rel {
		if c < 0x21 || c > 0x7e || c == '/' {
			return "", fmt.Errorf("the kernel version string %q is not a release", rel)
		}
	}
	return rel, nil
}
