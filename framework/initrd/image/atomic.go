package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// testHookNoTmpfile, when set by a test, makes WriteFile use a named temporary
// file as it does on filesystems without O_TMPFILE.
var testHookNoTmpfile bool

// WriteFile writes the image to path atomically: into an unnamed temporary file in
// path's directory (O_TMPFILE; a named ".NAME.osr-tmp-PID-*" file where the
// filesystem lacks it), fsynced, then renamed over path, and the directory fsynced.
// On any error or cancellation the temporary file is removed and an existing image
// at path is left as it was. A process killed while writing leaves no named file
// behind (with O_TMPFILE), or one that the next WriteFile to the same directory
// removes.
func (a *Archive) WriteFile(ctx context.Context, path string, opts Options) (stats Stats, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return Stats{}, fmt.Errorf("image path %q names a directory", path)
	}
	mode := opts.FileMode.Perm()
	if mode == 0 {
		mode = 0o600
	}
	removeStaleTemps(dir, base)
	t, err := newTempFile(dir, base, mode)
	if err != nil {
		return Stats{}, err
	}
	defer func() {
		if err != nil {
			t.discard()
		}
	}()
	if stats, err = a.Write(ctx, t.f, opts); err != nil {
		return stats, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := t.f.Sync(); err != nil {
		return stats, fmt.Errorf("writing %s: fsync: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return stats, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := t.commit(path); err != nil {
		return stats, err
	}
	return stats, nil
}

// tempFile is the image being written.
type tempFile struct {
	f    *os.File
	dir  string
	base string
	name string // the named temporary file, "" while it is unnamed (O_TMPFILE)
}

func tempPrefix(base string) string { return "." + base + ".osr-tmp-" }

// newTempFile creates the file the image is written to, unnamed when the
// filesystem supports O_TMPFILE.
func newTempFile(dir, base string, mode os.FileMode) (*tempFile, error) {
	t := &tempFile{dir: dir, base: base}
	if !testHookNoTmpfile {
		fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, uint32(mode))
		if err == nil {
			t.f = os.NewFile(uintptr(fd), filepath.Join(dir, "(unnamed "+base+")"))
		}
	}
	if t.f == nil {
		f, err := os.CreateTemp(dir, tempPrefix(base)+strconv.Itoa(os.Getpid())+"-*")
		if err != nil {
			return nil, fmt.Errorf("creating the image beside %s: %w", filepath.Join(dir, base), err)
		}
		t.f, t.name = f, f.Name()
	}
	if err := t.f.Chmod(mode); err != nil { // the umask narrowed it
		t.discard()
		return nil, fmt.Errorf("creating the image beside %s: %w", filepath.Join(dir, base), err)
	}
	return t, nil
}

// commit gives the finished file its name and makes the rename durable.
func (t *tempFile) commit(path string) error {
	if t.name == "" {
		// Link the unnamed file under a temporary name, then rename: linkat cannot replace.
		name := filepath.Join(t.dir, tempPrefix(t.base)+strconv.Itoa(os.Getpid())+"-link")
		_ = os.Remove(name)
		proc := "/proc/self/fd/" + strconv.Itoa(int(t.f.Fd()))
		if err := unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW); err != nil {
			return fmt.Errorf("naming the new image %s: %w", name, err)
		}
		t.name = name
	}
	if err := os.Rename(t.name, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	t.name = ""
	if err := t.f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return syncDir(t.dir)
}

// discard closes and removes the temporary file.
func (t *tempFile) discard() {
	t.f.Close()
	if t.name != "" {
		os.Remove(t.name)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// removeStaleTemps removes temporary files that earlier writers of base left
// behind when they were killed: those whose process no longer exists.
func removeStaleTemps(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid <= 0 {
			continue
		}
		if pid != os.Getpid() && unix.Kill(pid, 0) == unix.ESRCH {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
