// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/cdsl/cdsltab"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
)

// mountFunc is mount(2); tests replace it.
type mountFunc func(source, target, fstype string, flags uintptr, data string) error

// cdslBinder binds the node's CDSL tree onto the link dir and mounts the
// cdsltab entries marked for the initrd. Paths in the root are resolved inside
// it (a symlink such as /var/run -> /run names the root's /run, never the
// initrd's).
type cdslBinder struct {
	mount mountFunc
	sleep func(time.Duration)
}

func newCDSLBinder() cdslBinder { return cdslBinder{mount: unix.Mount, sleep: time.Sleep} }

// Bind bind-mounts (recursively) the node's directory of the root's CDSL tree
// onto the link dir. With o.Tree the node's directory is taken from that
// mount of the shared root instead (the layout read there), and with
// o.Writable the bind is made read-write although o.Tree is read-only.
func (b cdslBinder) Bind(_ context.Context, root string, node boot.Node, o boot.BindOptions) (string, error) {
	fsys, err := rootfs.Open(root)
	if err != nil {
		return "", err
	}
	defer fsys.Close()
	tree := fsys
	if o.Tree != "" {
		if tree, err = rootfs.Open(o.Tree); err != nil {
			return "", err
		}
		defer tree.Close()
	}
	lay, _, err := inventory.Locate(tree, "", "")
	if err != nil {
		return "", fmt.Errorf("find the CDSL layout on %s: %w (a root without CDSLs needs no bind; create the inventory with osr cdsl init)", tree.Path(), err)
	}
	key := lay.NodeKey(node.ID, node.Name)
	if key == "" {
		how := "node names"
		if lay.UseNodeIDs {
			how = "node ids"
		}
		return "", fmt.Errorf("the inventory %s names node directories by %s, and %s lacks one; boot with nodeid= and nodename=", tree.HostPath(lay.Physical), how, node)
	}
	dir := lay.NodeDirName(key)
	src, err := tree.Resolve(lay.NodeDir(dir), nil)
	if err != nil {
		return "", fmt.Errorf("resolve the CDSL tree of %s: %w", node, err)
	}
	if !tree.IsDir(src) {
		return "", fmt.Errorf("%s has no CDSL tree %s; add the node with osr cdsl nodes add %s", node, tree.HostPath(lay.NodeDir(dir)), key)
	}
	dst, err := fsys.Resolve(lay.LinkDir(), nil)
	if err != nil {
		return "", fmt.Errorf("resolve the link dir: %w", err)
	}
	if _, err := fsys.MkdirAll(dst, 0o755); err != nil {
		return "", fmt.Errorf("create the link dir %s: %w", fsys.HostPath(dst), err)
	}
	hsrc, hdst := tree.HostPath(src), fsys.HostPath(dst)
	if err := b.mount(hsrc, hdst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return "", fmt.Errorf("bind %s on %s: %w", hsrc, hdst, err)
	}
	if o.Writable {
		if err := b.mount("", hdst, "", unix.MS_REMOUNT|unix.MS_BIND, ""); err != nil {
			return "", fmt.Errorf("make the bind of %s on %s writable: %w (is the shared filesystem mounted read-only? then boot without ro)", hsrc, hdst, err)
		}
		return fmt.Sprintf("bound %s on %s, writable", hsrc, hdst), nil
	}
	return fmt.Sprintf("bound %s on %s", hsrc, hdst), nil
}

// MountTab mounts the node's extra filesystems (com_info/filesystems) or,
// when it has none, the entries of the root's /etc/cdsltab marked __initrd:
// the originals' init read cdsltab only when the cluster configuration named
// no filesystems. Entries are mounted in order, each tried MountTimes times
// MountWait seconds apart. A CDSL filesystem's own cdsltab line is left for
// the running system, which binds its tree after it mounts it.
func (b cdslBinder) MountTab(_ context.Context, root string, node boot.Node) ([]string, error) {
	fsys, err := rootfs.Open(root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	vars := map[string]string{"nodeid": strconv.Itoa(node.ID), "nodename": node.Name}
	if len(node.Filesystems) > 0 {
		// The originals' cluster.conf filled in the node id as %(param0)s.
		vars["param0"] = vars["nodeid"]
		var list []mountEntry
		for _, f := range node.Filesystems {
			e := cdsltab.Entry{FSType: f.FSType, Source: f.Source, Dest: f.Dest, Options: splitOpts(f.MountOpts),
				MountTimes: f.MountTimes, MountWait: f.MountWait}
			x, err := e.Expand(vars)
			if err != nil {
				return nil, fmt.Errorf("the filesystem at %s: %w", f.Where, err)
			}
			list = append(list, mountEntry{Entry: x, where: "the filesystem at " + f.Where})
		}
		return b.mountAll(fsys, list)
	}
	file := fsys.HostPath(cdsltab.DefaultPath)
	entries, err := cdsltab.ReadFile(file)
	if err != nil {
		return nil, err
	}
	tab, err := cdsltab.ForInitrd(entries, vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var list []mountEntry
	for _, e := range tab {
		if !e.CDSLFilesystem {
			list = append(list, mountEntry{Entry: e, where: fmt.Sprintf("%s line %d", file, e.Line)})
		}
	}
	return b.mountAll(fsys, list)
}

// mountEntry is a mount to do and where it was written.
type mountEntry struct {
	cdsltab.Entry
	where string
}

// mountAll mounts list in order and describes each mount done.
func (b cdslBinder) mountAll(fsys *rootfs.FS, list []mountEntry) ([]string, error) {
	var done []string
	for _, e := range list {
		where := e.where
		if e.Dest == "" {
			return done, fmt.Errorf("%s: no destination (dest)", where)
		}
		dst, err := inRoot(fsys, e.Dest)
		if err != nil {
			return done, fmt.Errorf("%s: %w", where, err)
		}
		var flags uintptr
		fstype, src := e.FSType, e.Source
		if e.Bind() {
			flags, fstype = unix.MS_BIND, ""
			if e.FSType == "rbind" {
				flags |= unix.MS_REC
			}
			if src, err = inRoot(fsys, e.Source); err != nil {
				return done, fmt.Errorf("%s: %w", where, err)
			}
		}
		data := strings.Join(e.Options, ",")
		var last error
		for try := 0; try < max(e.MountTimes, 1); try++ {
			if try > 0 {
				b.sleep(time.Duration(e.MountWait) * time.Second)
			}
			if last = b.mount(src, dst, fstype, flags, data); last == nil {
				break
			}
		}
		if last != nil {
			return done, fmt.Errorf("%s: mount %s on %s (type %q, options %q, %d tries): %w", where, src, dst, e.FSType, data, max(e.MountTimes, 1), last)
		}
		done = append(done, fmt.Sprintf("%s on %s (%s)", src, dst, where))
	}
	return done, nil
}

// splitOpts splits comma-separated mount options; "defaults" is none.
func splitOpts(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o != "" && o != "defaults" {
			out = append(out, o)
		}
	}
	return out
}

// inRoot returns the host path of name with every symlink on the way followed
// inside the root.
func inRoot(fsys *rootfs.FS, name string) (string, error) {
	p, err := fsys.Resolve(name, nil)
	if err != nil {
		return "", fmt.Errorf("resolve %s in %s: %w", name, fsys.Path(), err)
	}
	return fsys.HostPath(p), nil
}
