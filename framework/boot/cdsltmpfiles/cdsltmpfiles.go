// SPDX-License-Identifier: Apache-2.0

// Package cdsltmpfiles points systemd-tmpfiles at the node's own copy of a
// CDSL. On a shared root /var/log is a link into the CDSL link dir
// (../.cdsl.local/var/log); systemd-tmpfiles refuses to treat a link as the
// directory a "d /var/log" line declares ("already exists and is not a
// directory") and so never applies that line's mode or cleanup age. At
// boot the init writes, for every tmpfiles.d file with such lines, a copy
// into /run/tmpfiles.d (which takes precedence over /usr/lib/tmpfiles.d) in
// which every path at or below a CDSL link is spelled through the link dir
// (/.cdsl.local/var/log), where the node's tree is bound. Files an
// administrator overrides in /etc/tmpfiles.d are left alone.
//
// Usage, in the initrd with the root on /sysroot and its node tree bound:
//
//	files, err := cdsltmpfiles.Overrides("/sysroot", ".cdsl.local")
//	// write each file below the new root's /run
package cdsltmpfiles

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Dirs are where tmpfiles.d files live in the root, the vendor's last.
var Dirs = []string{"etc/tmpfiles.d", "usr/lib/tmpfiles.d", "lib/tmpfiles.d", "usr/local/lib/tmpfiles.d"}

// File is one override: Name is relative to /run ("tmpfiles.d/var.conf").
type File struct {
	Name string
	Data []byte
}

// Overrides returns the /run/tmpfiles.d files for the root at sysroot whose
// CDSL link dir is linkDir (relative to the root, e.g. ".cdsl.local").
func Overrides(sysroot, linkDir string) ([]File, error) {
	linkDir = "/" + strings.Trim(linkDir, "/")
	seen := map[string]bool{}
	shadowed := map[string]bool{}
	if names, err := confNames(filepath.Join(sysroot, "etc/tmpfiles.d")); err == nil {
		for _, n := range names {
			shadowed[n] = true
		}
	}
	r := &resolver{sysroot: sysroot, linkDir: linkDir, links: map[string]string{}}
	var out []File
	for _, dir := range Dirs[1:] {
		names, err := confNames(filepath.Join(sysroot, dir))
		if err != nil {
			continue
		}
		for _, n := range names {
			if shadowed[n] || seen[n] {
				continue
			}
			seen[n] = true
			p := filepath.Join(sysroot, dir, n)
			// A /lib → usr/lib merged root lists the same file twice.
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("tmpfiles.d: %w", err)
			}
			if rewritten, changed := r.rewrite(data, "/"+path.Join(dir, n)); changed {
				out = append(out, File{Name: "tmpfiles.d/" + n, Data: rewritten})
			}
		}
	}
	return out, nil
}

func confNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".conf") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

type resolver struct {
	sysroot, linkDir string
	links            map[string]string // path → its spelling through the link dir, "" if none
}

// rewrite returns data with the path of every line at or below a CDSL link
// spelled through the link dir, and whether any line changed.
func (r *resolver) rewrite(data []byte, from string) ([]byte, bool) {
	var b bytes.Buffer
	changed := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) >= 2 && !strings.HasPrefix(f[0], "#") && strings.HasPrefix(f[1], "/") {
			if np := r.through(f[1]); np != "" {
				i := strings.Index(line, f[1]) // the path is the second field: its first occurrence after the type
				line = line[:i] + np + line[i+len(f[1]):]
				changed = true
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	if !changed {
		return nil, false
	}
	head := fmt.Sprintf("# Written by the osr init at boot (docs/shared-root-os.md): %s with the paths\n"+
		"# at or below CDSL links spelled through %s, the node's own tree.\n", from, r.linkDir)
	return append([]byte(head), b.Bytes()...), true
}

// through returns p spelled through the link dir when p or one of its
// parents is a CDSL link, else "".
func (r *resolver) through(p string) string {
	comps := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
	for i := range comps {
		prefix := "/" + path.Join(comps[:i+1]...)
		if strings.ContainsAny(prefix, "%*?[") {
			return "" // specifiers and globs: nothing on disk to look at
		}
		if t := r.link(prefix); t != "" {
			return path.Join(append([]string{t}, comps[i+1:]...)...)
		}
	}
	return ""
}

// link returns where the link at p leads when it leads into the link dir.
func (r *resolver) link(p string) string {
	if t, ok := r.links[p]; ok {
		return t
	}
	t := ""
	if target, err := os.Readlink(filepath.Join(r.sysroot, p)); err == nil && !path.IsAbs(target) {
		if abs := path.Join(path.Dir(p), target); strings.HasPrefix(abs, r.linkDir+"/") {
			t = abs
		}
	}
	r.links[p] = t
	return t
}
