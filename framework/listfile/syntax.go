// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/open-sharedroot/osr/framework/listfile/arch"
)

// EntryKind is the kind of an entry (a block) in a listfile.
type EntryKind string

// The entry kinds, named as their blocks.
const (
	EntryFile      EntryKind = "file"
	EntryBinary    EntryKind = "binary"
	EntryDirectory EntryKind = "directory"
	EntrySymlink   EntryKind = "symlink"
	EntryPackage   EntryKind = "package"
)

// Condition limits entries to some builds. Each non-empty list must hold the
// build's value (any of the list); all non-empty lists must hold (all of them).
type Condition struct {
	// Distro names distributions by ID or ID_LIKE ("debian" matches Ubuntu too).
	Distro []string
	// Driver names osr drivers ("gfs2").
	Driver []string
	// FSType names root filesystem types ("gfs2", "nfs4").
	FSType []string
	// Arch names architectures in canonical (Go) spelling; any spelling is accepted in the file.
	Arch []string
	// Range is where the condition was declared.
	Range hcl.Range
}

// Entry is one thing a listfile asks for.
type Entry struct {
	Kind EntryKind
	// Name is the block's label: a path, a binary name or a package name.
	Name string
	// Dest is the path in the image when it differs from the path in the root.
	Dest string
	// Optional entries may be missing; they are then reported, not fatal.
	Optional bool
	// ProvidedBy names the packages that ship the entry, for "what to install"
	// hints, by distribution ID; the key "" holds names for any distribution.
	ProvidedBy map[string][]string
	// Contents (directories) copies the whole tree instead of creating an empty directory.
	Contents bool
	// Mode (directories) is the mode of a directory created from nothing; 0 means 0755.
	Mode fs.FileMode
	// Target (symlinks) is the link's text.
	Target string
	// Include and Exclude (packages) are patterns that filter the package's files.
	Include, Exclude []string
	// DefaultExcludes (packages) drops documentation, manuals and translations.
	DefaultExcludes bool
	// When holds the conditions of the enclosing when blocks, outermost first.
	When []Condition
	// Range is the block's header, e.g. `binary "fsck.gfs2"`.
	Range hcl.Range
}

// Title names the entry as written, e.g. `binary "fsck.gfs2"`.
func (e *Entry) Title() string { return fmt.Sprintf("%s %q", e.Kind, e.Name) }

var conditionAttrs = []hcl.AttributeSchema{{Name: "distro"}, {Name: "driver"}, {Name: "fstype"}, {Name: "arch"}}

var entryBlocks = []hcl.BlockHeaderSchema{
	{Type: "when"},
	{Type: string(EntryFile), LabelNames: []string{"path"}},
	{Type: string(EntryBinary), LabelNames: []string{"name"}},
	{Type: string(EntryDirectory), LabelNames: []string{"path"}},
	{Type: string(EntrySymlink), LabelNames: []string{"path"}},
	{Type: string(EntryPackage), LabelNames: []string{"name"}},
}

var topSchema = &hcl.BodySchema{
	Blocks: append([]hcl.BlockHeaderSchema{{Type: "listfile"}}, entryBlocks...),
}

var headerSchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{{Name: "description"}, {Name: "on_request"}}, conditionAttrs...),
}

var whenSchema = &hcl.BodySchema{Attributes: conditionAttrs, Blocks: entryBlocks}

// entrySchemas lists the attributes each entry kind accepts.
var entrySchemas = map[EntryKind]*hcl.BodySchema{
	EntryFile:      {Attributes: []hcl.AttributeSchema{{Name: "dest"}, {Name: "optional"}, {Name: "provided_by"}}},
	EntryBinary:    {Attributes: []hcl.AttributeSchema{{Name: "dest"}, {Name: "optional"}, {Name: "provided_by"}}},
	EntryDirectory: {Attributes: []hcl.AttributeSchema{{Name: "dest"}, {Name: "optional"}, {Name: "provided_by"}, {Name: "contents"}, {Name: "mode"}}},
	EntrySymlink:   {Attributes: []hcl.AttributeSchema{{Name: "target", Required: true}}},
	EntryPackage:   {Attributes: []hcl.AttributeSchema{{Name: "optional"}, {Name: "include"}, {Name: "exclude"}, {Name: "default_excludes"}}},
}

