// SPDX-License-Identifier: Apache-2.0

// Package lock is an exclusive lock that works between the nodes of a cluster
// filesystem, not only between the processes of one node, with fencing: a holder
// that lost the lock (stopped, stalled on the storage, suspended) finds out before
// it changes anything more.
//
// POSIX record locks are node-local on GFS with localflocks (its default) and on
// some NFS setups, so the lock is a file: its content is written to a private name
// first and hard-linked to the lock name, which every cluster filesystem and NFS
// make atomic (an O_CREAT|O_EXCL create is the fallback where links are not
// supported). The holder writes who it is (host, boot id, pid) and rewrites a
// heartbeat counter in it while it holds the lock. A waiter breaks the lock when
// its holder is a dead process on the waiter's own boot of the same host, or when
// the heartbeat has not changed for Stale as measured by the waiter's clock (so
// clocks of different nodes never matter).
//
// Every holder gets a generation, one more than the last one handed out: the
// counter is kept in the file "<name>.generation" beside the lock and written
// while the lock is held, so it only grows. Before every step that changes
// something the holder calls Verify, which reads the lock file and checks that it
// still names this holder and this generation; Valid is the cheap check for tight
// loops: it trusts a lease (half of Stale since the last confirmed heartbeat,
// measured on CLOCK_BOOTTIME, which keeps counting while the process is stopped or
// the machine suspended) and reads the file only when the lease ran out. A lost
// lock stays lost: the holder never writes the lock file again.
package lock

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// Options tune the lock. The zero value is usable.
type Options struct {
	// Stale is how long a holder's heartbeat may stay unchanged before the lock is
	// broken; 30s when zero. A waiter never uses less than the Stale the holder
	// declared in the lock file.
	Stale time.Duration
	// Heartbeat is how often the holder proves it is alive; Stale/5 when zero.
	Heartbeat time.Duration
	// Poll is how often a waiter looks at the lock; 100ms when zero.
	Poll time.Duration
	// Notice is how long a waiter waits before it calls Waiting; 1s when zero.
	Notice time.Duration
	// Garbage is how long a lock file that is not an osr lock may stay unchanged
	// before Acquire gives up with ErrGarbage (a lock file being written by an
	// older osr is empty for a moment); 1s when zero.
	Garbage time.Duration
	// Purpose is written into the lock file for whoever has to wait ("osr cdsl add").
	Purpose string
	// Path is the lock file's name as messages show it (a host path); the name
	// given to Acquire when empty.
	Path string
	// Waiting is called once when the lock is held by a live holder for longer
	// than Notice.
	Waiting func(holder Holder, stale time.Duration)
}

