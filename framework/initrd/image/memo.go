// SPDX-License-Identifier: Apache-2.0

package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// contentSums holds the SHA-256 of every file's content for one write; a
// hashMemo spares reading files that did not change since an earlier build.
type contentSums struct {
	memo *hashMemo // nil: every source is read
	mu   sync.Mutex
	sums map[*Entry][32]byte
}

func newContentSums(memo *hashMemo) *contentSums {
	return &contentSums{memo: memo, sums: map[*Entry][32]byte{}}
}

func (c *contentSums) get(e *Entry) ([32]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sums[e]
	return s, ok
}

// fill hashes every file of nodes (alternates included) on up to workers
// goroutines.
func (c *contentSums) fill(ctx context.Context, nodes []*node, workers int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, n := range nodes {
		if n.Kind != File {
			continue
		}
		for _, e := range append([]*Entry{&n.Entry}, n.alternates...) {
			if e.Source == "" {
				c.mu.Lock()
				c.sums[e] = sha256.Sum256(e.Data)
				c.mu.Unlock()
				continue
			}
			g.Go(func() error {
				if err := ctx.Err(); err != nil {
					return err
				}
				sum, err := c.memo.sum(e)
				if err != nil {
					return err
				}
				c.mu.Lock()
				c.sums[e] = sum
				c.mu.Unlock()
				return nil
			})
		}
	}
	return g.Wait()
}

// hashMemo remembers the SHA-256 of host files by what stat says of them
// (device, inode, size, modification and change times, to the nanosecond),
// as git's index does: a file whose stat is unchanged is not read again. The
// change time moves with every write and cannot be set back, so an unchanged
// stat means unchanged content. A file changed less than memoSettle before it
// was hashed is not remembered (its next change could keep the same times).
type hashMemo struct {
	mu   sync.Mutex
	old  map[string]memoEntry // as loaded
	seen map[string]memoEntry // looked up or hashed in this build
}

// memoSettle is how long a file must have been unchanged to be remembered.
var memoSettle = 2 * time.Second

// memoLimit bounds the entries kept: those of this build first, then older ones.
const memoLimit = 50000

type memoEntry struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime_ns"`
	Ctime int64  `json:"ctime_ns"`
	Sum   string `json:"sha256"`
}

func statKey(st *unix.Stat_t) memoEntry {
	return memoEntry{Dev: st.Dev, Ino: st.Ino, Size: st.Size, Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}
}

func (a memoEntry) sameFile(b memoEntry) bool {
	return a.Dev == b.Dev && a.Ino == b.Ino && a.Size == b.Size && a.Mtime == b.Mtime && a.Ctime == b.Ctime
}

// loadMemo reads the memo at path; a missing or unreadable one is empty (it
// is only a shortcut: every entry is checked against the file's stat).
func loadMemo(path string) *hashMemo {
	m := &hashMemo{old: map[string]memoEntry{}, seen: map[string]memoEntry{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return m
	}
	if json.Unmarshal(data, &m.old) != nil {
		m.old = map[string]memoEntry{}
	}
	return m
}

// sum returns the SHA-256 of e's source: remembered when its stat is
// unchanged, else read (and checked against the size the plan recorded).
func (m *hashMemo) sum(e *Entry) ([32]byte, error) {
	var zero [32]byte
	f, err := os.Open(e.Source)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", e.Path, err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return zero, fmt.Errorf("%s: stat %s: %w", e.Path, e.Source, err)
	}
	if st.Size != e.statSize {
		return zero, fmt.Errorf("%s: %s changed while the image was being written (%d bytes, then %d)", e.Path, e.Source, e.statSize, st.Size)
	}
	now := statKey(&st)
	if m != nil {
		m.mu.Lock()
		old, ok := m.old[e.Source]
		m.mu.Unlock()
		if ok && old.sameFile(now) {
			if sum, err := hex.DecodeString(old.Sum); err == nil && len(sum) == len(zero) {
				m.remember(e.Source, old)
				return [32]byte(sum), nil
			}
		}
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return zero, fmt.Errorf("%s: reading %s: %w", e.Path, e.Source, err)
	}
	if n != e.statSize {
		return zero, fmt.Errorf("%s: %s changed while the image was being written (%d bytes, then %d)", e.Path, e.Source, e.statSize, n)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	var after unix.Stat_t
	settled := time.Since(time.Unix(0, max(now.Mtime, now.Ctime))) > memoSettle
	if m != nil && settled && unix.Fstat(int(f.Fd()), &after) == nil && statKey(&after).sameFile(now) {
		now.Sum = hex.EncodeToString(sum[:])
		m.remember(e.Source, now)
	}
	return sum, nil
}

func (m *hashMemo) remember(path string, e memoEntry) {
	m.mu.Lock()
	m.seen[path] = e
	m.mu.Unlock()
}

// save writes the memo atomically: this build's entries, then older ones up
// to memoLimit. Two builds saving at once each leave a whole memo.
func (m *hashMemo) save(path string) error {
	m.mu.Lock()
	out := make(map[string]memoEntry, len(m.seen))
	for p, e := range m.seen {
		out[p] = e
	}
	for p, e := range m.old {
		if len(out) >= memoLimit {
			break
		}
		if _, ok := out[p]; !ok {
			out[p] = e
		}
	}
	m.mu.Unlock()
	data, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("hash memo: %w", err)
	}
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("hash memo: %w", err)
	}
	return nil
}
