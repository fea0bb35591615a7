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