func (o *Options) defaults(name string) {
	if o.Stale <= 0 {
		o.Stale = 30 * time.Second
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = o.Stale / 5
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	if o.Notice <= 0 {
		o.Notice = time.Second
	}
	if o.Garbage <= 0 {
		o.Garbage = time.Second
	}
	if o.Path == "" {
		o.Path = name
	}
}

// Holder is what a lock file says about its holder.
type Holder struct {
	Host    string    `json:"host"`
	BootID  string    `json:"boot_id"`
	PID     int       `json:"pid"`
	Purpose string    `json:"purpose,omitempty"`
	Since   time.Time `json:"since"`
	Token   string    `json:"token"`
	Beat    uint64    `json:"beat"`
	// Generation is the holder's place in the sequence of holders of this lock.
	Generation uint64 `json:"generation"`
	// StaleMS is the holder's Stale in milliseconds: waiters wait at least that long.
	StaleMS int64 `json:"stale_ms,omitempty"`
}

func (h Holder) String() string {
	what := h.Purpose
	if what == "" {
		what = "a process"
	}
	return fmt.Sprintf("%s (pid %d on node %s, generation %d, since %s)", what, h.PID, h.Host, h.Generation, h.Since.Format(time.RFC3339))
}

// Lock is a held lock.
type Lock struct {
	dir  int
	name string
	opts Options

	mu        sync.Mutex // serializes confirmations and guards what follows
	me        Holder
	lost      error
	confirmed time.Duration // CLOCK_BOOTTIME of the start of the last confirmation
	released  bool

	stop chan struct{}
	done chan struct{}
}

// ErrLost is reported (wrapped) when another process broke the lock.
var ErrLost = errors.New("the lock was taken over by another process")

// ErrGarbage is reported (wrapped) by Acquire when the lock file holds something
// that is not an osr lock.
var ErrGarbage = errors.New("the lock file is not an osr lock")

// Acquire takes the lock file name in the directory dir, waiting until it is free
// or ctx ends. The lock keeps its own descriptor of dir; the caller may close dir.
func Acquire(ctx context.Context, dir *os.File, name string, opts Options) (*Lock, error) {
	dfd, err := unix.FcntlInt(dir.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	l, err := acquire(ctx, dfd, name, opts)
	if err != nil {
		unix.Close(dfd)
	}
	return l, err
}

// GenerationFile is the name of the file beside the lock file name that keeps the
// last generation handed out.
func GenerationFile(name string) string { return name + ".generation" }

func acquire(ctx context.Context, dfd int, name string, opts Options) (*Lock, error) {
	opts.defaults(name)
	host, _ := os.Hostname()
	me := Holder{Host: host, BootID: bootID(), PID: os.Getpid(), Purpose: opts.Purpose, Token: token(),
		StaleMS: opts.Stale.Milliseconds()}
	start := time.Now()
	var (
		seen         []byte
		seenSince    time.Time
		seenAny      bool // seen holds the last holder read
		garbage      []byte
		garbageSince time.Time
		garbageAny   bool
		told         bool
		maxGen       uint64 // the highest generation seen in a lock file
	)
	for {
		me.Since = time.Now().UTC()
		fd, err := create(dfd, name, me)
		if err == nil {
			return held(dfd, fd, name, me, opts, maxGen)
		}
		if !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("create lock %s: %w", opts.Path, err)
		}
		data, rerr := readAt(dfd, name)
		switch {
		case errors.Is(rerr, unix.ENOENT):
			continue // released in the meantime
		case rerr != nil:
			return nil, fmt.Errorf("read lock %s: %w", opts.Path, rerr)
		}
		h, ok := parse(data)
		if !ok {
			seenAny = false
			if !garbageAny || !bytes.Equal(data, garbage) {
				garbage, garbageSince, garbageAny = data, time.Now(), true
			} else if time.Since(garbageSince) >= opts.Garbage {
				return nil, garbageError(opts.Path, data)
			}
		} else {
			garbageAny = false
			maxGen = max(maxGen, h.Generation)
			stale := max(opts.Stale, time.Duration(h.StaleMS)*time.Millisecond)
			switch {
			case h.BootID != "" && h.BootID == me.BootID && h.Host == me.Host && !alive(h.PID):
				// The holder died on this very boot of this host: no need to wait.
				if err := breakLock(dfd, name, data, me.Token); err != nil {
					return nil, err
				}
				continue
			case !seenAny || !bytes.Equal(data, seen):
				seen, seenSince, seenAny = data, time.Now(), true
			case time.Since(seenSince) >= stale:
				if err := breakLock(dfd, name, data, me.Token); err != nil {
					return nil, err
				}
				continue
			}
			if !told && time.Since(start) >= opts.Notice && opts.Waiting != nil {
				opts.Waiting(h, stale)
				told = true
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for lock %s: %w", opts.Path, ctx.Err())
		case <-time.After(opts.Poll):
		}
	}
}

func garbageError(where string, data []byte) error {
	shown := string(data)
	if len(shown) > 60 {
		shown = shown[:60] + "…"
	}
	what := fmt.Sprintf("it holds %q", shown)
	if len(bytes.TrimSpace(data)) == 0 {
		what = "it is empty"
	}
	return fmt.Errorf("%w: %s (%s). If no osr command is running on any node, remove it (rm %s) and run the command again",
		ErrGarbage, where, what, where)
}

// parse reads a lock file's content; ok is false when it is not an osr lock.
func parse(data []byte) (Holder, bool) {
	var h Holder
	if err := json.Unmarshal(data, &h); err != nil || h.Token == "" || h.PID <= 0 {
		return h, false
	}
	return h, true
}

// create makes the lock file with me as its content, atomically: the content is
// written to a private name and hard-linked to name, so a reader never sees an
// empty or half-written lock. It returns the open descriptor of the lock file.
func create(dfd int, name string, me Holder) (int, error) {
	private := name + ".new." + me.Token
	fd, err := unix.Openat(dfd, private, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return -1, err
	}
	if err := writeFD(fd, me); err != nil {
		unix.Close(fd)
		unix.Unlinkat(dfd, private, 0)
		return -1, err
	}
	lerr := unix.Linkat(dfd, private, dfd, name, 0)
	if lerr != nil && !errors.Is(lerr, unix.EEXIST) {
		// NFS may lose the reply of a link that succeeded: the link count tells.
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Nlink == 2 {
			lerr = nil
		}
	}
	unix.Unlinkat(dfd, private, 0)
	switch {
	case lerr == nil:
		return fd, nil
	case errors.Is(lerr, unix.EEXIST):
		unix.Close(fd)
		return -1, lerr
	case errors.Is(lerr, unix.EPERM), errors.Is(lerr, unix.EOPNOTSUPP), errors.Is(lerr, unix.ENOSYS):
		// No hard links here: an exclusive create, then the content.
		unix.Close(fd)
		fd, err = unix.Openat(dfd, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return -1, err
		}
		if err := writeFD(fd, me); err != nil {
			unix.Close(fd)
			unix.Unlinkat(dfd, name, 0)
			return -1, err
		}
		return fd, nil
	}
	unix.Close(fd)
	return -1, lerr
}

// held finishes taking the lock: it hands out the next generation and starts the
// heartbeat.
func held(dfd, fd int, name string, me Holder, opts Options, seen uint64) (*Lock, error) {
	defer unix.Close(fd)
	fail := func(err error) (*Lock, error) {
		unix.Unlinkat(dfd, name, 0)
		return nil, err
	}
	gen := max(readGeneration(dfd, GenerationFile(name)), seen) + 1
	if err := atomicfile.WriteFileAt(dfd, filepath.Dir(opts.Path), GenerationFile(name), []byte(strconv.FormatUint(gen, 10)+"\n"), 0o644); err != nil {
		return fail(fmt.Errorf("lock %s: record generation %d: %w", opts.Path, gen, err))
	}
	me.Generation = gen
	if err := writeFD(fd, me); err != nil {
		return fail(fmt.Errorf("write lock %s: %w", opts.Path, err))
	}
	l := &Lock{dir: dfd, name: name, me: me, opts: opts, confirmed: boottime(),
		stop: make(chan struct{}), done: make(chan struct{})}
	removeLeftovers(dfd, name, opts.Stale)
	go l.heartbeat()
	return l, nil
}

// removeLeftovers removes the private, broken and released names of the lock
// that processes killed at the wrong moment left behind, once they are older
// than stale (a younger one may belong to a process still at work).
func removeLeftovers(dfd int, name string, stale time.Duration) {
	names, err := atomicfile.NamesAt(dfd)
	if err != nil {
		return
	}
	for _, n := range names {
		if !strings.HasPrefix(n, name+".new.") && !strings.HasPrefix(n, name+".broken.") && !strings.HasPrefix(n, name+".released.") {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(dfd, n, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		if time.Since(time.Unix(st.Mtim.Unix())) > stale {
			unix.Unlinkat(dfd, n, 0)
		}
	}
}

// readGeneration returns the generation recorded in file, 0 when there is none
// or it cannot be read (the generations seen in lock files still count).
func readGeneration(dfd int, file string) uint64 {
	data, err := readAt(dfd, file)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// breakLock removes a stale lock file whose content is stale. It renames the file
// away first and checks it is still the one judged stale, so a lock taken in the
// meantime by someone else (or refreshed by a holder that was only slow) is put
// back rather than removed.
func breakLock(dfd int, name string, stale []byte, mine string) error {
	aside := name + ".broken." + mine
	if err := unix.Renameat(dfd, name, dfd, aside); err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return fmt.Errorf("break stale lock %s: %w", name, err)
	}
	data, err := readAt(dfd, aside)
	if err == nil && !bytes.Equal(data, stale) {
		// Someone else's fresh lock: put it back unless a newer one appeared.
		if err := unix.Renameat2(dfd, aside, dfd, name, unix.RENAME_NOREPLACE); err == nil {
			return nil
		}
	}
	unix.Unlinkat(dfd, aside, 0)
	return nil
}

func (l *Lock) heartbeat() {
	defer close(l.done)
	t := time.NewTicker(l.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		if l.confirm(true) != nil {
			return
		}
	}
}

// confirm checks, through one descriptor, that the lock file still names this
// holder and generation, rewrites the heartbeat when beat is set, and checks that
// the name still leads to that file. The first failure is remembered for good.
func (l *Lock) confirm(beat bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return l.lost
	}
	if l.released {
		return fmt.Errorf("%w: %s was released", ErrLost, l.opts.Path)
	}
	start := boottime()
	lose := func(why string) error {
		l.lost = fmt.Errorf("%w: this process held %s as generation %d, %s", ErrLost, l.opts.Path, l.me.Generation, why)
		return l.lost
	}
	fd, err := unix.Openat(l.dir, l.name, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return lose("and the lock file is gone")
		}
		return fmt.Errorf("check lock %s: %w", l.opts.Path, err)
	}
	defer unix.Close(fd)
	data, err := readFD(fd)
	if err != nil {
		return fmt.Errorf("check lock %s: %w", l.opts.Path, err)
	}
	h, ok := parse(data)
	switch {
	case !ok:
		return lose("and the lock file now holds something else")
	case h.Token != l.me.Token || h.Generation != l.me.Generation:
		return lose("and it is now held by " + h.String())
	}
	if beat {
		l.me.Beat++
		if err := writeFD(fd, l.me); err != nil {
			return fmt.Errorf("heartbeat %s: %w", l.opts.Path, err)
		}
	}
	var byFD, byName unix.Stat_t
	if err := unix.Fstat(fd, &byFD); err != nil {
		return fmt.Errorf("check lock %s: %w", l.opts.Path, err)
	}
	if err := unix.Fstatat(l.dir, l.name, &byName, unix.AT_SYMLINK_NOFOLLOW); err != nil || byName.Ino != byFD.Ino || byName.Dev != byFD.Dev {
		return lose("and the lock file was broken")
	}
	l.confirmed = start
	return nil
}

// Generation returns the holder's generation: every holder of the lock gets a
// higher one than all before it.
func (l *Lock) Generation() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.me.Generation
}

// Valid returns an error wrapping ErrLost when the lock is no longer held. It is
// cheap: within the lease (Stale/2 after the last confirmed heartbeat, on a clock
// that keeps counting while the process is stopped) it reads nothing; after it,
// it confirms the lock (and beats) before it answers.
func (l *Lock) Valid() error {
	l.mu.Lock()
	lost, fresh := l.lost, boottime()-l.confirmed < l.opts.Stale/2
	l.mu.Unlock()
	if lost != nil {
		return lost
	}
	if fresh {
		return nil
	}
	return l.confirm(true)
}

// Verify reads the lock file and returns an error wrapping ErrLost unless it
// still names this holder and generation. Callers run it before every step that
// changes something.
func (l *Lock) Verify() error {
	l.mu.Lock()
	fresh := boottime()-l.confirmed < l.opts.Stale/2
	l.mu.Unlock()
	return l.confirm(!fresh)
}

// Lost returns an error when the lock is known to be lost; Valid and Verify also
// look.
func (l *Lock) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Release stops the heartbeat and removes the lock file if it is still this
// holder's. A lost lock is left alone: it belongs to someone else now.
func (l *Lock) Release() error {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	defer unix.Close(l.dir)
	l.released = true
	if l.lost != nil {
		return nil
	}
	aside := l.name + ".released." + l.me.Token
	if err := unix.Renameat(l.dir, l.name, l.dir, aside); err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return fmt.Errorf("release lock %s: %w", l.opts.Path, err)
	}
	data, err := readAt(l.dir, aside)
	if h, ok := parse(data); err == nil && (!ok || h.Token != l.me.Token) {
		// Not ours any more: put it back unless a newer one appeared.
		if unix.Renameat2(l.dir, aside, l.dir, l.name, unix.RENAME_NOREPLACE) == nil {
			return nil
		}
	}
	if err := unix.Unlinkat(l.dir, aside, 0); err != nil && err != unix.ENOENT {
		return fmt.Errorf("release lock %s: %w", l.opts.Path, err)
	}
	return nil
}

