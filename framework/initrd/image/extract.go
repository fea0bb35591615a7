// SPDX-License-Identifier: Apache-2.0

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// ExtractStats reports what Extract did.
type ExtractStats struct {
	Files, Dirs, Symlinks, Devices, Hardlinks int
	// Skipped lists entries that were not extracted and why: names that would
	// leave the directory, parents that are not directories, device nodes
	// without the privilege to create them.
	Skipped []string
}

// Extract unpacks every entry into dir, which must exist, as the kernel would
// unpack the image: later entries replace earlier ones and hardlinks are
// recreated. It never writes outside dir: names with ".." are refused, and no
// symlink is followed, neither one in the archive nor one already in dir; an
// entry below a symlink is skipped. Owners are applied when running as root.
func (im *Image) Extract(ctx context.Context, dir string) (ExtractStats, error) {
	return extract(ctx, im.f, im.size, dir)
}

// Extract unpacks every entry into dir in one pass over the image; see Image.Extract.
func (f *Stream) Extract(ctx context.Context, dir string) (ExtractStats, error) {
	st, err := extract(ctx, f.f, f.size, dir)
	if err != nil {
		return st, fmt.Errorf("%s: %w", f.path, err)
	}
	return st, nil
}

func extract(ctx context.Context, ra io.ReaderAt, size int64, dir string) (ExtractStats, error) {
	rootFD, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return ExtractStats{}, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(rootFD)
	x := &extractor{root: rootFD, dir: dir, asRoot: os.Geteuid() == 0, links: map[linkKey]string{}}
	_, err = walk(ctx, ra, size, func(h *Header, body io.Reader) error {
		if err := x.entry(h, body); err != nil {
			var skip skipError
			if errors.As(err, &skip) {
				x.stats.Skipped = append(x.stats.Skipped, fmt.Sprintf("%s: %s", h.Name, skip.reason))
				return nil
			}
			return fmt.Errorf("extracting %s: %w", h.Name, err)
		}
		return nil
	})
	if err != nil {
		return x.stats, err
	}
	return x.stats, x.finishDirs()
}

type linkKey struct {
	archive int
	ino     uint32
	dev     [2]uint32
}

type extractor struct {
	root   int
	dir    string
	asRoot bool
	links  map[linkKey]string // hardlink group → first name extracted
	dirs   []*Header          // modes and times applied last, deepest first
	stats  ExtractStats
}

// skipError marks an entry that is left out rather than failing the extraction.
type skipError struct{ reason string }

func (s skipError) Error() string { return s.reason }

func (x *extractor) entry(h *Header, body io.Reader) error {
	name := h.Name
	if name == "." {
		return nil // the root itself
	}
	if name == ".." || strings.HasPrefix(name, "../") {
		return skipError{"name contains \"..\" and would leave the directory"}
	}
	parent, base, err := x.openParent(name)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	if h.Kind == Dir {
		return x.mkdir(parent, base, h)
	}
	if err := removeExisting(parent, base); err != nil {
		return err
	}
	switch h.Kind {
	case File:
		return x.file(parent, base, h, body)
	case Symlink:
		if err := unix.Symlinkat(h.Linkname, parent, base); err != nil {
			return fmt.Errorf("symlink: %w", err)
		}
		x.stats.Symlinks++
	case CharDevice, BlockDevice, Fifo:
		mode := map[Kind]uint32{CharDevice: unix.S_IFCHR, BlockDevice: unix.S_IFBLK, Fifo: unix.S_IFIFO}[h.Kind]
		err := unix.Mknodat(parent, base, mode|uint32(h.Mode.Perm()), int(unix.Mkdev(h.Major, h.Minor)))
		if errors.Is(err, unix.EPERM) {
			return skipError{fmt.Sprintf("creating a %s needs privilege", h.Kind)}
		}
		if err != nil {
			return fmt.Errorf("mknod: %w", err)
		}
		x.stats.Devices++
	}
	return x.finish(parent, base, h, true)
}

// openParent opens name's parent directory below the root, creating missing
// directories and refusing to pass through anything that is not a directory.
func (x *extractor) openParent(name string) (int, string, error) {
	dir, base := path.Split(name)
	fd, err := unix.Dup(x.root)
	if err != nil {
		return -1, "", err
	}
	for _, part := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
		if part == "" || part == "." {
			continue
		}
		next, err := unix.Openat(fd, part, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			if err = unix.Mkdirat(fd, part, 0o755); err == nil || errors.Is(err, unix.EEXIST) {
				next, err = unix.Openat(fd, part, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			}
		}
		unix.Close(fd)
		if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			return -1, "", skipError{fmt.Sprintf("parent %q is not a directory (symlinks are not followed)", part)}
		}
		if err != nil {
			return -1, "", fmt.Errorf("opening parent %q: %w", part, err)
		}
		fd = next
	}
	return fd, base, nil
}

