// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/open-sharedroot/osr/framework/internal/unixmode"
)

// TextOptions tune WriteText.
type TextOptions struct {
	// Skipped also lists the entries whose conditions did not hold.
	Skipped bool
}

// WriteText shows what a build takes: the query, the listfiles read, every item
// with the origin that asked for it, optional entries that are missing, and a
// count. Items from other askers (drivers) are shown the same way.
func WriteText(w io.Writer, items []Item, r Report, opts TextOptions) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "root      %s\n", r.Root)
	fmt.Fprintf(ew, "distro    %s", r.Distro)
	if r.Distro.PrettyName != "" {
		fmt.Fprintf(ew, ", %q", r.Distro.PrettyName)
	}
	fmt.Fprintf(ew, "\nbuild     arch %s, driver %s, fstype %s", r.Arch, orNone(r.Driver), orNone(r.FSType))
	if r.PackageDB != "" {
		fmt.Fprintf(ew, ", packages from %s", r.PackageDB)
	}
	fmt.Fprintln(ew)
	if len(r.Listfiles) > 0 {
		fmt.Fprintln(ew, "\nlistfiles")
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		for _, l := range r.Listfiles {
			state, about := "taken", l.Path
			if !l.Taken {
				state, about = "left out", l.Why
			}
			if len(l.Overrides) > 0 && l.Taken {
				about += " (overrides " + strings.Join(l.Overrides, ", ") + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", l.Name, state, about)
		}
		tw.Flush()
	}
	fmt.Fprintln(ew, "\nitems")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  KIND\tIMAGE PATH\tFROM\tASKED BY")
	for _, it := range items {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", it.Kind, imageColumn(it), fromColumn(it), askedBy(it.Origin))
	}
	tw.Flush()
	if len(r.Optional) > 0 {
		fmt.Fprintln(ew, "\noptional, not in the root")
		for _, m := range r.Optional {
			fmt.Fprintf(ew, "  %s\n", m)
		}
	}
	if opts.Skipped && len(r.Skipped) > 0 {
		fmt.Fprintln(ew, "\nentries left out by their conditions")
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		for _, s := range r.Skipped {
			fmt.Fprintf(tw, "  %s\t%s\n", askedBy(s.Origin), s.Why)
		}
		tw.Flush()
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(ew, "\nnotes")
		for _, n := range r.Notes {
			fmt.Fprintf(ew, "  %s\n", n)
		}
	}
	fmt.Fprintf(ew, "\n%s\n", summary(items, r))
	return ew.err
}

// WriteJSON writes the report and the items as one JSON object
// {"report": …, "items": […]}, indented.
func WriteJSON(w io.Writer, items []Item, r Report) error {
	if items == nil {
		items = []Item{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Report Report `json:"report"`
		Items  []Item `json:"items"`
	}{r, items})
}

func imageColumn(it Item) string {
	if it.Kind == KindSymlink {
		return it.ImagePath + " -> " + it.Target
	}
	return it.ImagePath
}

// fromColumn shows where an item comes from when that is not its image path.
func fromColumn(it Item) string {
	switch {
	case it.Kind == KindDir && it.Source == "":
		return fmt.Sprintf("(new, %04o)", unixmode.ToUnix(it.Mode))
	case it.Source != "" && it.Source != it.ImagePath:
		return it.Source
	}
	return "-"
}

func askedBy(o Origin) string {
	if o.Entry == "" {
		return o.String()
	}
	return o.String() + " " + o.Entry
}

// summary counts the items by kind, e.g.
// "12 items: 3 binaries, 5 files, 2 directories, 2 symlinks; 1 optional entry missing".
func summary(items []Item, r Report) string {
	counts := map[Kind]int{}
	for _, it := range items {
		counts[it.Kind]++
	}
	var parts []string
	for _, k := range []struct {
		kind      Kind
		one, many string
	}{
		{KindBinary, "binary", "binaries"}, {KindFile, "file", "files"},
		{KindDir, "directory", "directories"}, {KindSymlink, "symlink", "symlinks"},
	} {
		if n := counts[k.kind]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, k.one, k.many)))
		}
	}
	s := fmt.Sprintf("%d item%s", len(items), plural(len(items), "", "s"))
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	if n := len(r.Optional); n > 0 {
		s += fmt.Sprintf("; %d optional entr%s missing", n, plural(n, "y", "ies"))
	}
	return s
}

// errWriter keeps the first write error so the rendering code can stay linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, nil
}
