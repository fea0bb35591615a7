// SPDX-License-Identifier: Apache-2.0

// Package lock is an exclusive lock that works between the nodes of a cluster
// filesystem, not only between the processes of one node.
//
// POSIX record locks are node-local on GFS with localflocks (its default) and on
// some NFS setups, so the lock is a file created with O_CREAT|O_EXCL, which every
// cluster filesystem and NFSv3+ make atomic. The holder writes who it is (host,
// boot id, pid) and rewrites a heartbeat counter in it while it holds the lock.
// A waiter breaks the lock when its holder is a dead process on the waiter's own
// boot of the same host, or when the heartbeat has not changed for Stale as
// measured by the waiter's clock (so clocks of different nodes never matter).
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
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Options tune the lock. The zero value is usable.
type Options struct {
	// Stale is how long a holder's heartbeat may stay unchanged before the lock is
	// broken; 30s when zero.
	Stale time.Duration
	// Heartbeat is how often the holder proves it is alive; Stale/5 when zero.
	Heartbeat time.Duration
	// Poll is how often a waiter looks at the lock; 100ms when zero.
	Poll time.Duration
	// Purpose is written into the lock file for whoever has to wait ("osr cdsl add").
	Purpose string
	// Waiting is called once when the lock is held by someone else.
	Waiting func(holder Holder)
}

func (o *Options) defaults() {
	if o.Stale <= 0 {
		o.Stale = 30 * time.Second
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = o.Stale / 5
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
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
}

func (h Holder) String() string {
	return fmt.Sprintf("%s (pid %d on %s since %s)", h.Purpose, h.PID, h.Host, h.Since.Format(time.RFC3339))
}

// Lock is a held lock.
type Lock struct {
	dir  int
	name string
	me   Holder
	opts Options

	mu   sync.Mutex
	lost error
	stop chan struct{}
	done chan struct{}
}

// ErrLost is reported by Lost when another process broke the lock.
var ErrLost = errors.New("the lock was taken over by another process")

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

func acquire(ctx context.Context, dfd int, name string, opts Options) (*Lock, error) {
	opts.defaults()
	host, _ := os.Hostname()
	me := Holder{Host: host, BootID: bootID(), PID: os.Getpid(), Purpose: opts.Purpose, Token: token()}
	var (
		seen      []byte
		seenSince time.Time
		seenAny   bool // seen holds what was read last (a lock being created reads empty)
		told      bool
	)
	for {
		me.Since = time.Now().UTC()
		fd, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err == nil {
			l := &Lock{dir: dfd, name: name, me: me, opts: opts, stop: make(chan struct{}), done: make(chan struct{})}
			werr := writeAt(fd, me)
			unix.Close(fd)
			if werr != nil {
				unix.Unlinkat(dfd, name, 0)
				return nil, fmt.Errorf("write lock %s: %w", name, werr)
			}
			go l.heartbeat()
			return l, nil
		}
		if err != unix.EEXIST {
			return nil, fmt.Errorf("create lock %s: %w", name, err)
		}
		data, rerr := readAt(dfd, name)
		if rerr == nil {
			var h Holder
			jerr := json.Unmarshal(data, &h)
			switch {
			case jerr == nil && h.BootID == me.BootID && h.Host == me.Host && !alive(h.PID):
				// The holder died on this very boot of this host: no need to wait.
				if err := breakLock(dfd, name, data, me.Token); err != nil {
					return nil, err
				}
				continue
			case !seenAny || !bytes.Equal(data, seen):
				seen, seenSince, seenAny = data, time.Now(), true
				if !told && jerr == nil && opts.Waiting != nil {
					opts.Waiting(h)
					told = true
				}
			case time.Since(seenSince) >= opts.Stale:
				if err := breakLock(dfd, name, data, me.Token); err != nil {
					return nil, err
				}
				continue
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for lock %s: %w", name, ctx.Err())
		case <-time.After(opts.Poll):
		}
	}
}

// breakLock removes a stale lock file whose content is stale. It renames the file
// away first and checks it is still the one judged stale, so a lock taken in the
// meantime by someone else is put back rather than removed.
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
		if err := l.beat(); err != nil {
			l.mu.Lock()
			l.lost = err
			l.mu.Unlock()
			return
		}
	}
}

func (l *Lock) beat() error {
	data, err := readAt(l.dir, l.name)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLost, err)
	}
	var h Holder
	if json.Unmarshal(data, &h) != nil || h.Token != l.me.Token {
		return fmt.Errorf("%w (now held by %s)", ErrLost, h)
	}
	l.me.Beat++
	fd, err := unix.Openat(l.dir, l.name, unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLost, err)
	}
	defer unix.Close(fd)
	return writeAt(fd, l.me)
}

// Lost returns an error when the lock is no longer held; callers check it between
// steps of a long operation.
func (l *Lock) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Release stops the heartbeat and removes the lock file if it is still ours.
func (l *Lock) Release() error {
	close(l.stop)
	<-l.done
	defer unix.Close(l.dir)
	data, err := readAt(l.dir, l.name)
	if err != nil {
		return nil
	}
	var h Holder
	if json.Unmarshal(data, &h) == nil && h.Token == l.me.Token {
		if err := unix.Unlinkat(l.dir, l.name, 0); err != nil && err != unix.ENOENT {
			return fmt.Errorf("release lock %s: %w", l.name, err)
		}
	}
	return nil
}

func writeAt(fd int, h Holder) error {
	data, _ := json.Marshal(h)
	data = append(data, '\n')
	if err := unix.Ftruncate(fd, 0); err != nil {
		return err
	}
	if _, err := unix.Pwrite(fd, data, 0); err != nil {
		return err
	}
	return unix.Fsync(fd)
}

func readAt(dfd int, name string) ([]byte, error) {
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(f)
	return b.Bytes(), err
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || err == unix.EPERM
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
