// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// The exitrd: where systemd-shutdown returns to at the end.
const (
	// ExitrdDir is the directory systemd-shutdown pivots into when
	// ExitrdDir/shutdown is executable.
	ExitrdDir = "/run/initramfs"
	// BinaryName is the program systemd-shutdown execs there; osr runs the
	// shutdown when started under this name.
	BinaryName = "shutdown"
	// OldRootDir is where the old root lies after the pivot (/oldroot).
	OldRootDir = "oldroot"
)

// HandoverOptions say what Handover works on; the zero value is the
// initrd's real one, except Sysroot.
type HandoverOptions struct {
	// Sysroot is where the shared root is mounted in the initrd (/sysroot).
	Sysroot string
	// RunDir is the initrd's /run, which moves into the new root; "" is /run.
	RunDir string
	// Self is the program copied to /run/initramfs/shutdown; "" is the running
	// executable (the init).
	Self string
	// Links are the network interfaces that carry the root.
	Links []Link
	// Mounts are the mounts below Sysroot, as paths in the new root; nil
	// reads them from /proc/self/mountinfo.
	Mounts []string
	// Logf hears of what is done.
	Logf func(format string, args ...any)
	// MountTmpfs mounts a tmpfs on dir; nil is mount(2).
	MountTmpfs func(dir string) error
	// IsMountPoint reports whether dir is a mount point; nil reads
	// /proc/self/mountinfo.
	IsMountPoint func(dir string) (bool, error)
}

// Handover prepares, in the initrd just before the switch to the real root,
// what the running system needs from osr: the exitrd in /run/initramfs and
// the runtime configuration in /run (RuntimeFiles). It returns the runtime
// configuration it wrote.
func Handover(o HandoverOptions) (Runtime, error) {
	if o.RunDir == "" {
		o.RunDir = "/run"
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	rt := Runtime{Links: o.Links, Mounts: o.Mounts}
	if rt.Mounts == nil {
		ms, err := MountsBelow(o.Sysroot)
		if err != nil {
			return rt, err
		}
		rt.Mounts = ms
	}
	if err := PrepareExitrd(o); err != nil {
		return rt, err
	}
	if err := WriteRuntime(o.RunDir, RuntimeFiles(rt)); err != nil {
		return rt, err
	}
	o.Logf("shutdown: %s/%s is osr; systemd keeps %s and the links %s until the end",
		filepath.Join(o.RunDir, "initramfs"), BinaryName, strings.Join(orNone(rt.Mounts), " "), strings.Join(orNone(linkNames(rt.Links)), " "))
	return rt, nil
}

func linkNames(ls []Link) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"(none)"}
	}
	return s
}

// PrepareExitrd makes <RunDir>/initramfs the exitrd: a tmpfs unless it is a
// mount point already or holds files someone else put there (the cluster
// stack's chroot), osr as its shutdown program, and the directories the
// pivot needs.
func PrepareExitrd(o HandoverOptions) error {
	run := o.RunDir
	if run == "" {
		run = "/run"
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	mountTmpfs, isMP := o.MountTmpfs, o.IsMountPoint
	if mountTmpfs == nil {
		mountTmpfs = func(dir string) error {
			return unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755")
		}
	}
	if isMP == nil {
		isMP = IsMountPoint
	}
	self := o.Self
	if self == "" {
		var err error
		if self, err = os.Executable(); err != nil {
			return fmt.Errorf("exitrd: find the running program: %w", err)
		}
	}
	dir := filepath.Join(run, "initramfs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("exitrd: %w", err)
	}
	mounted, err := isMP(dir)
	if err != nil {
		return fmt.Errorf("exitrd: %w", err)
	}
	if !mounted {
		names, err := readDirNames(dir)
		if err != nil {
			return fmt.Errorf("exitrd: %w", err)
		}
		if len(names) == 0 {
			if err := mountTmpfs(dir); err != nil {
				return fmt.Errorf("exitrd: mount a tmpfs on %s: %w", dir, err)
			}
		} else {
			logf("shutdown: %s holds %s already but is no mount point; adding to it", dir, strings.Join(names, ", "))
		}
	}
	for _, d := range []string{OldRootDir, "dev", "proc", "sys", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("exitrd: %w", err)
		}
	}
	dst := filepath.Join(dir, BinaryName)
	if same, _ := sameContent(self, dst); same {
		return nil // put there already (the cluster stack links osr in its chroot)
	}
	if err := copyFile(self, dst, 0o755); err != nil {
		return fmt.Errorf("exitrd: copy %s: %w", self, err)
	}
	return nil
}

// sameContent reports whether the files a and b hold the same bytes.
func sameContent(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	sa, err := fa.Stat()
	if err != nil {
		return false, err
	}
	sb, err := fb.Stat()
	if err != nil {
		return false, err
	}
	if os.SameFile(sa, sb) {
		return true, nil
	}
	if sa.Size() != sb.Size() || sb.Mode().Perm()&0o111 == 0 {
		return false, nil
	}
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if ea != nil || eb != nil {
			return errors.Is(ea, io.EOF) || errors.Is(ea, io.ErrUnexpectedEOF), nil
		}
	}
}

func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// copyFile copies src to dst atomically (internal/atomicfile).
func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := atomicfile.Create(dst, atomicfile.Options{Mode: perm})
	if err != nil {
		return err
	}
	defer out.Discard() // nothing after a successful Commit
	if _, err := io.Copy(out.File(), in); err != nil {
		return err
	}
	return out.Commit()
}