// removeExisting removes whatever is at base so a new entry can take its place;
// a directory must be empty, as the kernel's unpacker requires.
func removeExisting(parent int, base string) error {
	var st unix.Stat_t
	err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	flags := 0
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		flags = unix.AT_REMOVEDIR
	}
	err = unix.Unlinkat(parent, base, flags)
	if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
		return skipError{"a non-empty directory of that name is in the way"}
	}
	if err != nil {
		return fmt.Errorf("replacing the existing entry: %w", err)
	}
	return nil
}

func (x *extractor) mkdir(parent int, base string, h *Header) error {
	var st unix.Stat_t
	err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
		if err := removeExisting(parent, base); err != nil {
			return err
		}
	}
	if err := unix.Mkdirat(parent, base, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("mkdir: %w", err)
	}
	x.stats.Dirs++
	x.dirs = append(x.dirs, h)
	return nil
}

func (x *extractor) file(parent int, base string, h *Header, body io.Reader) error {
	key := linkKey{h.archive, h.Inode, h.dev}
	first, linked := "", false
	if h.Links > 1 {
		first, linked = x.links[key]
	}
	if linked {
		// Another name of a file already extracted: link to it. The link may carry
		// the content (GNU cpio stores it with the last name).
		fromParent, fromBase, err := x.openParent(first)
		if err != nil {
			return err
		}
		// The first name may have been replaced since (by a device node, a
		// symlink): link only to the regular file extracted for the group.
		var st unix.Stat_t
		if err := unix.Fstatat(fromParent, fromBase, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			unix.Close(fromParent)
			return skipError{fmt.Sprintf("hardlink to %s, which is no longer a regular file", first)}
		}
		err = unix.Linkat(fromParent, fromBase, parent, base, 0)
		unix.Close(fromParent)
		if err != nil {
			return fmt.Errorf("hardlink to %s: %w", first, err)
		}
		x.stats.Hardlinks++
		if h.stored == 0 {
			return nil
		}
	}
	flags := unix.O_WRONLY | unix.O_CREAT | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_TRUNC
	if !linked {
		flags |= unix.O_EXCL
	}
	fd, err := unix.Openat(parent, base, flags, 0o600)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	f := os.NewFile(uintptr(fd), path.Join(x.dir, h.Name))
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return skipError{"not a regular file once opened"}
	}
	if _, err := io.Copy(f, body); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if h.Links > 1 && !linked {
		x.links[key] = h.Name
	}
	if !linked {
		x.stats.Files++
	}
	if x.asRoot {
		if err := f.Chown(h.UID, h.GID); err != nil {
			return err
		}
	}
	if err := f.Chmod(h.Mode); err != nil { // after chown, which clears setuid
		return err
	}
	return x.finish(parent, base, h, false)
}

// finish applies owner (as root), and for non-files the mode, then the mtime.
func (x *extractor) finish(parent int, base string, h *Header, setOwnerMode bool) error {
	if setOwnerMode && x.asRoot {
		if err := unix.Fchownat(parent, base, h.UID, h.GID, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	if setOwnerMode && h.Kind != Symlink {
		if err := unix.Fchmodat(parent, base, h.Perm(), 0); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(h.ModTime.UnixNano()), unix.NsecToTimespec(h.ModTime.UnixNano())}
	if err := unix.UtimesNanoAt(parent, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set mtime: %w", err)
	}
	return nil
}

// finishDirs gives directories their modes, owners and times, deepest first so
// that a read-only directory is closed only after its contents are in place.
func (x *extractor) finishDirs() error {
	sort.SliceStable(x.dirs, func(i, j int) bool {
		return strings.Count(x.dirs[i].Name, "/") > strings.Count(x.dirs[j].Name, "/")
	})
	for _, h := range x.dirs {
		parent, base, err := x.openParent(h.Name)
		if err != nil {
			var skip skipError
			if errors.As(err, &skip) {
				continue // replaced by something else later in the archive
			}
			return err
		}
		var st unix.Stat_t
		if err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			unix.Close(parent)
			continue // replaced by something else later in the archive
		}
		err = x.finish(parent, base, h, true)
		unix.Close(parent)
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("extracting %s: %w", h.Name, err)
		}
	}
	return nil
}
