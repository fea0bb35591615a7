// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// elf is enough of an ELF header for isELF.
const elf = "\x7fELF\x02\x01\x01"

// fakeRoot builds a small merged-/usr Debian root with a dpkg database.
func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"etc/os-release":                                "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"etc/ld.so.conf":                                "include /etc/ld.so.conf.d/*.conf\n",
		"etc/modprobe.d/osr.conf":                       "options gfs2 x=1\n",
		"etc/modprobe.d/sub/b.conf":                     "blacklist floppy\n",
		"usr/bin/busybox":                               elf,
		"usr/bin/dash":                                  elf,
		"usr/sbin/fsck.gfs2":                            elf,
		"usr/sbin/mount.nfs":                            elf,
		"usr/sbin/script-tool":                          "#!/bin/sh\necho hi\n",
		"usr/share/doc/gfs2-utils/copyright":            "GPL\n",
		"usr/share/man/man8/fsck.gfs2.8.gz":             "man\n",
		"usr/lib/udev/rules.d/82-gfs2-withdraw.rules":   "# rules\n",
		"usr/share/locale/de/LC_MESSAGES/gfs2-utils.mo": "mo\n",
		"var/lib/dpkg/status": "Package: gfs2-utils\nStatus: install ok installed\nArchitecture: amd64\n\n" +
			"Package: ocfs2-tools\nStatus: deinstall ok config-files\nArchitecture: amd64\n",
		"var/lib/dpkg/info/gfs2-utils.list": "/.\n/sbin\n/sbin/fsck.gfs2\n/usr\n/usr/lib\n/usr/lib/udev\n/usr/lib/udev/rules.d\n" +
			"/usr/lib/udev/rules.d/82-gfs2-withdraw.rules\n/usr/share\n/usr/share/doc\n/usr/share/doc/gfs2-utils\n" +
			"/usr/share/doc/gfs2-utils/copyright\n/usr/share/man\n/usr/share/man/man8\n/usr/share/man/man8/fsck.gfs2.8.gz\n" +
			"/usr/share/locale/de/LC_MESSAGES/gfs2-utils.mo\n/var\n/var/lib\n/var/lib/gfs2\n/usr/sbin/gone\n",
	}
	writeTree(t, root, files)
	if err := os.MkdirAll(filepath.Join(root, "var/lib/gfs2"), 0o700); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"bin":                          "usr/bin",
		"sbin":                         "usr/sbin",
		"usr/bin/sh":                   "dash",
		"usr/sbin/mount.nfs4":          "mount.nfs",
		"etc/modprobe.d/sub/link.conf": "../osr.conf",
		"usr/sbin/escape":              "/../../../../bin/sh",
	}
	linkTree(t, root, links)
	if err := unix.Mkfifo(filepath.Join(root, "etc/modprobe.d/fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	return root
}

// writeListfiles writes name → content into a new directory and returns it.
func writeListfiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeTree writes name → content files below root, making their directories.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// linkTree makes name → target symbolic links below root.
func linkTree(t *testing.T, root string, links map[string]string) {
	t.Helper()
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
}
