// SPDX-License-Identifier: Apache-2.0

// Package atomicfile replaces files so that a reader, or the next boot after a
// crash, sees the old content or the new, never a mix or nothing: the new
// content goes to a temporary file in the same directory (unnamed, with
// O_TMPFILE, where the filesystem and /proc allow it), is fsynced, renamed
// over the old name, and the directory is fsynced so the rename survives a
// power cut.
//
// A named temporary file is ".NAME.osr-tmp-PID-RANDOM"; one that a killed
// writer left behind is removed by the next write of NAME in that directory.
//
//	err := atomicfile.WriteFile("/etc/cluster/cluster.conf", data, 0o640)
//
// or, to stream:
//
//	f, err := atomicfile.Create(path, atomicfile.Options{Mode: 0o600})
//	if err != nil { … }
//	defer f.Discard() // does nothing after a successful Commit
//	if _, err := io.Copy(f, src); err != nil { return err }
//	return f.Commit()
//
// CreateAt and WriteFileAt work in a directory the caller opened, so code that
// resolves paths itself (inside a root, with openat2) keeps its guarantees.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Options say how the new file is made.
type Options struct {
	// Mode is the file's permission bits, not narrowed by the umask; 0 means 0600.
	Mode os.FileMode
	// Named uses a named temporary file even where O_TMPFILE works (tests of
	// the fallback).
	Named bool
}

// File is the new content of a file, invisible under its name until Commit.
type File struct {
	f       *os.File
	dirfd   int
	ownDir  bool   // dirfd was opened by Create and is closed with the file
	dirName string // for messages
	base    string
	temp    string // the named temporary file, "" while the file is unnamed
	done    bool
}

// Create starts the new content of path.
func Create(path string, o Options) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return nil, fmt.Errorf("write %s: the name is a directory", path)
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "write " + base + " in", Path: dir, Err: err}
	}
	f, err := CreateAt(dfd, dir, base, o)
	if err != nil {
		unix.Close(dfd)
		return nil, err
	}
	f.ownDir = true
	return f, nil
}

// CreateAt starts the new content of base in the directory dirfd (opened
// O_RDONLY, not O_PATH, so it can be fsynced; the caller keeps it open until
// Commit or Discard). dirName names the directory in messages.
func CreateAt(dirfd int, dirName, base string, o Options) (*File, error) {
	if base == "" || base == "." || base == ".." || strings.Contains(base, "/") {
		return nil, fmt.Errorf("write %q in %s: not a file name", base, dirName)
	}
	mode := o.Mode.Perm()
	if mode == 0 {
		mode = 0o600
	}
	removeStaleTemps(dirfd, base)
	t := &File{dirfd: dirfd, dirName: dirName, base: base}
	if !o.Named && procFD() {
		fd, err := unix.Openat(dirfd, ".", unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, uint32(mode))
		if err == nil {
			t.f = os.NewFile(uintptr(fd), filepath.Join(dirName, "(unnamed "+base+")"))
		}
	}
	if t.f == nil {
		for i := 0; ; i++ {
			name := t.tempName(i)
			fd, err := unix.Openat(dirfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(mode))
			if errors.Is(err, unix.EEXIST) && i < 100 {
				continue
			}
			if err != nil {
				return nil, &os.PathError{Op: "create a temporary file for", Path: filepath.Join(dirName, base), Err: err}
			}
			t.f, t.temp = os.NewFile(uintptr(fd), filepath.Join(dirName, name)), name
			break
		}
	}
	if err := t.f.Chmod(mode); err != nil { // the umask narrowed it
		t.Discard()
		return nil, fmt.Errorf("write %s: %w", t.path(), err)
	}
	return t, nil
}

// Write writes to the new content.
func (t *File) Write(p []byte) (int, error) { return t.f.Write(p) }

// File is the open temporary file, for calls Write does not cover (Chmod,
// ReadFrom). Do not close it: Commit and Discard do.
func (t *File) File() *os.File { return t.f }

func (t *File) path() string { return filepath.Join(t.dirName, t.base) }

