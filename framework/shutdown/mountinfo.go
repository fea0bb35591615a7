// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MountPoints returns the mount points of /proc/self/mountinfo in the
// kernel's order (a mount after the one it lies on).
func MountPoints() ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	return parseMountinfo(string(b)), nil
}

// parseMountinfo returns field 5 of every line, with the kernel's octal
// escapes (\040 for a space) undone.
func parseMountinfo(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		out = append(out, unescapeOctal(f[4]))
	}
	return out
}

func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
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