// decodeFile decodes a parsed listfile body into lf.
func decodeFile(body hcl.Body, lf *Listfile) hcl.Diagnostics {
	content, diags := body.Content(topSchema)
	var seenHeader *hcl.Block
	for _, b := range content.Blocks {
		if b.Type != "listfile" {
			continue
		}
		if seenHeader != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate listfile block",
				Detail:   fmt.Sprintf("A listfile has at most one listfile block; the first is at %s. Merge them.", seenHeader.DefRange),
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		seenHeader = b
		diags = append(diags, decodeHeader(b, lf)...)
	}
	diags = append(diags, decodeEntries(content.Blocks, nil, lf)...)
	return diags
}

func decodeHeader(b *hcl.Block, lf *Listfile) hcl.Diagnostics {
	content, diags := b.Body.Content(headerSchema)
	if a := content.Attributes["description"]; a != nil {
		diags = append(diags, decodeString(a, &lf.Description)...)
	}
	if a := content.Attributes["on_request"]; a != nil {
		diags = append(diags, decodeBool(a, &lf.OnRequest)...)
	}
	cond, cdiags := decodeCondition(content.Attributes, b.DefRange)
	diags = append(diags, cdiags...)
	lf.Condition = cond
	return diags
}

// decodeEntries decodes item and when blocks in source order; when is the chain
// of enclosing conditions.
func decodeEntries(blocks hcl.Blocks, when []Condition, lf *Listfile) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, b := range blocks {
		switch b.Type {
		case "listfile":
			continue
		case "when":
			content, d := b.Body.Content(whenSchema)
			diags = append(diags, d...)
			cond, d := decodeCondition(content.Attributes, b.DefRange)
			diags = append(diags, d...)
			if len(content.Attributes) == 0 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagWarning,
					Summary:  "Empty condition",
					Detail:   "This when block sets none of distro, driver, fstype and arch, so it always holds.",
					Subject:  b.DefRange.Ptr(),
				})
			}
			inner := append(append([]Condition(nil), when...), cond)
			diags = append(diags, decodeEntries(content.Blocks, inner, lf)...)
		default:
			e, d := decodeEntry(b, when)
			diags = append(diags, d...)
			if e != nil {
				lf.Entries = append(lf.Entries, e)
			}
		}
	}
	return diags
}

