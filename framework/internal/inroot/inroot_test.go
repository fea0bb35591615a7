// SPDX-License-Identifier: Apache-2.0

package inroot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeRoot builds a merged-/usr root with links that try to leave it.
func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"usr/bin", "usr/sbin", "usr/lib", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := []string{"usr/bin/dash", "usr/sbin/e2fsck", "usr/lib/os-release"}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(root, f), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"bin":                "usr/bin",
		"sbin":               "/usr/sbin",
		"usr/bin/sh":         "dash",
		"usr/sbin/fsck.ext4": "e2fsck",
		"etc/os-release":     "../usr/lib/os-release",
		"etc/escape":         "../../../../usr/bin/dash",
		"etc/abs":            "/bin/sh",
		"etc/loop1":          "loop2",
		"etc/loop2":          "loop1",
		"etc/dangling":       "nowhere",
		"etc/through":        "../bin/../lib/os-release",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestResolve(t *testing.T) {
	root := fakeRoot(t)
	tests := []struct {
		in         string
		followLast bool
		want       string
		wantErr    error
	}{
		{"/bin/sh", true, "/usr/bin/dash", nil},
		{"/bin/sh", false, "/usr/bin/sh", nil},
		{"/sbin/fsck.ext4", true, "/usr/sbin/e2fsck", nil},
		{"/etc/os-release", true, "/usr/lib/os-release", nil},
		{"/etc/escape", true, "/usr/bin/dash", nil},
		{"/etc/abs", true, "/usr/bin/dash", nil},
		{"/../../bin/sh", true, "/usr/bin/dash", nil},
		{"/etc/through", true, "/usr/lib/os-release", nil},
		{"/etc/loop1", true, "", ErrTooManyLinks},
		{"/etc/dangling", true, "/etc/nowhere", fs.ErrNotExist},
		{"/bin/missing", true, "/usr/bin/missing", fs.ErrNotExist},
		{"/usr/bin/dash/x", true, "/usr/bin/dash/x", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Resolve(root, tt.in, tt.followLast)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Resolve(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("Resolve(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestChain(t *testing.T) {
	root := fakeRoot(t)
	tests := []struct {
		in        string
		wantLinks []Link
		want      string
		wantErr   error
	}{
		{"/bin/sh", []Link{{"/usr/bin/sh", "dash"}}, "/usr/bin/dash", nil},
		{"/sbin/fsck.ext4", []Link{{"/usr/sbin/fsck.ext4", "e2fsck"}}, "/usr/sbin/e2fsck", nil},
		{"/etc/abs", []Link{{"/etc/abs", "/bin/sh"}, {"/usr/bin/sh", "dash"}}, "/usr/bin/dash", nil},
		{"/etc/escape", []Link{{"/etc/escape", "../../../../usr/bin/dash"}}, "/usr/bin/dash", nil},
		{"/bin", []Link{{"/bin", "usr/bin"}}, "/usr/bin", nil},
		{"/etc/dangling", []Link{{"/etc/dangling", "nowhere"}}, "/etc/nowhere", fs.ErrNotExist},
		{"/etc/loop1", nil, "", ErrTooManyLinks},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			links, got, fi, err := Chain(root, tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Chain(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr == ErrTooManyLinks {
				return
			}
			if got != tt.want {
				t.Errorf("Chain(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if diff := cmp.Diff(tt.wantLinks, links); diff != "" {
				t.Errorf("Chain(%q) links (-want +got):\n%s", tt.in, diff)
			}
			if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
				t.Errorf("Chain(%q) returned a link's FileInfo", tt.in)
			}
		})
	}
}

// A Resolver reports every link it follows, directories included, and sees
// through a substituted directory (a mount point) without leaving the root.
func TestResolverLinksAndSubst(t *testing.T) {
	root := fakeRoot(t)
	if err := os.MkdirAll(filepath.Join(root, "mnt/tree/n1/etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/mnt/tree/n1/etc/motd", filepath.Join(root, "etc/motd")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in        string
		subst     map[string]string
		want      string
		wantLinks []Link
		wantErr   error
	}{
		{"/etc/abs", nil, "/usr/bin/dash", []Link{{"/etc/abs", "/bin/sh"}, {"/bin", "usr/bin"}, {"/usr/bin/sh", "dash"}}, nil},
		// ".." after a link climbs from the link's target, as the kernel does.
		{"/sbin/../bin/sh", nil, "/usr/bin/dash", []Link{{"/sbin", "/usr/sbin"}, {"/usr/bin/sh", "dash"}}, nil},
		{"/local/etc/hostname", map[string]string{"/local": "/mnt/tree/n1"}, "/mnt/tree/n1/etc/hostname", nil, fs.ErrNotExist},
		{"/local/../etc/os-release", map[string]string{"/local": "/mnt/tree/n1"}, "/mnt/tree/etc/os-release", nil, fs.ErrNotExist},
		{"/etc/loop1", nil, "", []Link{{"/etc/loop1", "loop2"}}, ErrTooManyLinks},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var links []Link
			r := Resolver{FS: Dir(root), OnLink: func(l Link) { links = append(links, l) }}
			if tt.subst != nil {
				r.Subst = func(p string) string { return tt.subst[p] }
			}
			got, err := r.Resolve(tt.in, true)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Resolve(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr == ErrTooManyLinks {
				if len(links) != MaxLinks {
					t.Errorf("followed %d links before giving up; want %d", len(links), MaxLinks)
				}
				return
			}
			if got != tt.want {
				t.Errorf("Resolve(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if diff := cmp.Diff(tt.wantLinks, links); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
		})
	}
}

// A host directory's links never reach the host: an absolute link to a host
// path that exists resolves inside the root, where it does not.
func TestDirNeverLeavesTheRoot(t *testing.T) {
	root := t.TempDir()
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "secret"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(host, "secret"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	got, err := Resolve(root, "/link", true)
	if !errors.Is(err, fs.ErrNotExist) || got != filepath.Join(host, "secret") {
		t.Errorf("Resolve(/link) = %q, %v; want the host path taken inside the root, not found", got, err)
	}
	if _, _, fi, err := Chain(root, "/link"); err == nil {
		t.Errorf("Chain(/link) found %v outside the root", fi.Name())
	}
}
