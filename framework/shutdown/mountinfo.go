// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
)

// MountPoints returns the mount points of /proc/self/mountinfo in the
// kernel's order (a mount after the one it lies on), with the kernel's octal
// escapes (\040 for a space) undone.
func MountPoints() ([]string, error) {
	ms, err := mountinfo.GetMounts(nil)
	if err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Mountpoint
	}
	return out, nil
}

// IsMountPoint reports whether dir is a mount point in /proc/self/mountinfo.
func IsMountPoint(dir string) (bool, error) {
	ms, err := MountPoints()
	if err != nil {
		return false, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if m == abs {
			return true, nil
		}
	}
	return false, nil
}

// MountsBelow returns the mount points strictly below root, as paths
// relative to it ("/.cdsl.local"), leaving out the API filesystems (/dev,
// /proc, /sys, /run), which are the kernel's and systemd's.
func MountsBelow(root string) ([]string, error) {
	ms, err := MountPoints()
	if err != nil {
		return nil, err
	}
	return below(ms, root), nil
}

func below(ms []string, root string) []string {
	root = filepath.Clean(root)
	var out []string
	for _, m := range ms {
		if !strings.HasPrefix(m, root+"/") {
			continue
		}
		rel := strings.TrimPrefix(m, root)
		api := false
		for _, a := range []string{"/dev", "/proc", "/sys", "/run"} {
			api = api || rel == a || strings.HasPrefix(rel, a+"/")
		}
		if !api {
			out = append(out, rel)
		}
	}
	return uniqSorted(out)
}
