// SPDX-License-Identifier: Apache-2.0

package image

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Kind is the type of an archive entry.
type Kind uint8

// The kinds of entry an initrd holds.
const (
	File Kind = iota + 1
	Dir
	Symlink
	CharDevice
	BlockDevice
	Fifo
)

var kindNames = map[Kind]string{
	File: "file", Dir: "directory", Symlink: "symlink",
	CharDevice: "character device", BlockDevice: "block device", Fifo: "fifo",
}

// String names the kind for messages.
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Entry is one thing to put into the image.
type Entry struct {
	// Path is where the entry appears in the image ("usr/bin/osr" or "/usr/bin/osr").
	Path string
	Kind Kind
	// Mode holds the permission bits, with fs.ModeSetuid, fs.ModeSetgid and
	// fs.ModeSticky where wanted. Zero means: the source file's bits for a file
	// with Source, else 0644 for files, 0755 for directories, 0777 for symlinks
	// and 0600 for devices and fifos.
	Mode fs.FileMode
	// UID and GID own the entry; both are 0 unless set.
	UID, GID int
	// Source is a host file whose content a File gets. It is opened (following
	// symlinks) only while the image is written.
	Source string
	// Data is a File's content when Source is empty.
	Data []byte
	// Target is a Symlink's target, stored as given.
	Target string
	// Major and Minor are a device's numbers.
	Major, Minor uint32
	// Secret marks content only root may read (a cluster configuration holding
	// fence passwords): the entry gets mode 0600 whatever Mode or the source says.
	Secret bool
	// Origin says who asked for the entry ("listfile base.hcl", "driver gfs2");
	// it appears in error messages about conflicting entries.
	Origin string
	// Segment names the part of the image the entry is stored in: every
	// segment is a cpio archive of its own (with the directories above its
	// entries), compressed on its own and cached on its own (Options.Cache),
	// and the image is the segments concatenated, which the kernel unpacks one
	// after the other. "" is the default segment.
	Segment string

	statSize int64 // Source's size when the image is planned
}

// describe says what an entry is and where it came from, for messages.
func (e *Entry) describe() string {
	var what string
	switch {
	case e.Kind == File && e.Source != "":
		what = "file from " + e.Source
	case e.Kind == File:
		what = fmt.Sprintf("generated file (%d bytes)", len(e.Data))
	case e.Kind == Symlink:
		what = "symlink to " + e.Target
	case e.Kind == CharDevice || e.Kind == BlockDevice:
		what = fmt.Sprintf("%s %d:%d", e.Kind, e.Major, e.Minor)
	default:
		what = e.Kind.String()
	}
	if e.Origin != "" {
		return what + " (" + e.Origin + ")"
	}
	return what
}

// ErrConflict is returned when two entries claim one path with different contents
// or metadata.
var ErrConflict = errors.New("conflicting entries")

// Archive collects entries for an initrd. Parent directories are created as
// needed; adding the same entry twice keeps one; identical file contents are
// stored once and linked. The zero value is not usable; call NewArchive.
// An Archive is not safe for concurrent use.
type Archive struct {
	entries map[string]*node
	segment string // the segment of entries added without one
}

// node is an entry at its place in the archive; alternates holds further files
// added at the same path whose contents are compared when the image is written.
type node struct {
	Entry
	implicit   bool // a parent directory nobody added explicitly
	alternates []*Entry
}

// NewArchive returns an empty archive.
func NewArchive() *Archive {
	return &Archive{entries: map[string]*node{}}
}

// Segment returns a view of the archive that adds every entry without a
// Segment of its own to the segment name. The view and a share their entries.
func (a *Archive) Segment(name string) *Archive {
	return &Archive{entries: a.entries, segment: name}
}

// Len returns the number of entries, parent directories included.
func (a *Archive) Len() int { return len(a.entries) }

// AddFile adds the host file src at dst. mode 0 keeps src's permission bits.
func (a *Archive) AddFile(dst, src string, mode fs.FileMode) error {
	return a.Add(Entry{Path: dst, Kind: File, Source: src, Mode: mode})
}

// AddBytes adds a file with the given content at dst.
func (a *Archive) AddBytes(dst string, data []byte, mode fs.FileMode) error {
	return a.Add(Entry{Path: dst, Kind: File, Data: data, Mode: mode})
}

// AddDir adds a directory.
func (a *Archive) AddDir(dst string, mode fs.FileMode) error {
	return a.Add(Entry{Path: dst, Kind: Dir, Mode: mode})
}

// AddSymlink adds a symlink at dst pointing to target.
func (a *Archive) AddSymlink(dst, target string) error {
	return a.Add(Entry{Path: dst, Kind: Symlink, Target: target})
}

// AddDevice adds a character or block device node (kind CharDevice or BlockDevice).
func (a *Archive) AddDevice(dst string, kind Kind, major, minor uint32, mode fs.FileMode) error {
	return a.Add(Entry{Path: dst, Kind: kind, Major: major, Minor: minor, Mode: mode})
}

// Add adds e, creating its parent directories. An entry equal to one already at
// its path is dropped; a different one is an error wrapping ErrConflict that
// names both. Two files at one path from different sources are compared by
// content when the image is written.
func (a *Archive) Add(e Entry) error {
	p, err := cleanPath(e.Path)
	if err != nil {
		return err
	}
	e.Path = p
	if e.Segment == "" {
		e.Segment = a.segment
	}
	if err := validate(&e); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return a.insert(&e, false)
}