// lockSize is the size lock files are padded to, so a heartbeat overwrites the
// content in place without truncating it first (a reader never sees it empty).
const lockSize = 512

func writeFD(fd int, h Holder) error {
	data, _ := json.Marshal(h)
	n := max(lockSize, (len(data)/lockSize+1)*lockSize)
	buf := bytes.Repeat([]byte{' '}, n)
	copy(buf, data)
	buf[n-1] = '\n'
	if _, err := unix.Pwrite(fd, buf, 0); err != nil {
		return err
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil && st.Size > int64(n) {
		if err := unix.Ftruncate(fd, int64(n)); err != nil {
			return err
		}
	}
	return unix.Fsync(fd)
}

func readFD(fd int) ([]byte, error) {
	var b bytes.Buffer
	buf := make([]byte, 4096)
	for off := int64(0); ; {
		n, err := unix.Pread(fd, buf, off)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return b.Bytes(), nil
		}
		b.Write(buf[:n])
		off += int64(n)
		if b.Len() > 1<<20 {
			return b.Bytes(), nil
		}
	}
}

func readAt(dfd int, name string) ([]byte, error) {
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readFD(fd)
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || err == unix.EPERM
}

// boottime is CLOCK_BOOTTIME: it keeps counting while the process is stopped
// and while the machine is suspended.
func boottime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	}
	return time.Duration(ts.Nano())
}

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func token() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
