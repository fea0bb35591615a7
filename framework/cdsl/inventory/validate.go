// SPDX-License-Identifier: Apache-2.0

package inventory

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrLayout is wrapped by every error about an unsafe or malformed layout.
var ErrLayout = errors.New("unsafe CDSL layout")

// ErrName is wrapped by every error about a name the inventory cannot hold.
var ErrName = errors.New("unusable name")

// NameMax is the longest file name (one path component) Linux filesystems take.
const NameMax = 255

// SystemDirs are the top directories of an installed system. The layout's own
// directories (tree, shared tree, link dir) never lie in one of them or are one:
// a node tree at "etc" or a link dir at "." would let CDSL operations replace or
// delete the system's files.
var SystemDirs = []string{
	"bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32", "lost+found",
	"media", "mnt", "opt", "proc", "root", "run", "sbin", "snap", "srv", "sys", "tmp", "usr", "var",
}

func isSystemDir(name string) bool {
	for _, d := range SystemDirs {
		if name == d {
			return true
		}
	}
	return false
}

// LayoutError is one rejected setting: which, its value, what is wrong and what
// to do.
type LayoutError struct {
	// Setting names the setting as the inventory and the flags of osr cdsl init
	// call it ("tree (--tree)").
	Setting string
	Value   string
	Problem string
	Fix     string
}

func (e *LayoutError) Error() string {
	return fmt.Sprintf("%s %q: %s; %s", e.Setting, e.Value, e.Problem, e.Fix)
}

func (e *LayoutError) Unwrap() error { return ErrLayout }

// The settings as messages name them: the inventory attribute and the flag of
// osr cdsl init.
const (
	settingTree       = "tree (--tree)"
	settingShared     = "shared tree (sharedtree, --shared-tree)"
	settingLink       = "link dir (link, --link)"
	settingDefault    = "default dir (default_dir, --default-dir)"
	settingPrefix     = "node prefix (node_prefix, --node-prefix)"
	settingExpand     = "expand string (expandstring)"
	settingMountpoint = "mountpoint (mountpoint, -m)"
	settingInventory  = "inventory (--inventory)"
	settingRepository = "sub-repository (<repository path>)"
	settingResource   = "sub-repository inventory (<repository resource>)"
)

// CheckName returns an error wrapping ErrName unless name can be a file name the
// inventory holds: valid UTF-8, no control characters, only characters XML can
// carry, not "." or "..", no "/", at most NameMax bytes.
func CheckName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s", ErrName, name, why)
	}
	switch {
	case name == "":
		return bad("it is empty")
	case name == "." || name == "..":
		return bad("it names a directory itself, not an entry in it")
	case strings.Contains(name, "/"):
		return bad("it holds a slash")
	case len(name) > NameMax:
		return bad(fmt.Sprintf("it is %d bytes long; a file name has at most %d", len(name), NameMax))
	case !utf8.ValidString(name):
		return bad("it is not valid UTF-8 (the inventory is XML, which holds only Unicode text); rename it")
	}
	for _, r := range name {
		if !xmlChar(r) || r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return bad(fmt.Sprintf("it holds the control character %U, which the inventory cannot hold; rename it", r))
		}
	}
	return nil
}

// CheckPath checks every component of the slash-separated relative path p with
// CheckName.
func CheckPath(p string) error {
	if p == "" {
		return fmt.Errorf("%w: an empty path", ErrName)
	}
	for _, c := range strings.Split(p, "/") {
		if err := CheckName(c); err != nil {
			return fmt.Errorf("path %q: %w", p, err)
		}
	}
	return nil
}

// xmlChar reports whether r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0a || r == 0x0d ||
		r >= 0x20 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
}

// relPath checks that p is a clean relative path inside the root: not empty
// (unless empty is allowed), not the root itself, no "." or ".." components, no
// leading slash, each component a usable name.
func relPath(setting, p string, allowEmpty bool) *LayoutError {
	e := func(problem, fix string) *LayoutError {
		return &LayoutError{Setting: setting, Value: p, Problem: problem, Fix: fix}
	}
	switch {
	case p == "" && allowEmpty:
		return nil
	case p == "":
		return e("it is empty", "give a directory below the root")
	case strings.HasPrefix(p, "/"):
		return e("it is absolute", "give it relative to the root of the CDSL filesystem, without a leading slash")
	}
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "":
			return e("it has an empty component (a doubled or trailing slash)", "write it without them")
		case ".":
			return e("it has a \".\" component (it names the root or a directory already named)", "give a directory below the root, such as .cluster/cdsl")
		case "..":
			return e("it climbs out with \"..\"", "give a path inside the root, without \"..\"")
		}
		if err := CheckName(c); err != nil {
			return e(err.Error(), "use a plain name")
		}
	}
	return nil
}

// plainName checks a setting that is one name fragment (default dir, node prefix,
// expand string).
func plainName(setting, v string, allowEmpty bool) *LayoutError {
	return fragment(setting, v, allowEmpty, false)
}

// fragment is plainName; allowDot accepts a leading dot (the expand string is
// ".cdsl" by design).
func fragment(setting, v string, allowEmpty, allowDot bool) *LayoutError {
	e := func(problem, fix string) *LayoutError {
		return &LayoutError{Setting: setting, Value: v, Problem: problem, Fix: fix}
	}
	switch {
	case v == "" && allowEmpty:
		return nil
	case v == "":
		return e("it is empty", "give a plain name")
	case strings.Contains(v, "/"):
		return e("it holds a slash", "give a plain name without a slash")
	case v == "." || v == "..":
		return e("it names a directory itself", "give a plain name")
	case strings.HasPrefix(v, ".") && !allowDot:
		return e("it starts with a dot, and osr skips hidden names in the tree (its own backups)", "give a name without a leading dot")
	}
	if err := CheckName(v); err != nil {
		return e(err.Error(), "use a plain name")
	}
	return nil
}

