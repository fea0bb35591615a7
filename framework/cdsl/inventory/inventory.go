// SPDX-License-Identifier: Apache-2.0

// Package inventory reads and writes the CDSL inventory in the XML format of the
// comoonics CDSL tools: version 2.0 (settings as attributes of <cdsls>) is read and
// written, version 1 (settings in a trailing <defaults> element, node refs "id_N")
// is read so it can be migrated. The old tools and osr can work on one root.
//
// It also finds a root's layout (tree, shared tree, link dir, default dir) for the
// init at boot; see FindLayout.
package inventory

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Version2 is the config_version osr writes.
const Version2 = "2.0"

// Type is a CDSL's type.
type Type string

// The CDSL types.
const (
	Hostdependent Type = "hostdependent"
	Shared        Type = "shared"
)

// Settings are the repository's settings: where the trees and the link dir are,
// relative to the filesystem root, and how node directories are named.
type Settings struct {
	Tree         string // per-node trees: <Tree>/<node>/…
	SharedTree   string // data of shared CDSLs
	Link         string // the link dir every CDSL symlink goes through
	DefaultDir   string // template node dir under Tree
	Mountpoint   string // the CDSL filesystem's mountpoint below the root, no leading slash
	NodePrefix   string // prepended to node ids to name node dirs
	ExpandString string // prefix of expanded components in nested CDSLs (".cdsl")
	MaxNodeIDNum int    // nodes 1..N when no cluster configuration says otherwise; 0: none
	UseNodeIDs   bool   // node dirs named by id (true) or by node name
}

// V2Defaults are the settings of a new v2 repository.
func V2Defaults() Settings {
	return Settings{Tree: ".cluster/cdsl", SharedTree: ".cluster/shared", Link: ".cdsl.local",
		DefaultDir: "default", ExpandString: ".cdsl", UseNodeIDs: true}
}

// V1Defaults are the settings of the original (2009) layout.
func V1Defaults() Settings {
	return Settings{Tree: "cluster/cdsl", SharedTree: "cluster/shared", Link: "cdsl.local",
		DefaultDir: "default", ExpandString: ".cdsl", UseNodeIDs: true}
}

// Default inventory locations, relative to the CDSL filesystem's root.
const (
	V2File = ".cdsl_inventory.xml"
	V1File = "var/lib/cdsl/cdsl_inventory.xml"
)

// CDSL is one inventory entry.
type CDSL struct {
	Src       string // relative to the filesystem root, no leading slash
	Type      Type
	Timestamp string // seconds since the epoch, as the file has it
	Nodes     []string
}

// Repository is a sub-repository: another CDSL-enabled filesystem below this one.
type Repository struct {
	Path     string
	Resource string
}

// Inventory is a parsed inventory file.
type Inventory struct {
	// Version is the config_version read ("2.0" or "1"). Encode always writes 2.0.
	Version      string
	Settings     Settings
	Repositories []Repository
	CDSLs        []CDSL
}

// ErrEmpty is returned for a zero-length inventory file.
var ErrEmpty = errors.New("the inventory is empty")

// Find returns the entry for src, or nil.
func (inv *Inventory) Find(src string) *CDSL {
	for i := range inv.CDSLs {
		if inv.CDSLs[i].Src == src {
			return &inv.CDSLs[i]
		}
	}
	return nil
}

// Put adds or replaces the entry for c.Src.
func (inv *Inventory) Put(c CDSL) {
	if old := inv.Find(c.Src); old != nil {
		*old = c
		return
	}
	inv.CDSLs = append(inv.CDSLs, c)
}

// Delete removes the entry for src and reports whether there was one.
func (inv *Inventory) Delete(src string) bool {
	for i := range inv.CDSLs {
		if inv.CDSLs[i].Src == src {
			inv.CDSLs = append(inv.CDSLs[:i], inv.CDSLs[i+1:]...)
			return true
		}
	}
	return false
}

// Clone returns a deep copy.
func (inv *Inventory) Clone() *Inventory {
	c := *inv
	c.Repositories = append([]Repository(nil), inv.Repositories...)
	c.CDSLs = make([]CDSL, len(inv.CDSLs))
	for i, e := range inv.CDSLs {
		e.Nodes = append([]string(nil), e.Nodes...)
		c.CDSLs[i] = e
	}
	return &c
}