// insert places e (already validated, with a clean path) and its parents.
func (a *Archive) insert(e *Entry, implicit bool) error {
	if old, ok := a.entries[e.Path]; ok {
		if err := old.merge(e, implicit); err != nil {
			return err
		}
	} else {
		a.entries[e.Path] = &node{Entry: *e, implicit: implicit}
	}
	parent := path.Dir(e.Path)
	if parent == "." {
		return nil
	}
	if n, ok := a.entries[parent]; ok && (n.Kind == Dir || n.Kind == Symlink) {
		return nil // a symlinked parent is resolved when the image is written
	}
	return a.insert(&Entry{Path: parent, Kind: Dir, Mode: 0o755, Origin: "parent of " + e.Path}, true)
}

// merge folds e, added at n's path, into n.
func (n *node) merge(e *Entry, implicit bool) error {
	switch {
	case implicit && n.Kind == Dir, implicit && n.Kind == Symlink:
		return nil
	case n.implicit && (e.Kind == Dir || e.Kind == Symlink):
		// An explicit directory replaces an implied one; a symlink replaces it too,
		// and what was put below it moves to the link's target.
		n.Entry, n.implicit = *e, false
		return nil
	}
	// A file's mode 0 means "the source's bits"; those are compared once known.
	modeKnown := !(e.Kind == File && (n.Mode == 0 || e.Mode == 0))
	if n.Kind != e.Kind || n.UID != e.UID || n.GID != e.GID || (modeKnown && n.Mode != e.Mode) || n.Secret != e.Secret {
		return n.conflict(e)
	}
	switch e.Kind {
	case Symlink:
		if n.Target != e.Target {
			return n.conflict(e)
		}
	case CharDevice, BlockDevice:
		if n.Major != e.Major || n.Minor != e.Minor {
			return n.conflict(e)
		}
	case File:
		if n.Mode == e.Mode && sameSource(&n.Entry, e) {
			return nil
		}
		for _, alt := range n.alternates {
			if alt.Mode == e.Mode && sameSource(alt, e) {
				return nil
			}
		}
		n.alternates = append(n.alternates, e)
	}
	return nil
}

func (n *node) conflict(e *Entry) error {
	return fmt.Errorf("%w at %s: %s, mode %04o, owner %d:%d; and %s, mode %04o, owner %d:%d",
		ErrConflict, n.Path, n.describe(), cpioMode(&n.Entry)&modePermMask, n.UID, n.GID,
		e.describe(), cpioMode(e)&modePermMask, e.UID, e.GID)
}

// sameSource reports whether two files certainly have the same content without
// reading them.
func sameSource(a, b *Entry) bool {
	if a.Source != "" || b.Source != "" {
		return a.Source == b.Source
	}
	return string(a.Data) == string(b.Data)
}

// cleanPath turns an image path into the archive's form: relative to the image
// root, no "." or ".." components, no trailing slash.
func cleanPath(p string) (string, error) {
	orig := p
	p = strings.TrimLeft(p, "/")
	if p == "" || p == "." {
		return "", fmt.Errorf("image path %q names the image root, which always exists", orig)
	}
	for _, part := range strings.Split(strings.TrimRight(p, "/"), "/") {
		if part == ".." {
			return "", fmt.Errorf("image path %q contains \"..\"; give the path inside the image", orig)
		}
	}
	c := path.Clean(p)
	if len(c)+1 > maxNameLen {
		return "", fmt.Errorf("image path %q is longer than %d bytes", orig, maxNameLen-1)
	}
	if strings.ContainsRune(c, 0) {
		return "", fmt.Errorf("image path %q contains a NUL byte", orig)
	}
	return c, nil
}

// validate checks e's fields against its kind and fills in the default mode.
func validate(e *Entry) error {
	if e.Mode&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		return fmt.Errorf("mode %v has type bits; set Kind instead", e.Mode)
	}
	if e.UID < 0 || e.GID < 0 || uint64(e.UID) > 1<<32-1 || uint64(e.GID) > 1<<32-1 {
		return fmt.Errorf("owner %d:%d is out of range", e.UID, e.GID)
	}
	hasContent := e.Source != "" || e.Data != nil
	switch e.Kind {
	case File:
		if e.Source != "" && e.Data != nil {
			return errors.New("a file takes Source or Data, not both")
		}
		if e.Mode == 0 && e.Source == "" {
			e.Mode = 0o644
		}
	case Dir, Fifo, CharDevice, BlockDevice:
		if hasContent || e.Target != "" {
			return fmt.Errorf("a %s has no content or target", e.Kind)
		}
		if e.Mode == 0 {
			e.Mode = 0o600
			if e.Kind == Dir {
				e.Mode = 0o755
			}
		}
	case Symlink:
		if e.Target == "" {
			return errors.New("symlink has no target")
		}
		if hasContent {
			return errors.New("a symlink has a target, not content")
		}
		if len(e.Target) > maxNameLen-1 {
			return fmt.Errorf("symlink target is longer than %d bytes", maxNameLen-1)
		}
		if e.Mode == 0 {
			e.Mode = 0o777
		}
	default:
		return fmt.Errorf("unknown kind %d", e.Kind)
	}
	if e.Kind != CharDevice && e.Kind != BlockDevice && (e.Major != 0 || e.Minor != 0) {
		return fmt.Errorf("a %s has no device numbers", e.Kind)
	}
	if e.Secret {
		if e.Kind != File {
			return fmt.Errorf("only files can be secret, not a %s", e.Kind)
		}
		e.Mode = 0o600
	}
	return nil
}
