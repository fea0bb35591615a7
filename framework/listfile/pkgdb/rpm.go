// SPDX-License-Identifier: Apache-2.0

package pkgdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strconv"
	"strings"

	"github.com/open-sharedroot/osr/framework/listfile/arch"
)

// rpm file flags (rpmfiles.h).
const (
	rpmFileDoc     = 1 << 1
	rpmFileGhost   = 1 << 6
	rpmFileLicense = 1 << 7
)

// rpmQueryFormat prints one line per file: the package's architecture, the file's
// flags and its name.
const rpmQueryFormat = `[%{=ARCH}\t%{FILEFLAGS}\t%{FILENAMES}\n]`

// RPM reads rpm's database inside a root by running `rpm --root ROOT -q`.
type RPM struct {
	root string
	arch string // rpm's spelling
	cmd  string
}

// NewRPM returns the rpm database of root, read with the rpm command cmd ("" for
// "rpm" from PATH), preferring packages of the canonical architecture goarch.
func NewRPM(root, goarch, cmd string) *RPM {
	if cmd == "" {
		cmd = "rpm"
	}
	return &RPM{root: root, arch: arch.RPM(goarch), cmd: cmd}
}

// Name returns "rpm".
func (r *RPM) Name() string { return "rpm" }

// InstallHint returns a dnf command line.
func (r *RPM) InstallHint(pkgs ...string) string { return "dnf install " + strings.Join(pkgs, " ") }

// SearchHint returns a dnf command line.
func (r *RPM) SearchHint(file string) string {
	if !strings.HasPrefix(file, "/") {
		return "dnf provides '*/" + file + "'"
	}
	return "dnf provides " + file
}

// Files lists what an installed package owns. pkg may be any name rpm accepts
// ("glibc", "glibc.x86_64"). When a package is installed for several architectures
// only the files of the preferred one (and noarch) are kept.
func (r *RPM) Files(ctx context.Context, pkg string) ([]File, error) {
	if strings.HasPrefix(pkg, "-") {
		return nil, fmt.Errorf("rpm: %q is not a package name", pkg)
	}
	root := r.root
	if root == "" {
		root = "/"
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, r.cmd, "--root", root, "-q", "--queryformat", rpmQueryFormat, "--", pkg)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("rpm: %s not found; install rpm on the build host to read the rpm database of %s: %w", r.cmd, root, err)
	case errors.As(err, &exitErr):
		if strings.Contains(stdout.String(), "is not installed") {
			return nil, &NotInstalledError{Package: pkg}
		}
		return nil, fmt.Errorf("rpm --root %s -q %s: %w: %s", root, pkg, err, strings.TrimSpace(stderr.String()+stdout.String()))
	case err != nil:
		return nil, fmt.Errorf("rpm --root %s -q %s: %w", root, pkg, err)
	}
	return r.parse(pkg, stdout.Bytes())
}

// parse reads rpmQueryFormat's output.
func (r *RPM) parse(pkg string, out []byte) ([]File, error) {
	type line struct {
		arch string
		file File
	}
	var lines []line
	arches := map[string]bool{}
	for n, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l == "" {
			continue
		}
		parts := strings.SplitN(l, "\t", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("rpm -q %s: output line %d %q is not ARCH<tab>FLAGS<tab>PATH", pkg, n+1, l)
		}
		flags, err := strconv.ParseUint(parts[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("rpm -q %s: output line %d: file flags %q: %w", pkg, n+1, parts[1], err)
		}
		lines = append(lines, line{parts[0], File{
			Path:  parts[2],
			Doc:   flags&(rpmFileDoc|rpmFileLicense) != 0,
			Ghost: flags&rpmFileGhost != 0,
		}})
		arches[parts[0]] = true
	}
	// Keep the preferred architecture (and noarch) when several are installed.
	keep := func(a string) bool { return true }
	if len(arches) > 1 && arches[r.arch] {
		keep = func(a string) bool { return a == r.arch || a == "noarch" }
	}
	var files []File
	seen := map[string]bool{}
	for _, l := range lines {
		if keep(l.arch) && !seen[l.file.Path] {
			seen[l.file.Path] = true
			files = append(files, l.file)
		}
	}
	return files, nil
}
