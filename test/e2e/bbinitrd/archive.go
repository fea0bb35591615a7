// SPDX-License-Identifier: Apache-2.0

package bbinitrd

import (
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cavaliergopher/cpio"
)

// entry is one file of the initramfs.
type entry struct {
	mode    cpio.FileMode // type and permission bits
	source  string        // host file to copy, for regular files without data
	data    []byte        // contents of a regular file
	linkTo  string        // target of a symlink
	hasData bool
}

// archive is an initramfs tree built in memory and written as a gzip
// compressed newc cpio archive, the format the kernel unpacks.
type archive struct {
	entries map[string]*entry
}

func newArchive() *archive { return &archive{entries: map[string]*entry{}} }

// clean turns p into an archive path: relative, slash separated, no dots.
func clean(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}

// dir adds a directory and its parents.
func (a *archive) dir(p string) {
	p = clean(p)
	for p != "" && p != "." {
		if _, ok := a.entries[p]; ok {
			return
		}
		a.entries[p] = &entry{mode: cpio.TypeDir | 0o755}
		p = path.Dir(p)
		if p == "." {
			return
		}
	}
}

// file adds a regular file with the given contents.
func (a *archive) file(p string, perm fs.FileMode, data []byte) {
	p = clean(p)
	a.dir(path.Dir(p))
	a.entries[p] = &entry{mode: cpio.TypeReg | cpio.FileMode(perm.Perm()), data: data, hasData: true}
}

// copyFile adds a regular file copied from the host when the archive is written.
func (a *archive) copyFile(p, source string, perm fs.FileMode) {
	p = clean(p)
	a.dir(path.Dir(p))
	a.entries[p] = &entry{mode: cpio.TypeReg | cpio.FileMode(perm.Perm()), source: source}
}

// symlink adds a symbolic link.
func (a *archive) symlink(p, target string) {
	p = clean(p)
	a.dir(path.Dir(p))
	a.entries[p] = &entry{mode: cpio.TypeSymlink | 0o777, linkTo: target}
}

// writeTo writes the archive, sorted by path (parents first), gzip
// compressed, to w.
func (a *archive) writeTo(w io.Writer) error {
	names := make([]string, 0, len(a.entries))
	for n := range a.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("gzip writer: %w", err)
	}
	cw := cpio.NewWriter(zw)
	for _, n := range names {
		if err := a.writeEntry(cw, n, a.entries[n]); err != nil {
			return fmt.Errorf("initramfs entry %s: %w", n, err)
		}
	}
	if err := cw.Close(); err != nil {
		return fmt.Errorf("finish cpio archive: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish gzip stream: %w", err)
	}
	return nil
}

func (a *archive) writeEntry(cw *cpio.Writer, name string, e *entry) error {
	hdr := &cpio.Header{Name: name, Mode: e.mode, Links: 1}
	switch {
	case e.mode&^cpio.ModePerm == cpio.TypeSymlink:
		hdr.Size = int64(len(e.linkTo))
		if err := cw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := io.WriteString(cw, e.linkTo)
		return err
	case e.mode&^cpio.ModePerm == cpio.TypeDir:
		hdr.Links = 2
		return cw.WriteHeader(hdr)
	case e.hasData:
		hdr.Size = int64(len(e.data))
		if err := cw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := cw.Write(e.data)
		return err
	default:
		f, err := os.Open(e.source)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		hdr.Size = st.Size()
		if err := cw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(cw, f); err != nil {
			return fmt.Errorf("copy %s: %w", e.source, err)
		}
		return nil
	}
}

// writeFile writes the archive to path through a temporary file renamed
// into place, so a failed build leaves no half-written image.
func (a *archive) writeFile(dest string) error {
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-")
	if err != nil {
		return fmt.Errorf("create initrd: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := a.writeTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write initrd %s: %w", dest, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write initrd %s: %w", dest, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("install initrd %s: %w", dest, err)
	}
	return nil
}
