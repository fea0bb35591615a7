// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"

	"github.com/open-sharedroot/osr/framework/internal/inroot"
	"github.com/open-sharedroot/osr/framework/listfile/arch"
	"github.com/open-sharedroot/osr/framework/listfile/distro"
	"github.com/open-sharedroot/osr/framework/listfile/pkgdb"
)

// BinDirs are the directories of a root searched for a binary entry's name, in
// order: root's PATH on Debian and Fedora.
var BinDirs = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// DefaultExcludes are left out of every package unless its entry sets
// default_excludes = false: documentation, manuals, translations, licences.
var DefaultExcludes = []string{
	"/usr/share/doc", "/usr/share/doc-base", "/usr/share/man", "/usr/share/info",
	"/usr/share/locale", "/usr/share/lintian", "/usr/share/bug", "/usr/share/licenses",
}

// Query says what to resolve listfiles for.
type Query struct {
	// Root is the root filesystem the image is built from ("" or "/" for the host).
	Root string
	// Distro overrides the distribution detected from Root's os-release.
	Distro *distro.Distro
	// Driver and FSType are the build's driver name and root filesystem type.
	Driver, FSType string
	// Arch is the image's architecture in any spelling; "" means osr's own.
	Arch string
	// Listfiles names the on-request listfiles to take ("debug" or "debug.hcl").
	Listfiles []string
	// PackageDB overrides the package database found in Root.
	PackageDB pkgdb.DB
	// RPM is the rpm command used to read an rpm database; "" means "rpm" from PATH.
	RPM string
}

// resolver holds one resolution's state.
type resolver struct {
	root   string
	q      Query
	distro distro.Distro
	arch   string

	db      pkgdb.DB
	dbErr   error
	dbTried bool

	items     []Item
	index     map[string]int
	missing   []Missing
	conflicts []string
	report    Report
}

// Resolve turns the listfiles that apply to q into the items of an image, each
// with the listfile line that asked for it. Required entries the root lacks are
// returned together as a *MissingError (after every entry has been looked at);
// optional ones are listed in the Report. The items are in listfile order
// (by name), then in entry order; each image path appears once.
func (s *Set) Resolve(ctx context.Context, q Query) ([]Item, Report, error) {
	r, err := newResolver(q)
	if err != nil {
		return nil, Report{}, err
	}
	for _, name := range q.Listfiles {
		if s.Lookup(name) == nil {
			return nil, r.report, fmt.Errorf("no listfile named %q in %s", name, strings.Join(s.Dirs, ", "))
		}
	}
	for _, lf := range s.Listfiles {
		use := ListfileUse{Name: lf.Name, Path: lf.Path, Overrides: lf.Overrides}
		switch {
		case lf.Masked:
			use.Why = "masked: empty or a link to /dev/null"
		case lf.OnRequest && !requested(q.Listfiles, lf.Name):
			use.Why = "taken on request only"
		default:
			if ok, why := r.holds(lf.Condition); ok {
				use.Taken = true
			} else {
				use.Why = why
			}
		}
		r.report.Listfiles = append(r.report.Listfiles, use)
		if !use.Taken {
			continue
		}
		for _, e := range lf.Entries {
			if err := ctx.Err(); err != nil {
				return nil, r.report, err
			}
			o := Origin{Source: lf.Name, Path: lf.Path, Line: e.Range.Start.Line, Entry: e.Title()}
			if ok, why := r.holdsAll(e.When); !ok {
				r.report.Skipped = append(r.report.Skipped, Skipped{Origin: o, Why: why})
				continue
			}
			if err := r.entry(ctx, o, e); err != nil {
				return nil, r.report, fmt.Errorf("%s: %s: %w", o, e.Title(), err)
			}
		}
	}
	var errs []error
	if len(r.missing) > 0 {
		errs = append(errs, &MissingError{Missing: r.missing})
	}
	if len(r.conflicts) > 0 {
		errs = append(errs, fmt.Errorf("listfile entries disagree:\n  %s", strings.Join(r.conflicts, "\n  ")))
	}
	if len(errs) > 0 {
		return r.items, r.report, errors.Join(errs...)
	}
	return r.items, r.report, nil
}

