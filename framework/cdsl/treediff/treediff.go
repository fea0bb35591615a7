// SPDX-License-Identifier: Apache-2.0

// Package treediff compares two file trees inside a confined root: which names
// only one of them has, and which differ in type, content, symlink target, mode,
// owner or device number. Timestamps are not compared: copies made at different
// times with the same content are the same.
package treediff

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"

	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
	"golang.org/x/sys/unix"
)

// Kind says how a name differs.
type Kind byte

// The kinds of difference.
const (
	OnlyA    Kind = '-' // the name exists in a only
	OnlyB    Kind = '+' // the name exists in b only
	Modified Kind = 'M' // both have it, and they differ
)

// Change is one difference. Path is relative to the compared trees ("" for their
// tops); Detail says what differs for Modified.
type Change struct {
	Kind   Kind
	Path   string
	Detail string
}

func (c Change) String() string {
	s := string(c.Kind) + " " + c.Path
	if c.Path == "" {
		s = string(c.Kind) + " ."
	}
	if c.Detail != "" {
		s += "  (" + c.Detail + ")"
	}
	return s
}

// Compare returns the differences between the trees a and b (names relative to
// the root of fsys; either may be a single file). Below a name that only one side
// has, nothing more is listed. The result is sorted by path.
func Compare(fsys *rootfs.FS, a, b string) ([]Change, error) {
	var out []Change
	if err := compare(fsys, a, b, "", &out); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Equal reports whether the trees a and b have no differences.
func Equal(fsys *rootfs.FS, a, b string) (bool, error) {
	ch, err := Compare(fsys, a, b)
	return len(ch) == 0, err
}

func compare(fsys *rootfs.FS, a, b, rel string, out *[]Change) error {
	pa, pb := path.Join(a, rel), path.Join(b, rel)
	sa, errA := fsys.Lstat(pa)
	sb, errB := fsys.Lstat(pb)
	switch {
	case errA != nil && errB != nil:
		return nil
	case errA != nil:
		*out = append(*out, Change{Kind: OnlyB, Path: rel})
		return nil
	case errB != nil:
		*out = append(*out, Change{Kind: OnlyA, Path: rel})
		return nil
	}
	ta, tb := sa.Mode&unix.S_IFMT, sb.Mode&unix.S_IFMT
	if ta != tb {
		*out = append(*out, Change{Kind: Modified, Path: rel, Detail: typeName(ta) + " vs " + typeName(tb)})
		return nil
	}
	var details []string
	if sa.Mode&0o7777 != sb.Mode&0o7777 && ta != unix.S_IFLNK {
		details = append(details, fmt.Sprintf("mode %04o vs %04o", sa.Mode&0o7777, sb.Mode&0o7777))
	}
	if sa.Uid != sb.Uid || sa.Gid != sb.Gid {
		details = append(details, fmt.Sprintf("owner %d:%d vs %d:%d", sa.Uid, sa.Gid, sb.Uid, sb.Gid))
	}
	switch ta {
	case unix.S_IFREG:
		same, err := sameContent(fsys, pa, pb, sa.Size, sb.Size)
		if err != nil {
			return err
		}
		if !same {
			details = append(details, "content")
		}
	case unix.S_IFLNK:
		la, err := fsys.Readlink(pa)
		if err != nil {
			return err
		}
		lb, err := fsys.Readlink(pb)
		if err != nil {
			return err
		}
		if la != lb {
			details = append(details, fmt.Sprintf("target %q vs %q", la, lb))
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		if sa.Rdev != sb.Rdev {
			details = append(details, "device number")
		}
	}
	if len(details) > 0 {
		d := details[0]
		for _, x := range details[1:] {
			d += ", " + x
		}
		*out = append(*out, Change{Kind: Modified, Path: rel, Detail: d})
	}
	if ta != unix.S_IFDIR {
		return nil
	}
	na, err := fsys.ReadDirNames(pa)
	if err != nil {
		return err
	}
	nb, err := fsys.ReadDirNames(pb)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, n := range append(na, nb...) {
		names[n] = true
	}
	for n := range names {
		if err := compare(fsys, a, b, path.Join(rel, n), out); err != nil {
			return err
		}
	}
	return nil
}

func sameContent(fsys *rootfs.FS, a, b string, sizeA, sizeB int64) (bool, error) {
	if sizeA != sizeB {
		return false, nil
	}
	fa, err := fsys.OpenFile(a, unix.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := fsys.OpenFile(b, unix.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, errA := io.ReadFull(fa, ba)
		nb, errB := io.ReadFull(fb, bb)
		if !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		endA := errA == io.EOF || errA == io.ErrUnexpectedEOF
		endB := errB == io.EOF || errB == io.ErrUnexpectedEOF
		if errA != nil && !endA {
			return false, errA
		}
		if errB != nil && !endB {
			return false, errB
		}
		if endA || endB {
			return endA == endB, nil
		}
	}
}

func typeName(t uint32) string {
	switch t {
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFREG:
		return "file"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	}
	return "unknown"
}