// within reports whether p is q or lies below it.
func within(p, q string) bool { return p == q || strings.HasPrefix(p, q+"/") }

// Validate checks the layout settings: the tree, the shared tree and the link dir
// are clean relative paths inside the root, disjoint from each other (none inside
// another) and from the system's own directories (SystemDirs); the default dir,
// the node prefix and the expand string are plain name fragments; the default dir
// cannot be taken for a node's directory; the mountpoint is a clean relative path
// or empty. Every rejected value is named, with what to do, in one error that
// wraps ErrLayout.
func (s Settings) Validate() error {
	var errs []error
	add := func(e *LayoutError) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	dirs := []struct{ setting, value string }{{settingTree, s.Tree}, {settingShared, s.SharedTree}, {settingLink, s.Link}}
	clean := map[string]bool{}
	for _, d := range dirs {
		if e := relPath(d.setting, d.value, false); e != nil {
			add(e)
			continue
		}
		top := strings.SplitN(d.value, "/", 2)[0]
		if isSystemDir(top) {
			add(&LayoutError{Setting: d.setting, Value: d.value,
				Problem: fmt.Sprintf("it lies in the system directory /%s, which CDSL operations would change", top),
				Fix:     "give a directory of its own at the top of the root, such as .cluster/cdsl, .cluster/shared or .cdsl.local"})
			continue
		}
		clean[d.setting] = true
	}
	for i, a := range dirs {
		for _, b := range dirs[i+1:] {
			if !clean[a.setting] || !clean[b.setting] {
				continue
			}
			switch {
			case a.value == b.value:
				add(&LayoutError{Setting: b.setting, Value: b.value, Problem: "it is the same directory as the " + a.setting,
					Fix: "give each its own directory (the defaults are .cluster/cdsl, .cluster/shared and .cdsl.local)"})
			case within(a.value, b.value):
				add(&LayoutError{Setting: a.setting, Value: a.value, Problem: fmt.Sprintf("it lies inside the %s %q", b.setting, b.value),
					Fix: "give directories that do not contain each other (the defaults are .cluster/cdsl, .cluster/shared and .cdsl.local)"})
			case within(b.value, a.value):
				add(&LayoutError{Setting: b.setting, Value: b.value, Problem: fmt.Sprintf("it lies inside the %s %q", a.setting, a.value),
					Fix: "give directories that do not contain each other (the defaults are .cluster/cdsl, .cluster/shared and .cdsl.local)"})
			}
		}
	}
	if e := plainName(settingDefault, s.DefaultDir, false); e != nil {
		add(e)
	} else if s.UseNodeIDs && looksLikeNodeID(s.DefaultDir, s.NodePrefix) {
		add(&LayoutError{Setting: settingDefault, Value: s.DefaultDir,
			Problem: "it is also the directory name of a node id, so that node's tree would be the template",
			Fix:     "give a name that is no node id, such as default"})
	}
	add(plainName(settingPrefix, s.NodePrefix, true))
	add(fragment(settingExpand, s.ExpandString, false, true))
	add(relPath(settingMountpoint, s.Mountpoint, true))
	return errors.Join(errs...)
}

// looksLikeNodeID reports whether dir is prefix followed by a decimal number.
func looksLikeNodeID(dir, prefix string) bool {
	rest, ok := strings.CutPrefix(dir, prefix)
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ValidateFile checks the inventory's name (relative to the CDSL filesystem): a
// clean relative path, not a system directory itself, and not inside the tree,
// the shared tree or the link dir.
func (s Settings) ValidateFile(file string) error {
	if e := relPath(settingInventory, file, false); e != nil {
		return e
	}
	if isSystemDir(file) {
		return &LayoutError{Setting: settingInventory, Value: file, Problem: "it is a system directory",
			Fix: "name a file, such as .cdsl_inventory.xml"}
	}
	for _, d := range []struct{ setting, value string }{{settingTree, s.Tree}, {settingShared, s.SharedTree}, {settingLink, s.Link}} {
		if d.value != "" && within(file, d.value) {
			return &LayoutError{Setting: settingInventory, Value: file, Problem: fmt.Sprintf("it lies inside the %s %q", d.setting, d.value),
				Fix: "keep it outside the CDSL directories, such as .cdsl_inventory.xml"}
		}
	}
	return nil
}

// ValidateRepositories checks the sub-repositories: each a clean relative path
// and a clean relative inventory name, none inside the layout's directories,
// none twice.
func (inv *Inventory) ValidateRepositories() error {
	var errs []error
	s := inv.Settings
	seen := map[string]bool{}
	for _, r := range inv.Repositories {
		p := strings.Trim(r.Path, "/")
		if e := relPath(settingRepository, p, false); e != nil {
			errs = append(errs, e)
			continue
		}
		if e := relPath(settingResource, r.Resource, false); e != nil {
			errs = append(errs, e)
		}
		for _, d := range []struct{ setting, value string }{{settingTree, s.Tree}, {settingShared, s.SharedTree}, {settingLink, s.Link}} {
			if d.value != "" && (within(p, d.value) || within(d.value, p)) {
				errs = append(errs, &LayoutError{Setting: settingRepository, Value: p,
					Problem: fmt.Sprintf("it overlaps the %s %q", d.setting, d.value),
					Fix:     "mount other CDSL filesystems outside the CDSL directories"})
			}
		}
		if seen[p] {
			errs = append(errs, &LayoutError{Setting: settingRepository, Value: p, Problem: "it is listed twice", Fix: "remove one of the entries"})
		}
		seen[p] = true
	}
	return errors.Join(errs...)
}
