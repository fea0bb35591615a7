// SPDX-License-Identifier: Apache-2.0

package image

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sync/errgroup"
)

// statSources fills in the mode of files whose Mode comes from their source and
// records every source's size, then checks that files added twice at one path
// agree in mode and size.
func statSources(ctx context.Context, nodes []*node, workers int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, n := range nodes {
		if n.Kind != File {
			continue
		}
		for _, e := range append([]*Entry{&n.Entry}, n.alternates...) {
			if e.Source == "" {
				continue
			}
			g.Go(func() error {
				if err := ctx.Err(); err != nil {
					return err
				}
				fi, err := os.Stat(e.Source)
				if err != nil {
					return fmt.Errorf("%s: %w", e.Path, err)
				}
				if !fi.Mode().IsRegular() {
					return fmt.Errorf("%s: source %s is a %v, not a regular file", e.Path, e.Source, fi.Mode().Type())
				}
				if fi.Size() > maxBodyLen {
					return fmt.Errorf("%s: source %s is %d bytes; newc cpio holds at most 4 GiB - 1 per file", e.Path, e.Source, fi.Size())
				}
				e.statSize = fi.Size()
				if e.Mode == 0 {
					e.Mode = fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, n := range nodes {
		for _, alt := range n.alternates {
			if alt.Mode != n.Mode || alt.size() != n.size() {
				return n.conflict(alt)
			}
		}
	}
	return nil
}

// size is the length of a file's content (its source's size as stat saw it).
func (e *Entry) size() int64 {
	if e.Source != "" {
		return e.statSize
	}
	return int64(len(e.Data))
}

// contentHash reads e's content and returns its SHA-256.
func (e *Entry) contentHash() ([32]byte, error) {
	if e.Source == "" {
		return sha256.Sum256(e.Data), nil
	}
	f, err := os.Open(e.Source)
	if err != nil {
		return [32]byte{}, fmt.Errorf("%s: %w", e.Path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return [32]byte{}, fmt.Errorf("%s: reading %s: %w", e.Path, e.Source, err)
	}
	if n != e.statSize {
		return [32]byte{}, fmt.Errorf("%s: %s changed while the image was being written (%d bytes, then %d)", e.Path, e.Source, e.statSize, n)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, nil
}

// findIdentical hashes files whose size another file shares and returns, for every
// file that repeats an earlier file's content and metadata, the node it links to.
// It also rejects two different contents added at one path. known, when set,
// holds every file's hash already, and nothing is read.
func findIdentical(ctx context.Context, nodes []*node, workers int, known *contentSums) (map[*node]*node, error) {
	bySize := map[int64][]*node{}
	var toHash []*Entry
	for _, n := range nodes {
		if n.Kind != File {
			continue
		}
		if s := n.size(); s > 0 {
			bySize[s] = append(bySize[s], n)
		}
		if len(n.alternates) > 0 {
			toHash = append(toHash, &n.Entry)
			toHash = append(toHash, n.alternates...)
		}
	}
	for _, group := range bySize {
		if len(group) > 1 {
			for _, n := range group {
				if len(n.alternates) == 0 {
					toHash = append(toHash, &n.Entry)
				}
			}
		}
	}
	sums := make(map[*Entry][32]byte, len(toHash))
	if known != nil {
		for _, e := range toHash {
			sum, ok := known.get(e)
			if !ok {
				return nil, fmt.Errorf("internal error: no content hash for %s", e.Path)
			}
			sums[e] = sum
		}
	} else {
		hashes := make([][32]byte, len(toHash))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(workers)
		for i, e := range toHash {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				sum, err := e.contentHash()
				hashes[i] = sum
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for i, e := range toHash {
			sums[e] = hashes[i]
		}
	}
	for _, n := range nodes {
		for _, alt := range n.alternates {
			if sums[alt] != sums[&n.Entry] {
				return nil, fmt.Errorf("%w at %s: %s and %s differ in content", ErrConflict, n.Path, n.describe(), alt.describe())
			}
		}
	}
	type key struct {
		sum      [32]byte
		mode     fs.FileMode
		uid, gid int
	}
	first := map[key]*node{}
	links := map[*node]*node{}
	for _, n := range nodes { // sorted: the first path of a group carries the data
		sum, ok := sums[&n.Entry]
		if !ok {
			continue
		}
		k := key{sum, n.Mode, n.UID, n.GID}
		if f, ok := first[k]; ok {
			links[n] = f
		} else {
			first[k] = n
		}
	}
	return links, nil
}
