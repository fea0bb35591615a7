// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Stream is an initrd opened for streaming: List, Cat and Extract each read the
// image once, front to back, and hold one entry at a time, so memory does not
// grow with the number of entries.
type Stream struct {
	path string
	f    *os.File
	size int64
}

// OpenStream opens the initrd at path for streaming reads.
func OpenStream(path string) (*Stream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return &Stream{path: path, f: f, size: fi.Size()}, nil
}

// Close releases the image file.
func (f *Stream) Close() error { return f.f.Close() }

// Size is the image file's length.
func (f *Stream) Size() int64 { return f.size }

// Bounds of what List holds back to give hardlinks the size of the content their
// group stores (GNU cpio stores it with the group's last name, after the others).
const (
	maxPendingEntries = 1 << 16 // entries held behind an unresolved hardlink
	maxLinkGroups     = 1 << 18 // content sizes remembered per archive
)

// List calls fn for every entry in archive order and returns the image's
// segments. A hardlink gets the size of the content its group stores, whichever
// of the names stores it; entries wait behind a hardlink whose content comes
// later, up to a bound (then, and at the end of its archive, it keeps size 0).
func (f *Stream) List(ctx context.Context, fn func(h *Header) error) ([]Segment, error) {
	l := &lister{fn: fn, sizes: map[linkKey]int64{}, waiting: map[linkKey]int{}, archive: -1}
	segs, err := walk(ctx, f.f, f.size, func(h *Header, _ io.Reader) error { return l.add(h) })
	if err == nil {
		err = l.flush(0)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	return segs, nil
}

type lister struct {
	fn      func(h *Header) error
	pending []pendingEntry // in archive order, held behind a hardlink waiting for its size
	waiting map[linkKey]int
	sizes   map[linkKey]int64 // content size of the hardlink groups seen in this archive
	archive int
}

type pendingEntry struct {
	h    Header
	wait bool // a hardlink whose group's content has not been seen yet
}

func (l *lister) add(h *Header) error {
	if h.archive != l.archive {
		if err := l.flush(0); err != nil {
			return err
		}
		l.archive = h.archive
		clear(l.sizes)
		clear(l.waiting)
	}
	wait := false
	if h.Kind == File && h.Links > 1 {
		key := linkKey{h.archive, h.Inode, h.dev}
		switch size, known := l.sizes[key]; {
		case h.stored > 0:
			if len(l.sizes) < maxLinkGroups {
				l.sizes[key] = h.stored
			}
			if l.waiting[key] > 0 {
				for i := range l.pending {
					p := &l.pending[i]
					if p.wait && (linkKey{p.h.archive, p.h.Inode, p.h.dev}) == key {
						p.h.Size, p.wait = h.stored, false
					}
				}
				delete(l.waiting, key)
			}
		case known:
			h.Size = size
		default:
			wait = true
			l.waiting[key]++
		}
	}
	if !wait && len(l.pending) == 0 {
		return l.fn(h)
	}
	l.pending = append(l.pending, pendingEntry{*h, wait})
	return l.flush(maxPendingEntries)
}

// flush hands on the pending entries that no longer wait, and more until at
// most keep remain.
func (l *lister) flush(keep int) error {
	n := 0
	for ; n < len(l.pending); n++ {
		p := &l.pending[n]
		if p.wait && len(l.pending)-n <= keep {
			break
		}
		if p.wait {
			k := linkKey{p.h.archive, p.h.Inode, p.h.dev}
			if l.waiting[k]--; l.waiting[k] <= 0 {
				delete(l.waiting, k)
			}
		}
		if err := l.fn(&p.h); err != nil {
			return err
		}
	}
	l.pending = append(l.pending[:0], l.pending[n:]...)
	return nil
}

// Cat writes the content of the file at name to w as the kernel would leave it:
// the last entry of that name wins, and a hardlink's content is found wherever its
// archive stored it. Symlinks are not followed. Only that one file's content is
// held in memory.
func (f *Stream) Cat(ctx context.Context, name string, w io.Writer) error {
	name = cleanName(name)
	var (
		found   bool
		last    Header
		content bytes.Buffer
		holder  bool // content holds the data of last's hardlink group
	)
	_, err := walk(ctx, f.f, f.size, func(h *Header, body io.Reader) error {
		if h.Name == name {
			found, last, holder = true, *h, false
			content.Reset()
			if h.Kind == File && h.stored > 0 {
				holder = true
				_, err := content.ReadFrom(body)
				return err
			}
			return nil
		}
		if found && !holder && last.Kind == File && last.Links > 1 && h.Kind == File && h.stored > 0 &&
			h.archive == last.archive && h.Inode == last.Inode && h.dev == last.dev {
			holder = true
			_, err := content.ReadFrom(body)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	if !found {
		return fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	if last.Kind != File {
		return fmt.Errorf("%s is a %s, not a file", name, last.Kind)
	}
	if !holder && last.Links > 1 {
		// The group's content came before the name: read it in a second pass.
		_, err := walk(ctx, f.f, f.size, func(h *Header, body io.Reader) error {
			if h.Kind == File && h.stored > 0 && h.archive == last.archive && h.Inode == last.Inode && h.dev == last.dev {
				_, err := content.ReadFrom(body)
				if err == nil {
					err = errStop
				}
				return err
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return fmt.Errorf("%s: %w", f.path, err)
		}
	}
	_, err = w.Write(content.Bytes())
	return err
}
