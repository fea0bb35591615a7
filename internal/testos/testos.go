// SPDX-License-Identifier: Apache-2.0

// Package testos provides a real Debian 12 root filesystem for tests: a tar made
// by mmdebstrap from Debian's packages (minbase plus systemd, udev, openssh-server,
// the NFS and GFS2 client tools), cached like the test kernel, and unpacked into a
// directory with the test kernel's modules added so that udev finds them after
// switch_root.
//
// Tests call Get:
//
//	root := testos.Get(t) // skips under -short
//	if err := root.Unpack(ctx, dir, kernel); err != nil { … }
//
// The tar is named after a hash of the suite, the variant and the package list,
// so a changed list builds a new one. A flock serialises builds between test
// processes sharing the cache, and a tar appears under its final name only when
// mmdebstrap has finished, so a reader never sees half of one.
//
// Environment:
//
//	OSR_TEST_CACHE      cache directory (as for internal/testkernel)
//	OSR_TEST_DEB_MIRROR the Debian mirror mmdebstrap uses (default: its own,
//	                    deb.debian.org, or the host's apt proxy settings)
package testos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/internal/testkernel"
)

// Suite is the Debian release the root is built from.
const Suite = "bookworm"

// Variant is mmdebstrap's package set the Packages are added to.
const Variant = "minbase"

// Packages are installed on top of the minbase variant: an init and device
// manager, a login over the network, and the client tools of the shared-root
// filesystems osr boots.
var Packages = []string{
	"systemd-sysv", "udev", "dbus", "libpam-systemd", "kmod", "procps", "iproute2",
	"openssh-server", "nfs-common", "gfs2-utils",
}

// EnvMirror names a Debian mirror for mmdebstrap.
const EnvMirror = "OSR_TEST_DEB_MIRROR"

// buildTimeout bounds one mmdebstrap run (~70 s on a quiet machine with a
// fast mirror).
const buildTimeout = 15 * time.Minute

// Root is a cached Debian root tar.
type Root struct {
	// Tar is the path of the root filesystem as a tar archive.
	Tar string
	// Key identifies the suite, variant and package list the tar was built from.
	Key string
}

var (
	memoMu sync.Mutex
	memo   = map[string]Root{}
)

// Get returns the test root, building it into the cache on first use. It skips
// the test under testing.Short() and fails it when the root cannot be built.
func Get(t testing.TB) Root {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: needs the Debian test root (run without -short)")
	}
	memoMu.Lock()
	defer memoMu.Unlock()
	cache := testkernel.CacheDir()
	if r, ok := memo[cache]; ok {
		return r
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	r, err := Fetch(ctx, Options{CacheDir: cache, Log: testLog{t}})
	if err != nil {
		t.Fatalf("Debian test root: %v", err)
	}
	memo[cache] = r
	return r
}

type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Key returns the cache key of a suite, variant and package list: the list's
// order does not matter.
func Key(suite, variant string, packages []string) string {
	pkgs := append([]string(nil), packages...)
	sort.Strings(pkgs)
	h := sha256.Sum256([]byte(suite + "\n" + variant + "\n" + strings.Join(pkgs, "\n") + "\n"))
	return hex.EncodeToString(h[:])[:16]
}

// tarName is the file name of the cached tar for key.
func tarName(key string) string {
	return fmt.Sprintf("debian-%s-%s-%s.tar", Suite, Variant, key)
}

// CachePath returns where the tar for the default package list lives in cache.
func CachePath(cache string) string {
	return filepath.Join(cache, "debroot", tarName(Key(Suite, Variant, Packages)))
}

// describe returns the Root at path when the tar exists.
func describe(path, key string) (Root, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Root{}, err
	}
	if !st.Mode().IsRegular() || st.Size() == 0 {
		return Root{}, fmt.Errorf("cached Debian root %s is not a regular, non-empty file; remove it", path)
	}
	return Root{Tar: path, Key: key}, nil
}

// ModulesDir returns where the kernel's modules go in a root unpacked at dir
// (Debian 12 has a merged /usr: /lib is a link to usr/lib).
func ModulesDir(dir string, k testkernel.Kernel) string {
	return filepath.Join(dir, "usr", "lib", "modules", k.Version)
}