func newResolver(q Query) (*resolver, error) {
	root := q.Root
	if root == "" {
		root = "/"
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("root %s is not a directory", root)
	}
	r := &resolver{root: root, q: q, index: map[string]int{}}
	if q.Distro != nil {
		r.distro = *q.Distro
	} else if r.distro, err = distro.Detect(root); err != nil {
		return nil, err
	}
	a := q.Arch
	if a == "" {
		a = runtime.GOARCH
	}
	canon, ok := arch.Canonical(a)
	if !ok {
		return nil, fmt.Errorf("unknown architecture %q; use one of %s", a, strings.Join(arch.Known(), ", "))
	}
	r.arch = canon
	r.report = Report{Root: root, Distro: r.distro, Arch: canon, Driver: q.Driver, FSType: q.FSType}
	if q.PackageDB != nil {
		r.db, r.dbTried = q.PackageDB, true
		r.report.PackageDB = q.PackageDB.Name()
	}
	return r, nil
}

func requested(names []string, file string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return n == file || n+Ext == file })
}

// holds reports whether c holds for this resolution, and if not, why.
func (r *resolver) holds(c Condition) (bool, string) {
	if len(c.Distro) > 0 && !slices.ContainsFunc(c.Distro, r.distro.Is) {
		return false, fmt.Sprintf("distro %s is none of %s", r.distro, strings.Join(c.Distro, ", "))
	}
	if len(c.Driver) > 0 && !slices.Contains(c.Driver, r.q.Driver) {
		return false, fmt.Sprintf("driver %s is none of %s", orNone(r.q.Driver), strings.Join(c.Driver, ", "))
	}
	if len(c.FSType) > 0 && !slices.Contains(c.FSType, r.q.FSType) {
		return false, fmt.Sprintf("fstype %s is none of %s", orNone(r.q.FSType), strings.Join(c.FSType, ", "))
	}
	if len(c.Arch) > 0 && !slices.Contains(c.Arch, r.arch) {
		return false, fmt.Sprintf("arch %s is none of %s", r.arch, strings.Join(c.Arch, ", "))
	}
	return true, ""
}

