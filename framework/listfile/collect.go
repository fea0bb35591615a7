// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/open-sharedroot/osr/framework/internal/inroot"
	"github.com/open-sharedroot/osr/framework/listfile/pkgdb"
)

// add appends an item unless its image path is taken: the same thing again is
// dropped, something else is a conflict.
func (r *resolver) add(it Item) {
	i, taken := r.index[it.ImagePath]
	if !taken {
		r.index[it.ImagePath] = len(r.items)
		r.items = append(r.items, it)
		return
	}
	prev := r.items[i]
	if sameThing(prev, it) {
		return
	}
	r.conflicts = append(r.conflicts, fmt.Sprintf("%s: %s (%s) wants %s, %s (%s) wants %s",
		it.ImagePath, prev.Origin, prev.Origin.Entry, describe(prev), it.Origin, it.Origin.Entry, describe(it)))
}

func sameThing(a, b Item) bool {
	content := func(k Kind) bool { return k == KindFile || k == KindBinary }
	switch {
	case a.Kind == KindDir && b.Kind == KindDir:
		return true
	case a.Kind == KindSymlink && b.Kind == KindSymlink:
		return a.Target == b.Target
	case content(a.Kind) && content(b.Kind):
		return a.Source == b.Source
	}
	return false
}

func describe(it Item) string {
	switch it.Kind {
	case KindSymlink:
		return "a symlink to " + it.Target
	case KindDir:
		return "a directory"
	}
	return it.Source
}

func (r *resolver) addLinks(o Origin, links []inroot.Link) {
	for _, l := range links {
		r.add(Item{Kind: KindSymlink, ImagePath: l.Path, Target: l.Target, Origin: o})
	}
}

// addContent adds the regular file src of the root at image, as a binary when it
// is an ELF object.
func (r *resolver) addContent(o Origin, image, src string) error {
	host := inroot.Host(r.root, src)
	elf, err := isELF(host)
	if err != nil {
		return err
	}
	kind := KindFile
	if elf {
		kind = KindBinary
	}
	r.add(Item{Kind: kind, ImagePath: image, Source: src, HostPath: host, Origin: o})
	return nil
}

var elfMagic = []byte("\x7fELF")

func isELF(host string) (bool, error) {
	f, err := os.Open(host)
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, len(elfMagic))
	if _, err := io.ReadFull(f, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return false, nil
		}
		return false, fmt.Errorf("read %s: %w", host, err)
	}
	return bytes.Equal(buf, elfMagic), nil
}

// tree copies the directory src of the root, with everything below it, to image.
// Links inside are copied as links; special files are left out and noted.
func (r *resolver) tree(o Origin, src, image string) error {
	hostTop := inroot.Host(r.root, src)
	return filepath.WalkDir(hostTop, func(host string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(hostTop, host)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		img, from := path.Join(image, rel), path.Join(src, rel)
		switch {
		case d.IsDir():
			r.add(Item{Kind: KindDir, ImagePath: img, Source: from, HostPath: host, Origin: o})
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(host)
			if err != nil {
				return err
			}
			r.add(Item{Kind: KindSymlink, ImagePath: img, Target: target, Origin: o})
		case d.Type().IsRegular():
			return r.addContent(o, img, from)
		default:
			r.report.Notes = append(r.report.Notes, fmt.Sprintf("%s: left out %s %s", o, specialName(d.Type()), from))
		}
		return nil
	})
}

// pkg takes the files a package owns, as its package database lists them.
func (r *resolver) pkg(ctx context.Context, o Origin, e *Entry) error {
	db, err := r.packageDB()
	if err != nil {
		return err
	}
	files, err := db.Files(ctx, e.Name)
	if errors.Is(err, pkgdb.ErrNotInstalled) {
		r.miss(o, e, err.Error()+" in "+r.root)
		return nil
	}
	if err != nil {
		return err
	}
	// A listed directory with listed files below it is created as their parent;
	// only directories the package owns empty are items of their own.
	parents := map[string]bool{}
	for _, f := range files {
		for d := path.Dir(f.Path); d != "/" && d != "." && !parents[d]; d = path.Dir(d) {
			parents[d] = true
		}
	}
	for _, f := range files {
		if parents[f.Path] {
			continue
		}
		// Patterns match the path as the database lists it and as it resolves in
		// the root (dpkg may list /sbin/x where /sbin links to usr/sbin).
		dir, _ := inroot.Resolve(r.root, path.Dir(f.Path), true)
		resolved := path.Join(dir, path.Base(f.Path))
		match := func(patterns []string) bool {
			return matchAny(patterns, f.Path) || matchAny(patterns, resolved)
		}
		if e.DefaultExcludes && (f.Doc || match(DefaultExcludes)) || match(e.Exclude) {
			continue
		}
		if len(e.Include) > 0 && !match(e.Include) {
			continue
		}
		if err := r.pkgFile(o, e, db, f); err != nil {
			return err
		}
	}
	return nil
}

func (r *resolver) pkgFile(o Origin, e *Entry, db pkgdb.DB, f pkgdb.File) error {
	links, final, fi, err := inroot.Chain(r.root, f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !f.Ghost {
			r.report.Optional = append(r.report.Optional, Missing{
				Origin: o,
				What:   "file " + f.Path,
				Reason: fmt.Sprintf("package %s lists it but %s lacks it", e.Name, r.root),
				Hint:   "reinstall the package: " + reinstallHint(db, e.Name),
			})
		}
		return nil
	case err != nil:
		return err
	}
	r.addLinks(o, links)
	switch {
	case fi.IsDir():
		r.add(Item{Kind: KindDir, ImagePath: final, Source: final, HostPath: inroot.Host(r.root, final), Origin: o})
	case fi.Mode().IsRegular():
		return r.addContent(o, final, final)
	default:
		r.report.Notes = append(r.report.Notes, fmt.Sprintf("%s: left out %s %s", o, specialName(fi.Mode()), final))
	}
	return nil
}

func reinstallHint(db pkgdb.DB, name string) string {
	if db.Name() == "dpkg" {
		return "apt-get install --reinstall " + name
	}
	return "dnf reinstall " + name
}

// matchAny reports whether p, or a directory above it, matches one of the patterns.
// A pattern with a slash is matched against whole paths ("/usr/share/doc",
// "/usr/lib/**/*.a"); one without is matched against each path element ("*.pyc").
func matchAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		for q := p; q != "/" && q != "." && q != ""; q = path.Dir(q) {
			subject := q
			if !strings.Contains(pat, "/") {
				subject = path.Base(q)
			}
			if ok, _ := doublestar.Match(pat, subject); ok {
				return true
			}
		}
	}
	return false
}

// specialName names a file type that is neither a regular file, a directory nor a link.
func specialName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	}
	return "special file"
}
