// SPDX-License-Identifier: Apache-2.0

package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot/steps"
)

// With osr.overlay=tmpfs the driver mounts the shared root on
// DefaultOverlayLower, which is then made read-only, and the root the node
// runs on is an overlay: the shared root below, a tmpfs of the node's own
// above (DefaultOverlayDir, its upper and work directories), so whatever the
// node writes outside its CDSL tree lives in its RAM and is gone at the next
// boot. Both lie under /run, which moves into the new root: the running
// system sees the shared root read-only at /run/osr/lower.
const (
	DefaultOverlayLower = "/run/osr/lower"
	DefaultOverlayDir   = "/run/osr/overlay"
)

// overlay mounts the tmpfs overlay over the read-only shared root when the
// command line asks for one.
func (s *state) overlay(ctx context.Context) error {
	p := s.params
	if p.Overlay == "" {
		s.log.Debugf("no overlay asked for (osr.overlay=tmpfs); the shared root is the root")
		return nil
	}
	lower, dir, root := s.cfg.OverlayLower, s.cfg.OverlayDir, s.cfg.Sysroot
	if err := readOnly(lower); err != nil {
		return steps.Fail(err, "make the shared root on "+lower+" read-only", nil,
			"the driver mounted it; check the mount step's messages")
	}
	size := p.OverlaySize
	opts := "mode=0755"
	if size != "" {
		opts += ",size=" + size
	}
	upper, work := filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return steps.Fail(err, "create "+dir, nil, "the initrd's /run must be writable")
	}
	if err := unix.Mount("osr-overlay", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return steps.Fail(err, "mount the overlay's tmpfs on "+dir, []string{"tmpfs " + opts},
			"fix osr.overlaysize= (e.g. 512m, 2g or 25%)")
	}
	for _, d := range []string{upper, work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return steps.Fail(err, "create "+d, nil, "the overlay's tmpfs must be writable")
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return steps.Fail(err, "create the mount point "+root, nil, "the initrd's / must be writable")
	}
	data := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)
	if err := unix.Mount("overlay", root, "overlay", 0, data); err != nil {
		return steps.Fail(err, "mount the overlay on "+root, []string{"overlay " + data},
			"the kernel needs the overlay module: rebuild the image with osr.overlay=tmpfs in osr.hcl's initrd { cmdline } (which adds it) or --module overlay; the shared root's filesystem must be one overlayfs takes as a lower layer")
	}
	what := "half the RAM"
	if size != "" {
		what = size
	}
	s.log.Infof("root is an overlay: %s read-only below, a tmpfs of %s above (%s)", lower, what, dir)
	return nil
}

// readOnly makes the mount on dir read-only, for this mount only: the
// filesystem itself stays as the driver mounted it, so a bind of the node's
// CDSL tree can still be made writable. The mount's other flags are kept.
func readOnly(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return err
	}
	keep := uintptr(st.Flags) & (unix.ST_NOSUID | unix.ST_NODEV | unix.ST_NOEXEC | unix.ST_NOATIME | unix.ST_NODIRATIME | unix.ST_RELATIME)
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|keep, ""); err != nil {
		return fmt.Errorf("remount %s read-only: %w", dir, err)
	}
	return nil
}

// bindOptions say where the cdsl step takes the node's tree from: under an
// overlay, from the shared root below it, writable, so that the node's
// hostdependent files stay on the shared filesystem; when the kernel's ro
// made the whole shared filesystem read-only, from the overlay, whose tmpfs
// then takes the node's writes too.
func (s *state) bindOptions() BindOptions {
	if s.params.Overlay == "" || s.params.Access == "ro" {
		return BindOptions{}
	}
	return BindOptions{Tree: s.cfg.OverlayLower, Writable: true}
}
