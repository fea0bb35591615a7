// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"

	"github.com/open-sharedroot/osr/framework/internal/unixmode"
	"github.com/open-sharedroot/osr/framework/listfile/distro"
)

// Kind is what an Item puts into the image.
type Kind string

// The item kinds.
const (
	// KindFile is a file copied from the root.
	KindFile Kind = "file"
	// KindBinary is an ELF executable or library copied from the root; the build
	// adds its shared-library closure.
	KindBinary Kind = "binary"
	// KindDir is a directory, created empty (its mode from the root, or Mode).
	KindDir Kind = "directory"
	// KindSymlink is a symbolic link ImagePath → Target.
	KindSymlink Kind = "symlink"
)

// Origin says what asked for an item: a listfile entry, or (for items that other
// parts of a build add) any other named source.
type Origin struct {
	// Source names the asker: a listfile name ("gfs2.hcl") or e.g. "driver gfs2".
	Source string `json:"source"`
	// Path is the listfile's host path; empty for other askers.
	Path string `json:"path,omitempty"`
	// Line is the line of the entry in Path; 0 when there is none.
	Line int `json:"line,omitempty"`
	// Entry is the entry as written, e.g. `binary "fsck.gfs2"`.
	Entry string `json:"entry,omitempty"`
}

// String gives "gfs2.hcl:12" (or just Source when there is no line).
func (o Origin) String() string {
	if o.Line > 0 {
		return fmt.Sprintf("%s:%d", o.Source, o.Line)
	}
	return o.Source
}

// Item is one thing to put into an image.
type Item struct {
	Kind Kind `json:"kind"`
	// ImagePath is where the item goes in the image.
	ImagePath string `json:"image_path"`
	// Source is the path in the root the item is read from ("" for directories
	// created from nothing and for symlinks).
	Source string `json:"source,omitempty"`
	// HostPath is where Source is read on the host (the root joined with Source, all
	// links already resolved inside the root).
	HostPath string `json:"host_path,omitempty"`
	// Target is a symlink's text.
	Target string `json:"target,omitempty"`
	// Mode is the permission of a directory when the entry sets it or creates the
	// directory from nothing; 0 means the mode of HostPath. JSON shows it in octal.
	Mode fs.FileMode `json:"-"`
	// Origin is what asked for the item.
	Origin Origin `json:"origin"`
}

// itemJSON is Item with its mode as an octal string ("0755").
type itemJSON struct {
	item
	Mode string `json:"mode,omitempty"`
}

type item Item // Item without its methods, so marshalling does not recurse

// MarshalJSON writes the item with its mode in octal.
func (it Item) MarshalJSON() ([]byte, error) {
	j := itemJSON{item: item(it)}
	if it.Mode != 0 {
		j.Mode = fmt.Sprintf("%04o", unixmode.ToUnix(it.Mode))
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (it *Item) UnmarshalJSON(b []byte) error {
	var j itemJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*it = Item(j.item)
	if j.Mode != "" {
		var m uint32
		if _, err := fmt.Sscanf(j.Mode, "%o", &m); err != nil {
			return fmt.Errorf("item %s: mode %q: %w", it.ImagePath, j.Mode, err)
		}
		it.Mode = unixmode.FromUnix(m)
	}
	return nil
}

// Missing is an entry (or a file of a package) that the root does not have.
type Missing struct {
	Origin Origin `json:"origin"`
	// What names the missing thing, e.g. "binary fsck.gfs2".
	What string `json:"what"`
	// Reason says what was looked for and where.
	Reason string `json:"reason"`
	// Hint says what to install or do.
	Hint string `json:"hint,omitempty"`
}

func (m Missing) String() string {
	s := fmt.Sprintf("%s: %s: %s", m.Origin, m.What, m.Reason)
	if m.Hint != "" {
		s += "; " + m.Hint
	}
	return s
}

// Skipped is an entry or listfile left out by its conditions.
type Skipped struct {
	Origin Origin `json:"origin"`
	// Why names the condition that does not hold.
	Why string `json:"why"`
}

// ListfileUse says whether a listfile took part in a resolution.
type ListfileUse struct {
	Name      string   `json:"name"`
	Path      string   `json:"path"`
	Overrides []string `json:"overrides,omitempty"`
	// Taken is false when the listfile was masked, on request and not requested,
	// or its file-wide condition did not hold (Why says which).
	Taken bool   `json:"taken"`
	Why   string `json:"why,omitempty"`
}

// Report is what a resolution found besides the items.
type Report struct {
	Root      string        `json:"root"`
	Distro    distro.Distro `json:"distro"`
	Arch      string        `json:"arch"`
	Driver    string        `json:"driver,omitempty"`
	FSType    string        `json:"fstype,omitempty"`
	PackageDB string        `json:"package_db,omitempty"`
	Listfiles []ListfileUse `json:"listfiles"`
	// Optional lists optional entries that the root does not have, and files that
	// a package lists but the root lacks.
	Optional []Missing `json:"optional_missing,omitempty"`
	// Skipped lists entries whose conditions did not hold.
	Skipped []Skipped `json:"skipped,omitempty"`
	// Notes holds anything else worth telling, e.g. special files left out of a copied tree.
	Notes []string `json:"notes,omitempty"`
}

// MissingError is returned by Resolve when required entries are missing.
type MissingError struct {
	Missing []Missing
}

func (e *MissingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d required listfile entr%s missing:", len(e.Missing), plural(len(e.Missing), "y", "ies"))
	for _, m := range e.Missing {
		b.WriteString("\n  " + m.String())
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