func decodeEntry(b *hcl.Block, when []Condition) (*Entry, hcl.Diagnostics) {
	e := &Entry{Kind: EntryKind(b.Type), Name: b.Labels[0], When: when, Range: b.DefRange, DefaultExcludes: true}
	content, diags := b.Body.Content(entrySchemas[e.Kind])
	diags = append(diags, checkName(e, b.LabelRanges[0])...)
	attrs := content.Attributes
	if a := attrs["dest"]; a != nil {
		d := decodeString(a, &e.Dest)
		if !d.HasErrors() {
			d = append(d, checkPath(e.Dest, "dest", a.Expr.Range())...)
		}
		diags = append(diags, d...)
	}
	if a := attrs["optional"]; a != nil {
		diags = append(diags, decodeBool(a, &e.Optional)...)
	}
	if a := attrs["provided_by"]; a != nil {
		diags = append(diags, decodeProvidedBy(a, &e.ProvidedBy)...)
	}
	if a := attrs["contents"]; a != nil {
		diags = append(diags, decodeBool(a, &e.Contents)...)
	}
	if a := attrs["mode"]; a != nil {
		diags = append(diags, decodeMode(a, &e.Mode)...)
	}
	if a := attrs["target"]; a != nil {
		if d := decodeString(a, &e.Target); d.HasErrors() {
			diags = append(diags, d...)
		} else if e.Target == "" || strings.ContainsRune(e.Target, 0) {
			diags = append(diags, attrError(a, "Invalid symlink target", "A symlink needs a non-empty target, e.g. target = \"usr/bin\"."))
		}
	}
	if a := attrs["default_excludes"]; a != nil {
		diags = append(diags, decodeBool(a, &e.DefaultExcludes)...)
	}
	for _, name := range []string{"include", "exclude"} {
		a := attrs[name]
		if a == nil {
			continue
		}
		dst := &e.Include
		if name == "exclude" {
			dst = &e.Exclude
		}
		diags = append(diags, decodePatterns(a, dst)...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return e, diags
}

// Names and paths.
var (
	distroName  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	driverName  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	fstypeName  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	packageName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9+._~-]*(:[a-z0-9_-]+)?$`)
	binaryName  = regexp.MustCompile(`^[^/\x00\s]+$`)
)

func checkName(e *Entry, rng hcl.Range) hcl.Diagnostics {
	switch e.Kind {
	case EntryBinary:
		if strings.HasPrefix(e.Name, "/") {
			return checkPath(e.Name, "binary", rng)
		}
		if !binaryName.MatchString(e.Name) || e.Name == "." || e.Name == ".." {
			return labelError(rng, "Invalid binary name", fmt.Sprintf("%q is neither a command name (\"fsck.gfs2\") nor an absolute path.", e.Name))
		}
	case EntryPackage:
		if !packageName.MatchString(e.Name) {
			return labelError(rng, "Invalid package name", fmt.Sprintf("%q is not a dpkg or rpm package name (e.g. \"gfs2-utils\", \"libc6:amd64\").", e.Name))
		}
	default:
		return checkPath(e.Name, string(e.Kind), rng)
	}
	return nil
}

func checkPath(p, what string, rng hcl.Range) hcl.Diagnostics {
	switch {
	case !strings.HasPrefix(p, "/"):
		return labelError(rng, "Relative path", fmt.Sprintf("The %s path %q must be absolute, e.g. %q.", what, p, "/"+p))
	case strings.ContainsRune(p, 0):
		return labelError(rng, "Invalid path", fmt.Sprintf("The %s path holds a NUL byte.", what))
	case path.Clean(p) != p:
		return labelError(rng, "Unclean path", fmt.Sprintf("Write the %s path %q as %q.", what, p, path.Clean(p)))
	}
	return nil
}

func decodeCondition(attrs hcl.Attributes, rng hcl.Range) (Condition, hcl.Diagnostics) {
	c := Condition{Range: rng}
	var diags hcl.Diagnostics
	if a := attrs["distro"]; a != nil {
		diags = append(diags, decodeNames(a, &c.Distro, distroName, "an os-release ID such as \"debian\" or \"fedora\"")...)
	}
	if a := attrs["driver"]; a != nil {
		diags = append(diags, decodeNames(a, &c.Driver, driverName, "a driver name such as \"gfs2\"")...)
	}
	if a := attrs["fstype"]; a != nil {
		diags = append(diags, decodeNames(a, &c.FSType, fstypeName, "a filesystem type such as \"ext4\"")...)
	}
	if a := attrs["arch"]; a != nil {
		var raw []string
		d := decodeStrings(a, &raw)
		diags = append(diags, d...)
		for _, r := range raw {
			canon, ok := arch.Canonical(r)
			if !ok {
				diags = append(diags, attrError(a, "Unknown architecture",
					fmt.Sprintf("%q is not an architecture osr knows; use one of %s.", r, strings.Join(arch.Known(), ", "))))
				continue
			}
			c.Arch = append(c.Arch, canon)
		}
	}
	return c, diags
}
