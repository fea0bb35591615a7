// SPDX-License-Identifier: Apache-2.0

package rootprep

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl"
)

// fstabNote starts a root entry that fixRoot commented out.
const fstabNote = "# osr: the initrd mounts the shared root; "

// fixRoot changes what would break a shared boot in the shared root itself:
// D-Bus's machine-id must be a link to the node's /etc/machine-id, an
// /etc/fstab entry for "/" names the installer's device, which systemd would
// wait for, check and remount, and /tmp must be each node's own.
func fixRoot(r *cdsl.Repo, o Options, res *Result) error {
	if err := fixDBus(r, o, res); err != nil {
		return err
	}
	if err := fixFstab(r, o, res); err != nil {
		return err
	}
	if err := fixTmp(r, o, res); err != nil {
		return err
	}
	for _, p := range []string{"var/run", "var/lock"} {
		if r.FS().IsDir(p) && !r.FS().IsSymlink(p) {
			res.Skipped = append(res.Skipped, Outcome{Path: "/" + p,
				Note: "is a directory of the shared root, not a link into /run; every node would share it: make it a link (ln -sfn /run /var/run, /run/lock for /var/lock)"})
		}
	}
	return nil
}

// fixDBus makes /var/lib/dbus/machine-id a link to /etc/machine-id, as
// Debian and Fedora install it, when D-Bus's directory exists.
func fixDBus(r *cdsl.Repo, o Options, res *Result) error {
	const dir, name, target = "var/lib/dbus", "var/lib/dbus/machine-id", "/etc/machine-id"
	fs := r.FS()
	if !fs.IsDir(dir) {
		return nil
	}
	if fs.IsSymlink(name) {
		if t, err := fs.Readlink(name); err == nil && (t == target || t == "../../../etc/machine-id") {
			return nil
		}
	}
	what := "/" + name + " -> " + target + " (D-Bus reads the node's machine-id)"
	if o.DryRun {
		res.Fixed = append(res.Fixed, "would link "+what)
		return nil
	}
	if fs.Exists(name) || fs.IsSymlink(name) {
		if err := fs.Remove(name); err != nil {
			return fmt.Errorf("replace /%s by a link to %s: %w", name, target, err)
		}
	}
	if err := fs.Symlink(target, name); err != nil {
		return fmt.Errorf("link /%s to %s: %w", name, target, err)
	}
	res.Fixed = append(res.Fixed, "linked "+what)
	return nil
}

// fixFstab comments out the entries for "/" in /etc/fstab.
func fixFstab(r *cdsl.Repo, o Options, res *Result) error {
	const name = "etc/fstab"
	old, err := r.FS().ReadFile(name)
	if err != nil {
		return nil // no fstab: nothing to fix
	}
	updated, lines := commentRootEntries(old)
	if len(lines) == 0 {
		return nil
	}
	for _, l := range lines {
		verb := "commented out"
		if o.DryRun {
			verb = "would comment out"
		}
		res.Fixed = append(res.Fixed, fmt.Sprintf("/etc/fstab:%d: %s the root entry (the initrd mounts the shared root)", l, verb))
	}
	if o.DryRun {
		return nil
	}
	st, err := r.FS().Stat(name)
	if err != nil {
		return err
	}
	if err := r.FS().WriteFileAtomic(name, updated, st.Mode&0o7777); err != nil {
		return fmt.Errorf("rewrite /etc/fstab: %w", err)
	}
	return nil
}

// commentRootEntries comments out every fstab line that mounts "/" and
// returns the new text with the numbers of the lines changed.
func commentRootEntries(text []byte) ([]byte, []int) {
	lines := bytes.SplitAfter(text, []byte("\n"))
	var changed []int
	var b bytes.Buffer
	for i, l := range lines {
		f := strings.Fields(string(l))
		if len(f) >= 2 && !strings.HasPrefix(f[0], "#") && f[1] == "/" {
			b.WriteString(fstabNote)
			changed = append(changed, i+1)
		}
		b.Write(l)
	}
	return b.Bytes(), changed
}
