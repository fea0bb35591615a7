// SPDX-License-Identifier: Apache-2.0

package rootprep

import (
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
)

// Options tune Prepare.
type Options struct {
	// Nodes are the cluster configuration's nodes; each one's name becomes
	// its hostname. Required.
	Nodes []cdsl.ClusterNode
	// Entries is the set to apply; nil means Standard.
	Entries []Entry
	// Rand is the source of machine-ids; nil means crypto/rand.
	Rand io.Reader
	// NewHostKey makes an ssh host key of a type (rsa, ecdsa, ed25519); nil
	// means GenerateHostKey.
	NewHostKey func(kind, comment string) (HostKey, error)
	// DryRun only reports what would be written (the repository prints its
	// own plans on a dry run).
	DryRun bool
}

// Outcome is what happened to one path of the set.
type Outcome struct {
	// Path is the absolute path in the root.
	Path string
	// Type is the CDSL type it has or would have had.
	Type inventory.Type
	// Note says why it was skipped, or what was done besides.
	Note string
}

// Result says what Prepare did.
type Result struct {
	// Made are the CDSLs created now.
	Made []Outcome
	// Present are the paths of the set that were CDSLs already.
	Present []Outcome
	// Skipped are the paths of the set left alone, with the reason.
	Skipped []Outcome
	// Identity lists what was written into each node's tree.
	Identity []string
	// Fixed lists changes to the shared root itself.
	Fixed []string
}

// ErrNeedNames is returned when no node names are given: they become the hostnames.
var ErrNeedNames = errors.New("the standard set writes each node's hostname from the cluster configuration")

// Prepare applies the standard set to the root filesystem of the open
// repository r and gives every node its identity. A failing CDSL stops it
// with an error that names the path; the result says what was done until
// then.
func Prepare(r *cdsl.Repo, o Options) (Result, error) {
	var res Result
	if len(o.Nodes) == 0 {
		return res, fmt.Errorf("%w: give the cluster configuration with --cluster FILE", ErrNeedNames)
	}
	if mp := r.Layout().Mountpoint; mp != "" {
		return res, fmt.Errorf("the standard set is for the root filesystem, not the CDSL filesystem at /%s: run without --mountpoint", mp)
	}
	if o.DryRun && !r.FS().IsDir(r.Layout().DefaultNodeDir()) {
		return res, errors.New("a dry run of the standard set needs the CDSL infrastructure: create it first with 'osr cdsl init'")
	}
	entries := o.Entries
	if entries == nil {
		entries = Standard
	}
	for _, e := range entries {
		paths, err := expand(r, e.Path)
		if err != nil {
			return res, err
		}
		if len(paths) == 0 {
			res.Skipped = append(res.Skipped, Outcome{Path: e.Path, Type: e.Type, Note: "not in this root"})
			continue
		}
		for _, p := range paths {
			if err := apply(r, o, e, p, &res); err != nil {
				return res, err
			}
		}
	}
	if err := fixRoot(r, o, &res); err != nil {
		return res, err
	}
	if err := writeIdentities(r, o, &res); err != nil {
		return res, err
	}
	return res, nil
}

// expand returns the paths in the root that the entry's path names: the path
// itself when it has no glob (present or not), else the existing matches.
func expand(r *cdsl.Repo, p string) ([]string, error) {
	dir, pattern := path.Split(p)
	if !strings.ContainsAny(pattern, "*?[") {
		return []string{p}, nil
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("standard set: bad pattern %q: %w", p, err)
	}
	names, err := r.FS().ReadDirNames(strings.TrimPrefix(dir, "/"))
	if err != nil {
		return nil, nil // no such directory: nothing matches
	}
	var out []string
	for _, n := range names {
		if ok, _ := path.Match(pattern, n); ok {
			out = append(out, path.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// apply makes one path of the set a CDSL of the entry's type when it can.
func apply(r *cdsl.Repo, o Options, e Entry, p string, res *Result) error {
	out := Outcome{Path: p, Type: e.Type}
	src, c, err := r.Get(p, true)
	if err != nil {
		return fmt.Errorf("standard set: %s: %w", p, err)
	}
	switch {
	case c != nil && c.Src == src && c.Type == e.Type:
		res.Present = append(res.Present, out)
		return nil
	case c != nil && c.Src == src:
		out.Note = fmt.Sprintf("is a %s CDSL already; remove it with 'osr cdsl rm' to apply the standard", c.Type)
		res.Skipped = append(res.Skipped, out)
		return nil
	case c != nil && c.Type == e.Type:
		out.Note = fmt.Sprintf("lies in the %s CDSL /%s already", c.Type, c.Src)
		res.Skipped = append(res.Skipped, out)
		return nil
	case c == nil && e.Type == inventory.Shared:
		out.Note = "its directory is not hostdependent, so it is shared already"
		res.Skipped = append(res.Skipped, out)
		return nil
	}
	name := strings.TrimPrefix(p, "/")
	if e.Create != nil && !r.FS().Exists(name) && !r.FS().IsSymlink(name) {
		if o.DryRun {
			out.Note = "would be created"
			res.Made = append(res.Made, out)
			return nil
		}
		if _, err := r.FS().MkdirAll(path.Dir(name), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
		if err := r.FS().WriteFileAtomic(name, e.Create, 0o644); err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
		out.Note = "created"
	}
	if _, err := r.Add(p, e.Type, nil, cdsl.AddOptions{}); err != nil {
		if errors.Is(err, cdsl.ErrNoSource) {
			out.Note = "not in this root"
			res.Skipped = append(res.Skipped, out)
			return nil
		}
		return fmt.Errorf("make %s %s: %w", p, e.Type, err)
	}
	res.Made = append(res.Made, out)
	return nil
}
