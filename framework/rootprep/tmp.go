// SPDX-License-Identifier: Apache-2.0

package rootprep

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl"
)

// TmpEntry is the /etc/fstab line fixTmp adds: /tmp on a tmpfs of each node,
// with the options of systemd's own tmp.mount.
const TmpEntry = "tmpfs /tmp tmpfs mode=1777,strictatime,nosuid,nodev,size=50%,nr_inodes=1m 0 0\n"

// tmpNote precedes TmpEntry in /etc/fstab.
const tmpNote = "# osr: /tmp is a tmpfs of each node. On the shared root it would be one\n" +
	"# directory for all nodes, emptied by every node's boot (systemd-tmpfiles' \"D /tmp\").\n"

// tmpUnitPaths are where an enabled or masked tmp.mount of systemd lives in a
// root: an administrator's unit or mask in /etc, a distribution's enabled one
// (Fedora, Debian 13) under /usr/lib or /lib.
var tmpUnitPaths = []string{
	"etc/systemd/system/tmp.mount",
	"etc/systemd/system/local-fs.target.wants/tmp.mount",
	"usr/lib/systemd/system/local-fs.target.wants/tmp.mount",
	"lib/systemd/system/local-fs.target.wants/tmp.mount",
}

// fixTmp makes /tmp a tmpfs of each node unless the root mounts something on
// /tmp already: an /etc/fstab line for /tmp, or systemd's tmp.mount enabled.
// It appends TmpEntry to /etc/fstab (created when missing): systemd's fstab
// generator turns it into tmp.mount on every node, on every distribution,
// where enabling the distribution's own tmp.mount differs between them
// (Debian 12 keeps it outside the unit path, in /usr/share/systemd). A
// tmp.mount masked in /etc is the administrator's decision: it is reported,
// not overridden.
func fixTmp(r *cdsl.Repo, o Options, res *Result) error {
	const name = "etc/fstab"
	fs := r.FS()
	old, err := fs.ReadFile(name)
	if err != nil && fs.Exists(name) {
		return fmt.Errorf("read /etc/fstab: %w", err)
	}
	if mountsTmp(old) {
		return nil
	}
	for _, p := range tmpUnitPaths {
		if !fs.Exists(p) && !fs.IsSymlink(p) {
			continue
		}
		if t, err := fs.Readlink(p); err == nil && t == "/dev/null" {
			res.Skipped = append(res.Skipped, Outcome{Path: "/tmp",
				Note: "/" + p + " masks tmp.mount: /tmp stays the shared root's directory, which every node's boot empties; unmask it or add a tmpfs line for /tmp to /etc/fstab"})
			return nil
		}
		return nil // tmp.mount is enabled: /tmp is a tmpfs of each node already
	}
	if o.DryRun {
		res.Fixed = append(res.Fixed, "would add to /etc/fstab: "+strings.TrimSpace(TmpEntry)+" (/tmp of each node its own)")
		return nil
	}
	updated := append([]byte(nil), old...)
	if len(updated) > 0 && !bytes.HasSuffix(updated, []byte("\n")) {
		updated = append(updated, '\n')
	}
	updated = append(append(updated, tmpNote...), TmpEntry...)
	mode := uint32(0o644)
	if st, err := fs.Stat(name); err == nil {
		mode = st.Mode & 0o7777
	}
	if _, err := fs.MkdirAll("etc", 0o755); err != nil {
		return fmt.Errorf("add /tmp to /etc/fstab: %w", err)
	}
	if err := fs.WriteFileAtomic(name, updated, mode); err != nil {
		return fmt.Errorf("add /tmp to /etc/fstab: %w", err)
	}
	res.Fixed = append(res.Fixed, "added to /etc/fstab: "+strings.TrimSpace(TmpEntry)+" (/tmp of each node its own)")
	return nil
}

// mountsTmp reports whether an fstab text has an active entry for /tmp.
func mountsTmp(text []byte) bool {
	for _, l := range strings.Split(string(text), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && !strings.HasPrefix(f[0], "#") && (f[1] == "/tmp" || f[1] == "/tmp/") {
			return true
		}
	}
	return false
}