// Sorted returns the entries sorted by src.
func (inv *Inventory) Sorted() []CDSL {
	out := append([]CDSL(nil), inv.CDSLs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Src < out[j].Src })
	return out
}

type xmlAttrs struct {
	Attrs []xml.Attr `xml:",any,attr"`
}

type xmlDoc struct {
	XMLName      xml.Name   `xml:"cdsls"`
	Attrs        []xml.Attr `xml:",any,attr"`
	Repositories []struct {
		Repository []struct {
			Path     string `xml:"path,attr"`
			Resource string `xml:"resource,attr"`
		} `xml:"repository"`
	} `xml:"repositories"`
	CDSLs []struct {
		Src       string `xml:"src,attr"`
		Type      string `xml:"type,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Nodes     struct {
			Refs []struct {
				Ref string `xml:"ref,attr"`
			} `xml:"noderef"`
		} `xml:"nodes"`
	} `xml:"cdsl"`
	Defaults *struct {
		xmlAttrs
		NodesDefault struct {
			Nodes []struct {
				ID string `xml:"id,attr"`
			} `xml:"nodedefault"`
		} `xml:"nodesdefault"`
	} `xml:"defaults"`
}

// Parse reads an inventory of version 2.0 or 1. name is used in error messages.
func Parse(name string, data []byte) (*Inventory, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: %w: restore it from a backup or rebuild it with 'osr cdsl check --scan --repair'", name, ErrEmpty)
	}
	var doc xmlDoc
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s:%d: not a valid CDSL inventory: %v; restore it from a backup or rebuild it with 'osr cdsl check --scan --repair'", name, se.Line, se.Msg)
		}
		return nil, fmt.Errorf("%s: not a valid CDSL inventory: %w", name, err)
	}
	inv := &Inventory{}
	root := attrMap(doc.Attrs)
	inv.Version = root["config_version"]
	switch inv.Version {
	case Version2, "2":
		inv.Version = Version2
		s, err := settingsFrom(name, root, v2Keys)
		if err != nil {
			return nil, err
		}
		inv.Settings = s
	case "1", "1.0", "":
		inv.Version = "1"
		d := map[string]string{}
		if doc.Defaults != nil {
			d = attrMap(doc.Defaults.Attrs)
		}
		s, err := settingsFrom(name, d, v1Keys)
		if err != nil {
			return nil, err
		}
		inv.Settings = s
	default:
		return nil, fmt.Errorf("%s: unknown inventory config_version %q (osr reads 1 and 2.0)", name, inv.Version)
	}
	if err := inv.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("%s: the inventory's layout is refused: %w (edit the file, or move it aside and make a new one with 'osr cdsl init')", name, err)
	}
	for _, rs := range doc.Repositories {
		for _, r := range rs.Repository {
			inv.Repositories = append(inv.Repositories, Repository{Path: r.Path, Resource: r.Resource})
		}
	}
	for _, c := range doc.CDSLs {
		t := Type(c.Type)
		if t != Hostdependent && t != Shared {
			return nil, fmt.Errorf("%s: cdsl %q has type %q; it must be hostdependent or shared", name, c.Src, c.Type)
		}
		if c.Src == "" {
			return nil, fmt.Errorf("%s: a cdsl element has no src attribute", name)
		}
		e := CDSL{Src: strings.Trim(c.Src, "/"), Type: t, Timestamp: c.Timestamp}
		if le := relPath("cdsl src", e.Src, false); le != nil {
			return nil, fmt.Errorf("%s: %w: %v (edit the file, or move it aside and rebuild it with 'osr cdsl check --scan --repair')", name, ErrName, le)
		}
		for _, r := range c.Nodes.Refs {
			// Version 1 wrote node refs as "id_N"; version 2 writes the ref
			// itself, which may start with "id_" as any name may.
			ref := r.Ref
			if inv.Version == "1" {
				ref = strings.TrimPrefix(ref, "id_")
			}
			if le := plainName("noderef of cdsl "+e.Src, ref, false); le != nil {
				return nil, fmt.Errorf("%s: %w: %v (edit the file, or rebuild it with 'osr cdsl check --scan --repair')", name, ErrName, le)
			}
			e.Nodes = append(e.Nodes, ref)
		}
		inv.CDSLs = append(inv.CDSLs, e)
	}
	if err := inv.ValidateRepositories(); err != nil {
		return nil, fmt.Errorf("%s: %w (edit the file)", name, err)
	}
	return inv, nil
}

func attrMap(attrs []xml.Attr) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[a.Name.Local] = a.Value
	}
	return m
}

// keyNames are the attribute names of each setting in one format version.
type keyNames struct{ tree, shared, link, defaultDir, maxNodes, useIDs string }

var (
	v2Keys = keyNames{"tree", "sharedtree", "link", "default_dir", "maxnodeidnum", "use_nodeids"}
	v1Keys = keyNames{"cdsltree", "cdsltree_shared", "cdsl_link", "default_dir", "maxnodeidnum", "use_nodeids"}
)

func settingsFrom(name string, m map[string]string, k keyNames) (Settings, error) {
	s := V2Defaults()
	if k == v1Keys {
		s = V1Defaults()
	}
	set := func(dst *string, key string) {
		if v, ok := m[key]; ok {
			*dst = v
		}
	}
	set(&s.Tree, k.tree)
	set(&s.SharedTree, k.shared)
	set(&s.Link, k.link)
	set(&s.DefaultDir, k.defaultDir)
	set(&s.Mountpoint, "mountpoint")
	set(&s.NodePrefix, "node_prefix")
	set(&s.ExpandString, "expandstring")
	if v, ok := m[k.maxNodes]; ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return s, fmt.Errorf("%s: %s=%q is not a node count", name, k.maxNodes, v)
		}
		s.MaxNodeIDNum = n
	}
	if v, ok := m[k.useIDs]; ok {
		s.UseNodeIDs = v == "True" || v == "true" || v == "1"
	}
	for _, p := range []*string{&s.Tree, &s.SharedTree, &s.Link, &s.Mountpoint} {
		*p = strings.Trim(*p, "/")
	}
	if s.Tree == "" || s.SharedTree == "" || s.Link == "" || s.DefaultDir == "" {
		return s, fmt.Errorf("%s: tree, shared tree, link and default dir must not be empty", name)
	}
	return s, nil
}

// Encode writes inv as a version 2.0 inventory, pretty-printed with tabs as the
// original tools write it.
func Encode(w io.Writer, inv *Inventory) error {
	var b bytes.Buffer
	s := inv.Settings
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<cdsls")
	attr(&b, "config_version", Version2)
	attr(&b, "tree", s.Tree)
	attr(&b, "sharedtree", s.SharedTree)
	attr(&b, "link", s.Link)
	attr(&b, "maxnodeidnum", strconv.Itoa(s.MaxNodeIDNum))
	attr(&b, "use_nodeids", pyBool(s.UseNodeIDs))
	attr(&b, "mountpoint", s.Mountpoint)
	attr(&b, "default_dir", s.DefaultDir)
	attr(&b, "node_prefix", s.NodePrefix)
	attr(&b, "expandstring", s.ExpandString)
	b.WriteString(">\n")
	if len(inv.Repositories) > 0 {
		b.WriteString("\t<repositories>\n")
		for _, r := range inv.Repositories {
			b.WriteString("\t\t<repository")
			attr(&b, "path", r.Path)
			attr(&b, "resource", r.Resource)
			b.WriteString("/>\n")
		}
		b.WriteString("\t</repositories>\n")
	}
	for _, c := range inv.CDSLs {
		b.WriteString("\t<cdsl")
		attr(&b, "src", c.Src)
		attr(&b, "type", string(c.Type))
		attr(&b, "timestamp", c.Timestamp)
		b.WriteString(">\n\t\t<nodes>\n")
		for _, n := range c.Nodes {
			b.WriteString("\t\t\t<noderef")
			attr(&b, "ref", n)
			b.WriteString("/>\n")
		}
		b.WriteString("\t\t</nodes>\n\t</cdsl>\n")
	}
	b.WriteString("</cdsls>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// Marshal is Encode into a byte slice.
func Marshal(inv *Inventory) []byte {
	var b bytes.Buffer
	_ = Encode(&b, inv) // a bytes.Buffer does not fail
	return b.Bytes()
}

func attr(b *bytes.Buffer, k, v string) {
	b.WriteString(" ")
	b.WriteString(k)
	b.WriteString("=\"")
	_ = xml.EscapeText(b, []byte(v))
	b.WriteString("\"")
}

func pyBool(v bool) string {
	if v {
		return "True"
	}
	return "False"
}
