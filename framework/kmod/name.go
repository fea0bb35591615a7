// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"path"
	"strings"
)

// Normalize returns the canonical form of a module name: the kernel treats
// '-' and '_' in module names alike, and so does osr ("crc32c-intel" and
// "crc32c_intel" name one module).
func Normalize(name string) string {
	return strings.ReplaceAll(name, "-", "_")
}

// compressedExts are the module file suffixes after ".ko" that osr reads.
var compressedExts = []string{".xz", ".zst", ".gz"}

// NameFromPath returns the normalised module name of a module file path
// such as "kernel/fs/ext4/ext4.ko.xz".
func NameFromPath(p string) string {
	base := path.Base(p)
	for _, ext := range compressedExts {
		base = strings.TrimSuffix(base, ext)
	}
	return Normalize(strings.TrimSuffix(base, ".ko"))
}

// Compression returns the compression suffix of a module path (".xz",
// ".zst", ".gz") or "" when the module is stored uncompressed.
func Compression(p string) string {
	for _, ext := range compressedExts {
		if strings.HasSuffix(p, ".ko"+ext) {
			return ext
		}
	}
	return ""
}

// UncompressedPath returns p without its compression suffix, the path a
// module gets when an image stores it decompressed.
func UncompressedPath(p string) string {
	return strings.TrimSuffix(p, Compression(p))
}
