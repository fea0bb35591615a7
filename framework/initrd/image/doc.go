// SPDX-License-Identifier: Apache-2.0

// Package image writes and reads initrd images: newc cpio archives, compressed
// or not, possibly several of them concatenated, as the Linux kernel unpacks them
// into its initial root filesystem.
//
// Writing: collect entries in an Archive, then write it. The output is
// reproducible (entries sorted, owners fixed, every mtime the same, identical
// contents stored once as hardlinks), files are read and compressed in parallel,
// and WriteFile replaces an image atomically.
//
//	a := image.NewArchive()
//	_ = a.AddFile("usr/bin/osr", "/usr/bin/osr", 0)      // mode from the host file
//	_ = a.AddSymlink("init", "usr/bin/osr")
//	_ = a.AddDevice("dev/console", image.CharDevice, 5, 1, 0o600)
//	_ = a.Add(image.Entry{Path: "etc/osr/cluster.hcl", Kind: image.File,
//		Data: conf, Secret: true})                        // stored 0600
//	epoch, _ := image.SourceDateEpoch()
//	stats, err := a.WriteFile(ctx, "/boot/initrd.img", image.Options{
//		Compression: image.Zstd, ModTime: epoch})
//
// The cpio stream is cut at entry boundaries into chunks of about 16 MiB that are
// compressed independently and concatenated: one zstd frame, gzip member, xz
// stream or legacy lz4 frame each. The kernel unpacks such a sequence frame by
// frame, and zstd, gzip, xz and lz4 decompress it as one stream, so other tools
// (lsinitrd, lsinitramfs, cpio) read the images too.
//
// Reading: Open takes any initrd (osr's, dracut's, initramfs-tools'), finds its
// segments (an uncompressed early archive with CPU microcode, then compressed
// archives) by their magic numbers, and lists, prints or safely extracts entries.
package image
