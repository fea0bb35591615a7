// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bigArchive has enough entries for several chunks at the test chunk size.
func bigArchive(t *testing.T) *Archive {
	t.Helper()
	a := NewArchive()
	for i := range 40 {
		must(t, a.AddBytes(fmt.Sprintf("data/%02d", i), []byte(strings.Repeat(fmt.Sprintf("block %d ", i), 4000)), 0o644))
	}
	return a
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestHelperWriter is not a test: TestKilledWhileWriting runs the test binary
// with OSR_IMAGE_HELPER set, and this writes an image and stops after its first
// chunk until it is killed.
func TestHelperWriter(t *testing.T) {
	out := os.Getenv("OSR_IMAGE_HELPER")
	if out == "" {
		t.Skip("helper process for TestKilledWhileWriting")
	}
	chunkSize = 32 << 10
	testHookNoTmpfile = os.Getenv("OSR_IMAGE_HELPER_NAMED") != ""
	testHookChunkWritten = func(i int) {
		if i == 0 {
			fmt.Println("chunk 0 written")
			time.Sleep(time.Hour)
		}
	}
	_, err := bigArchive(t).WriteFile(context.Background(), out, Options{Compression: Gzip})
	t.Fatalf("the helper finished instead of being killed: %v", err)
}

// TestKilledWhileWriting kills a process in the middle of writing an image over
// an existing one: the old image must be untouched, and no temporary file may
// remain (with O_TMPFILE) or survive the next write (without it).
func TestKilledWhileWriting(t *testing.T) {
	for _, named := range []bool{false, true} {
		t.Run(map[bool]string{false: "tmpfile", true: "named"}[named], func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "initrd.img")
			must(t, os.WriteFile(out, []byte("the old image"), 0o600))

			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.v")
			cmd.Env = append(os.Environ(), "OSR_IMAGE_HELPER="+out)
			if named {
				cmd.Env = append(cmd.Env, "OSR_IMAGE_HELPER_NAMED=1")
			}
			stdout, err := cmd.StdoutPipe()
			must(t, err)
			must(t, cmd.Start())
			defer cmd.Process.Kill()
			waitForLine(t, stdout, "chunk 0 written")

			// The child is mid-write: its output file exists, open, in dir.
			if !holdsFileIn(t, cmd.Process.Pid, dir) {
				t.Fatal("the writer holds no file in the image directory while writing")
			}
			must(t, cmd.Process.Signal(syscall.SIGKILL))
			_ = cmd.Wait()

			if got, _ := os.ReadFile(out); string(got) != "the old image" {
				t.Errorf("image after the kill = %q; want the old image", got)
			}
			names := dirNames(t, dir)
			if !named && len(names) != 1 {
				t.Errorf("directory after the kill holds %v; want only initrd.img", names)
			}
			if named && len(names) != 2 {
				t.Fatalf("directory after the kill holds %v; want initrd.img and the killed writer's temporary file", names)
			}
			if _, err := bigArchive(t).WriteFile(context.Background(), out, Options{}); err != nil {
				t.Fatal(err)
			}
			if names := dirNames(t, dir); len(names) != 1 || names[0] != "initrd.img" {
				t.Errorf("directory after the next write holds %v; want only initrd.img", names)
			}
		})
	}
}

func waitForLine(t *testing.T, r interface{ Read([]byte) (int, error) }, want string) {
	t.Helper()
	lines := make(chan string)
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the helper ended without printing %q", want)
			}
			if l == want {
				return
			}
		case <-timeout:
			t.Fatalf("the helper did not print %q within a minute", want)
		}
	}
}

// holdsFileIn reports whether process pid has a file open in dir.
func holdsFileIn(t *testing.T, pid int, dir string) bool {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	must(t, err)
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+"/") {
			return true
		}
	}
	return false
}

// TestCancelledWrite cancels the context in the middle of a write.
func TestCancelledWrite(t *testing.T) {
	defer func(old int64) { chunkSize = old }(chunkSize)
	chunkSize = 32 << 10
	for _, named := range []bool{false, true} {
		t.Run(map[bool]string{false: "tmpfile", true: "named"}[named], func(t *testing.T) {
			testHookNoTmpfile = named
			defer func() { testHookNoTmpfile, testHookChunkWritten = false, nil }()
			dir := t.TempDir()
			out := filepath.Join(dir, "initrd.img")
			must(t, os.WriteFile(out, []byte("the old image"), 0o600))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			testHookChunkWritten = func(i int) {
				if i == 1 {
					cancel()
				}
			}
			_, err := bigArchive(t).WriteFile(ctx, out, Options{})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v; want context.Canceled", err)
			}
			if got, _ := os.ReadFile(out); string(got) != "the old image" {
				t.Errorf("image after cancel = %q; want the old image", got)
			}
			if names := dirNames(t, dir); len(names) != 1 {
				t.Errorf("directory after cancel holds %v; want only initrd.img", names)
			}
		})
	}
}

// TestFailedWrite checks that an error while reading sources leaves no trace.
func TestFailedWrite(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "initrd.img")
	must(t, os.WriteFile(out, []byte("the old image"), 0o600))
	src := filepath.Join(t.TempDir(), "vanishes")
	must(t, os.WriteFile(src, []byte("x"), 0o644))
	a := NewArchive()
	must(t, a.AddFile("x", src, 0))
	must(t, os.Remove(src))
	_, err := a.WriteFile(context.Background(), out, Options{})
	if err == nil || !strings.Contains(err.Error(), "vanishes") {
		t.Errorf("error %v; want one naming the missing source", err)
	}
	if got, _ := os.ReadFile(out); string(got) != "the old image" {
		t.Errorf("image after a failed write = %q", got)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v; want only initrd.img", names)
	}
}

func TestWriteFileMode(t *testing.T) {
	out := filepath.Join(t.TempDir(), "initrd.img")
	a := NewArchive()
	must(t, a.AddBytes("x", []byte("x"), 0))
	_, err := a.WriteFile(context.Background(), out, Options{FileMode: 0o644})
	must(t, err)
	fi, err := os.Stat(out)
	must(t, err)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v; want 0644", fi.Mode())
	}
}