// Commit makes the new content durable and gives it the file's name: fsync,
// rename over the old file, fsync of the directory.
func (t *File) Commit() error {
	if t.done {
		return fmt.Errorf("write %s: already committed or discarded", t.path())
	}
	if err := t.f.Sync(); err != nil {
		t.Discard()
		return fmt.Errorf("write %s: fsync: %w", t.path(), err)
	}
	if t.temp == "" {
		// Link the unnamed file under a temporary name, then rename: linkat
		// cannot replace a file.
		proc := "/proc/self/fd/" + strconv.Itoa(int(t.f.Fd()))
		for i := 0; ; i++ {
			name := t.tempName(i)
			err := unix.Linkat(unix.AT_FDCWD, proc, t.dirfd, name, unix.AT_SYMLINK_FOLLOW)
			if errors.Is(err, unix.EEXIST) && i < 100 {
				continue
			}
			if err != nil {
				t.Discard()
				return fmt.Errorf("write %s: name the new file: %w", t.path(), err)
			}
			t.temp = name
			break
		}
	}
	if err := unix.Renameat(t.dirfd, t.temp, t.dirfd, t.base); err != nil {
		t.Discard()
		return fmt.Errorf("write %s: rename the new file into place: %w", t.path(), err)
	}
	t.temp = ""
	cerr := t.f.Close()
	serr := unix.Fsync(t.dirfd)
	if errors.Is(serr, unix.EINVAL) {
		serr = nil // a filesystem that cannot sync directories
	}
	t.finish()
	switch {
	case cerr != nil:
		return fmt.Errorf("write %s: close: %w", t.path(), cerr)
	case serr != nil:
		return fmt.Errorf("write %s: fsync the directory: %w", t.path(), serr)
	}
	return nil
}

// Discard drops the new content; the old file stays as it was. It does
// nothing after Commit.
func (t *File) Discard() {
	if t.done {
		return
	}
	t.f.Close()
	if t.temp != "" {
		_ = unix.Unlinkat(t.dirfd, t.temp, 0)
	}
	t.finish()
}

func (t *File) finish() {
	t.done = true
	if t.ownDir {
		unix.Close(t.dirfd)
	}
}

// WriteFile replaces path with data, with permission bits mode.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	t, err := Create(path, Options{Mode: mode})
	if err != nil {
		return err
	}
	return write(t, data)
}

// WriteFileAt replaces base in the open directory dirfd with data (see
// CreateAt).
func WriteFileAt(dirfd int, dirName, base string, data []byte, mode os.FileMode) error {
	t, err := CreateAt(dirfd, dirName, base, Options{Mode: mode})
	if err != nil {
		return err
	}
	return write(t, data)
}

func write(t *File, data []byte) error {
	if _, err := t.Write(data); err != nil {
		t.Discard()
		return fmt.Errorf("write %s: %w", t.path(), err)
	}
	return t.Commit()
}

func tempPrefix(base string) string { return "." + base + ".osr-tmp-" }

// tempName is the temporary name of the i-th attempt.
func (t *File) tempName(i int) string {
	return tempPrefix(t.base) + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(uint64(randomish(i)), 36)
}

// procFD reports whether /proc/self/fd is there for linkat to name an unnamed
// file (it is not in an initrd before /proc is mounted).
func procFD() bool {
	_, err := os.Stat("/proc/self/fd")
	return err == nil
}

// randomish varies temporary names between attempts without a random source
// (which may block early at boot).
func randomish(i int) uint32 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint32(ts.Nsec) ^ uint32(i)*2654435761
}

// removeStaleTemps removes temporary files of base that writers left behind
// when they were killed: those whose process no longer exists.
func removeStaleTemps(dirfd int, base string) {
	names, err := NamesAt(dirfd)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, prefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid <= 0 {
			continue
		}
		if pid != os.Getpid() && unix.Kill(pid, 0) == unix.ESRCH {
			_ = unix.Unlinkat(dirfd, n, 0)
		}
	}
}

// NamesAt returns the names in the directory open as dirfd, unsorted, without
// moving dirfd's own read offset (it reads through a new descriptor).
func NamesAt(dirfd int) ([]string, error) {
	fd, err := unix.Openat(dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open directory: %w", err)
	}
	d := os.NewFile(uintptr(fd), ".")
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	return names, nil
}
