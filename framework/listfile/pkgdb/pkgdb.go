// SPDX-License-Identifier: Apache-2.0

// Package pkgdb lists the files a package owns by asking the package manager's own
// database inside a root: dpkg's /var/lib/dpkg (status file and info/*.list) or
// rpm's database through `rpm --root`. Nothing is guessed from file names.
package pkgdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/open-sharedroot/osr/framework/internal/inroot"
)

// File is one path a package owns.
type File struct {
	// Path is the absolute path as the database records it (inside the root).
	Path string
	// Doc is set when the database marks the file as documentation or a licence
	// (rpm's %doc and %license); dpkg keeps no such mark.
	Doc bool
	// Ghost is set for files the package owns but does not ship (rpm's %ghost):
	// they may legitimately be missing.
	Ghost bool
}

// DB is one root's package database.
type DB interface {
	// Name is the package manager's name: "dpkg" or "rpm".
	Name() string
	// Files lists what an installed package owns. A package that is not installed
	// gives an error matching ErrNotInstalled.
	Files(ctx context.Context, pkg string) ([]File, error)
	// InstallHint tells a person how to install packages, e.g. "apt-get install gfs2-utils".
	InstallHint(pkgs ...string) string
	// SearchHint tells a person how to find the package that ships a file.
	SearchHint(file string) string
}

// ErrNotInstalled is matched by the error Files returns for a package that is not installed.
var ErrNotInstalled = errors.New("not installed")

// NotInstalledError says that a package is not installed, and what the database knows of it.
type NotInstalledError struct {
	Package string
	// State is the database's word on it, e.g. dpkg's "deinstall ok config-files";
	// empty when the database has never heard of the package.
	State string
}

func (e *NotInstalledError) Error() string {
	if e.State == "" {
		return fmt.Sprintf("package %s is not installed", e.Package)
	}
	return fmt.Sprintf("package %s is not installed (state %q)", e.Package, e.State)
}

// Is makes errors.Is(err, ErrNotInstalled) true.
func (e *NotInstalledError) Is(target error) bool { return target == ErrNotInstalled }

// Options configure Open.
type Options struct {
	// Arch is the canonical (Go) architecture whose packages are preferred when a
	// package is installed for several (multiarch/multilib).
	Arch string
	// RPM is the rpm command to run; empty means "rpm" from PATH.
	RPM string
}

// ErrNoDatabase is returned by Open when a root holds no package database it knows.
var ErrNoDatabase = errors.New("no package database")

// rpmDBPaths are where rpm keeps its database, newest layout first.
var rpmDBPaths = []string{"/usr/lib/sysimage/rpm", "/var/lib/rpm"}

// Open finds the package database of root: dpkg's if /var/lib/dpkg/status exists,
// else rpm's if one of its database directories does.
func Open(root string, opts Options) (DB, error) {
	if exists(root, dpkgStatus) {
		return NewDpkg(root, opts.Arch), nil
	}
	for _, p := range rpmDBPaths {
		if exists(root, p) {
			return NewRPM(root, opts.Arch, opts.RPM), nil
		}
	}
	return nil, fmt.Errorf("%w in %s (looked for %s, %s and %s)", ErrNoDatabase, root, dpkgStatus, rpmDBPaths[0], rpmDBPaths[1])
}

func exists(root, p string) bool {
	_, err := inroot.Resolve(root, p, true)
	return !errors.Is(err, fs.ErrNotExist) && err == nil
}