func (r *resolver) holdsAll(cs []Condition) (bool, string) {
	for _, c := range cs {
		if ok, why := r.holds(c); !ok {
			return false, why
		}
	}
	return true, ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (r *resolver) entry(ctx context.Context, o Origin, e *Entry) error {
	switch e.Kind {
	case EntryFile:
		return r.file(o, e, e.Name)
	case EntryBinary:
		return r.binary(o, e)
	case EntryDirectory:
		return r.directory(o, e)
	case EntrySymlink:
		r.add(Item{Kind: KindSymlink, ImagePath: e.Name, Target: e.Target, Origin: o})
		return nil
	case EntryPackage:
		return r.pkg(ctx, o, e)
	}
	return fmt.Errorf("unknown entry kind %q", e.Kind)
}

// file takes the regular file p names, with the links on the way to it.
func (r *resolver) file(o Origin, e *Entry, p string) error {
	links, final, fi, err := inroot.Chain(r.root, p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason := fmt.Sprintf("%s does not exist in %s", p, r.root)
		if final != p {
			reason = fmt.Sprintf("%s (%s) does not exist in %s", p, final, r.root)
		}
		r.miss(o, e, reason)
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		r.miss(o, e, fmt.Sprintf("%s is a directory; use a directory entry (with contents = true to copy it)", final))
		return nil
	case !fi.Mode().IsRegular():
		r.miss(o, e, fmt.Sprintf("%s is a %s, not a regular file", final, specialName(fi.Mode())))
		return nil
	}
	image := e.Dest
	if image == "" {
		r.addLinks(o, links)
		image = final
	}
	return r.addContent(o, image, final)
}

// binary looks a binary up by name in BinDirs, or takes it by path.
func (r *resolver) binary(o Origin, e *Entry) error {
	if strings.HasPrefix(e.Name, "/") {
		return r.file(o, e, e.Name)
	}
	p, _, err := FindBinary(r.root, e.Name)
	if errors.Is(err, fs.ErrNotExist) {
		r.miss(o, e, fmt.Sprintf("not found in %s of %s", strings.Join(BinDirs, ":"), r.root))
		return nil
	}
	if err != nil {
		return err
	}
	return r.file(o, e, p)
}

// FindBinary looks the program name up inside root (links resolved inside it,
// framework/internal/inroot): a name starting with "/" is taken as a path, any
// other is searched in BinDirs. It returns the path as found, and the regular
// file it leads to once its links are followed, or an error matching
// fs.ErrNotExist when no regular file is there.
func FindBinary(root, name string) (found, resolved string, err error) {
	dirs := BinDirs
	if strings.HasPrefix(name, "/") {
		dirs, name = []string{"/"}, strings.TrimPrefix(name, "/")
	}
	for _, d := range dirs {
		p := path.Join(d, name)
		_, final, fi, err := inroot.Chain(root, p)
		if err == nil && fi.Mode().IsRegular() {
			return p, final, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, inroot.ErrTooManyLinks) {
			return "", "", err
		}
	}
	return "", "", &fs.PathError{Op: "find binary", Path: name, Err: fs.ErrNotExist}
}

// directory creates a directory, or copies a tree with contents = true.
func (r *resolver) directory(o Origin, e *Entry) error {
	links, final, fi, err := inroot.Chain(r.root, e.Name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if e.Contents {
			r.miss(o, e, fmt.Sprintf("%s does not exist in %s", e.Name, r.root))
			return nil
		}
		image := e.Dest
		if image == "" {
			r.addLinks(o, links)
			image = final
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o755
		}
		r.add(Item{Kind: KindDir, ImagePath: image, Mode: mode, Origin: o})
		return nil
	case err != nil:
		return err
	case !fi.IsDir():
		r.miss(o, e, fmt.Sprintf("%s is not a directory", final))
		return nil
	}
	image := e.Dest
	if image == "" {
		r.addLinks(o, links)
		image = final
	}
	if !e.Contents {
		r.add(Item{Kind: KindDir, ImagePath: image, Source: final, HostPath: inroot.Host(r.root, final), Mode: e.Mode, Origin: o})
		return nil
	}
	return r.tree(o, final, image)
}

// miss records a missing entry: fatal unless the entry is optional.
func (r *resolver) miss(o Origin, e *Entry, reason string) {
	m := Missing{Origin: o, What: fmt.Sprintf("%s %s", e.Kind, e.Name), Reason: reason, Hint: r.hint(e)}
	if e.Optional {
		r.report.Optional = append(r.report.Optional, m)
	} else {
		r.missing = append(r.missing, m)
	}
}

// hint says what to install for a missing entry.
func (r *resolver) hint(e *Entry) string {
	db := r.hintDB()
	switch {
	case e.Kind == EntryPackage && db != nil:
		return "install it: " + db.InstallHint(e.Name)
	case e.Kind == EntryPackage:
		return "install package " + e.Name
	}
	pkgs := r.providers(e)
	switch {
	case len(pkgs) > 0 && db != nil:
		return fmt.Sprintf("install %s: %s", strings.Join(pkgs, " or "), db.InstallHint(pkgs[0]))
	case len(pkgs) > 0:
		return "install " + strings.Join(pkgs, " or ")
	case db != nil && e.Kind == EntryBinary:
		return "find the package that ships it: " + db.SearchHint(e.Name)
	}
	return ""
}

// providers returns the packages that ship an entry on this distribution: those
// named for its ID, else for the closest ID_LIKE, else for any distribution.
func (r *resolver) providers(e *Entry) []string {
	for _, id := range append([]string{r.distro.ID}, r.distro.Like...) {
		if p := e.ProvidedBy[id]; len(p) > 0 {
			return p
		}
	}
	return e.ProvidedBy[""]
}

// hintDB is the package database whose commands hints name: the root's, or the
// one its distribution family uses.
func (r *resolver) hintDB() pkgdb.DB {
	if db, err := r.packageDB(); err == nil {
		return db
	}
	switch {
	case r.distro.Is("debian"):
		return pkgdb.NewDpkg(r.root, r.arch)
	case r.distro.Is("fedora") || r.distro.Is("rhel"):
		return pkgdb.NewRPM(r.root, r.arch, r.q.RPM)
	}
	return nil
}

func (r *resolver) packageDB() (pkgdb.DB, error) {
	if !r.dbTried {
		r.dbTried = true
		r.db, r.dbErr = pkgdb.Open(r.root, pkgdb.Options{Arch: r.arch, RPM: r.q.RPM})
		if r.db != nil {
			r.report.PackageDB = r.db.Name()
		}
	}
	return r.db, r.dbErr
}
