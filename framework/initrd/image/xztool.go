// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// xzCommand is the xz program osr writes xz images with when the system has
// one (a test points it elsewhere); without it the built-in encoder is used.
var xzCommand = "xz"

// xzTool runs the system's xz (XZ Utils) on each chunk: liblzma encodes about
// 2.5 times as fast as the built-in encoder at xz -0 and compresses better.
// Chunks are compressed by osr's workers at once, so every core is used the
// way xz -T0 uses them, while each chunk's bytes depend on the chunk alone.
//
// Each chunk becomes one xz stream with a CRC32 check and the plain LZMA2
// filter (the kernel's xz decoder accepts CRC32 or no check, and no BCJ
// filter is asked for), written single-threaded (-T1) so the bytes do not
// depend on the number of cores. The same xz version writes the same bytes for
// the same input; another version may not (liblzma does not promise a stable
// encoder), which is why its version is part of every segment's cache key.
type xzTool struct {
	path    string
	version string // xz --version, one line: "xz (XZ Utils) 5.4.1; liblzma 5.4.1"
	level   int
}

var xzFind struct {
	sync.Mutex
	command string // the xzCommand found below
	tool    *xzTool
	err     error
}

// findXZTool returns the system's xz, or nil when there is none. It asks xz
// for its version once per process.
func findXZTool() (*xzTool, error) {
	xzFind.Lock()
	defer xzFind.Unlock()
	if xzFind.command == xzCommand {
		return xzFind.tool, xzFind.err
	}
	xzFind.command, xzFind.tool, xzFind.err = xzCommand, nil, nil
	path, err := exec.LookPath(xzCommand)
	if err != nil {
		return nil, nil // no xz: the built-in encoder writes xz
	}
	cmd := exec.Command(path, "--version")
	cmd.Env = []string{} // XZ_DEFAULTS and XZ_OPT would change the output
	out, err := cmd.Output()
	if err != nil {
		xzFind.err = fmt.Errorf("%s --version: %w", path, err)
		return nil, xzFind.err
	}
	v := strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; ")), " ")
	if !strings.Contains(v, "XZ Utils") {
		xzFind.err = fmt.Errorf("%s is not XZ Utils' xz (it says %q); remove it from PATH or write another compression", path, v)
		return nil, xzFind.err
	}
	xzFind.tool = &xzTool{path: path, version: v}
	return xzFind.tool, nil
}

// withLevel is the tool writing at level.
func (x *xzTool) withLevel(level int) *xzTool {
	t := *x
	t.level = level
	return &t
}

// args are xz's arguments for the level: a preset, the kernel's check, one
// thread, output to stdout, no other options (XZ_OPT is not passed on).
func (x *xzTool) args() []string {
	return []string{"--format=xz", "--check=crc32", "-T1", "-" + strconv.Itoa(x.level), "--stdout", "--quiet"}
}

// id names what decides the bytes xz writes, for the cache key.
func (x *xzTool) id() string {
	return x.version + " " + strings.Join(x.args(), " ")
}

// compress hands xz the chunk and takes its output through memory files:
// xz reads and writes them as it would regular files, with no goroutine
// feeding a pipe 64 KiB at a time.
func (x *xzTool) compress(dst *bytes.Buffer, raw []byte) error {
	in, err := memFile("osr-xz-in")
	if err != nil {
		return err
	}
	defer in.Close()
	if _, err := in.Write(raw); err != nil {
		return fmt.Errorf("xz input: %w", err)
	}
	if _, err := in.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("xz input: %w", err)
	}
	out, err := memFile("osr-xz-out")
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(x.path, x.args()...)
	cmd.Env = []string{}
	cmd.Stdin = in
	cmd.Stdout = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%s %s: %w: %s", x.path, strings.Join(x.args(), " "), err, msg)
		}
		return fmt.Errorf("%s %s: %w", x.path, strings.Join(x.args(), " "), err)
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("xz output: %w", err)
	}
	if _, err := dst.ReadFrom(out); err != nil {
		return fmt.Errorf("xz output: %w", err)
	}
	return nil
}

// memFile is an anonymous file in memory (memfd_create), closed on exec
// except where it is handed to a child as its stdin or stdout.
func memFile(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

func (*xzTool) close() {}

// xzMemory is what one xz -N process needs to compress, by level, as xz(1)
// lists it.
var xzMemory = [...]uint64{3 << 20, 9 << 20, 17 << 20, 32 << 20, 48 << 20, 94 << 20, 94 << 20, 186 << 20, 370 << 20, 674 << 20}

// maxProcs is how many xz processes run at once at most: as many as fit in a
// quarter of the machine's memory (xz -T0's own default limit), at least one.
func (x *xzTool) maxProcs() int {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 1
	}
	quarter := uint64(si.Totalram) * uint64(si.Unit) / 4
	return int(max(1, quarter/xzMemory[x.level]))
}

// encoderName is Stats.Encoder.
func encoderName(comp Compression, xzt *xzTool) string {
	if comp == XZ && xzt != nil {
		return xzt.version
	}
	return "built-in"
}
