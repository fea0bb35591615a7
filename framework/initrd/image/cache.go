// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// DefaultCacheDir is where osr build keeps compressed segments between builds.
const DefaultCacheDir = "/var/cache/osr"

// DefaultCacheKeep is how many builds' segments a cache keeps.
const DefaultCacheKeep = 8

// Cache keeps the compressed segments of earlier builds, each under the hash
// of what decides its bytes (see Options.Cache). Its directory holds:
//
//	segments/<sha256>   a compressed segment, written once (temporary file,
//	                    fsync, rename), never changed; 0600, since segments
//	                    hold whatever the image holds
//	builds/<time>-<pid> the segments one build used, one hash a line
//	hashes.json         content hashes of source files by their stat
//	lock                flock(2): every build holds it shared; eviction
//	                    takes it exclusively, and only when no build runs
//
// Builds running at once share the cache: a segment both make is written
// twice with the same bytes, and a rename is atomic. A build killed at any
// point leaves no segment under its final name that is incomplete.
// Eviction keeps the segments used by the last Keep builds.
type Cache struct {
	dir  string
	keep int
	lock *os.File
	memo *hashMemo
	used []string // hex keys this build used, in image order
}

// OpenCache opens (creating it when needed) the cache in dir and holds it
// shared until Close. keep is how many builds' segments eviction keeps (0:
// DefaultCacheKeep).
func OpenCache(dir string, keep int) (*Cache, error) {
	if keep <= 0 {
		keep = DefaultCacheKeep
	}
	for _, d := range []string{dir, filepath.Join(dir, "segments"), filepath.Join(dir, "builds")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("image cache %s: %w", dir, err)
		}
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("image cache %s: %w", dir, err)
	}
	if err := flock(lock, unix.LOCK_SH); err != nil {
		lock.Close()
		return nil, fmt.Errorf("image cache %s: lock: %w", dir, err)
	}
	return &Cache{dir: dir, keep: keep, lock: lock, memo: loadMemo(filepath.Join(dir, "hashes.json"))}, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

func (c *Cache) segmentPath(key [32]byte) string {
	return filepath.Join(c.dir, "segments", hex.EncodeToString(key[:]))
}

// open returns the cached segment for key, or nil when there is none.
func (c *Cache) open(key [32]byte) (*os.File, error) {
	f, err := os.Open(c.segmentPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("image cache: %w", err)
	}
	return f, nil
}

// create starts a new cached segment for key; Commit gives it its name.
func (c *Cache) create(key [32]byte) (*atomicfile.File, error) {
	t, err := atomicfile.Create(c.segmentPath(key), atomicfile.Options{Mode: 0o600, Named: testHookNoTmpfile})
	if err != nil {
		return nil, fmt.Errorf("image cache: %w", err)
	}
	return t, nil
}

func (c *Cache) use(key [32]byte) { c.used = append(c.used, hex.EncodeToString(key[:])) }

// Close records the segments this build used, saves the content hashes,
// evicts what the last Keep builds did not use when no other build holds
// the cache, and lets go of it.
func (c *Cache) Close() error {
	if c.lock == nil {
		return nil
	}
	defer func() {
		c.lock.Close() // releases the lock
		c.lock = nil
	}()
	var errs []error
	if len(c.used) > 0 {
		name := fmt.Sprintf("%020d-%d", time.Now().UnixNano(), os.Getpid())
		data := strings.Join(c.used, "\n") + "\n"
		if err := atomicfile.WriteFile(filepath.Join(c.dir, "builds", name), []byte(data), 0o600); err != nil {
			errs = append(errs, fmt.Errorf("image cache: %w", err))
		}
	}
	if err := c.memo.save(filepath.Join(c.dir, "hashes.json")); err != nil {
		errs = append(errs, fmt.Errorf("image cache: %w", err))
	}
	if flock(c.lock, unix.LOCK_EX|unix.LOCK_NB) == nil {
		if err := c.evict(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// staleTemp is how old a named temporary file must be before eviction
// removes it (a writer that lacked O_TMPFILE and was killed).
const staleTemp = time.Hour

// evict removes the build records beyond the newest keep and every segment
// none of the kept records names. The caller holds the lock exclusively, so
// no build is running.
func (c *Cache) evict() error {
	bdir := filepath.Join(c.dir, "builds")
	ents, err := os.ReadDir(bdir)
	if err != nil {
		return fmt.Errorf("image cache: %w", err)
	}
	var records []string
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			records = append(records, e.Name())
		}
	}
	sort.Strings(records) // by time: the names start with zero-padded nanoseconds
	keepFrom := max(0, len(records)-c.keep)
	live := map[string]bool{}
	for i, name := range records {
		p := filepath.Join(bdir, name)
		if i < keepFrom {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("image cache: %w", err)
			}
			continue
		}
		if err := readKeys(p, live); err != nil {
			return err
		}
	}
	sdir := filepath.Join(c.dir, "segments")
	ents, err = os.ReadDir(sdir)
	if err != nil {
		return fmt.Errorf("image cache: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
				_ = os.Remove(filepath.Join(sdir, name))
			}
			continue
		}
		if !live[name] {
			if err := os.Remove(filepath.Join(sdir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("image cache: %w", err)
			}
		}
	}
	return nil
}

func readKeys(path string, into map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("image cache: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k := strings.TrimSpace(sc.Text()); k != "" {
			into[k] = true
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("image cache: %s: %w", path, err)
	}
	return nil
}
