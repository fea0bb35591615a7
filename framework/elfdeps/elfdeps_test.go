// SPDX-License-Identifier: Apache-2.0

package elfdeps

import (
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/open-sharedroot/osr/framework/internal/inroot"
)

const (
	ldDebian = "/lib64/ld-linux-x86-64.so.2"
	multi    = "/usr/lib/x86_64-linux-gnu"
)

// debianRoot is a merged-usr Debian layout: /lib, /lib64 and /bin are
// links into /usr, the interpreter reached through two links.
func debianRoot() map[string]any {
	return map[string]any{
		"lib":                                        symlink("usr/lib"),
		"lib64":                                      symlink("usr/lib64"),
		"bin":                                        symlink("usr/bin"),
		"usr/lib64/ld-linux-x86-64.so.2":             symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
		multi + "/ld-linux-x86-64.so.2":              fakeELF{},
		multi + "/libc.so.6":                         fakeELF{interp: ldDebian},
		multi + "/libfoo.so.1":                       symlink("libfoo.so.1.2.3"),
		multi + "/libfoo.so.1.2.3":                   fakeELF{needed: []string{"libc.so.6"}},
		"usr/bin/prog":                               fakeELF{interp: ldDebian, needed: []string{"libfoo.so.1", "libc.so.6"}},
		"usr/bin/sh":                                 fakeELF{interp: ldDebian, needed: []string{"libc.so.6"}},
		"usr/bin/static":                             fakeELF{static: true},
		"usr/share/script":                           "#!/bin/sh -e\necho hi\n",
		"usr/share/data":                             "plain data",
		"usr/lib/i386-linux-gnu/libc.so.6":           fakeELF{class: elf.ELFCLASS32, machine: elf.EM_386},
		"usr/lib/x86_64-linux-gnu/libw32.so":         fakeELF{class: elf.ELFCLASS32, machine: elf.EM_386},
		"usr/lib/libw32.so":                          fakeELF{},
		"usr/bin/wrongclass":                         fakeELF{needed: []string{"libw32.so"}},
		"usr/bin/nodeflib":                           fakeELF{needed: []string{"libfoo.so.1"}, flags1: uint64(elf.DF_1_NODEFLIB)},
		"usr/bin/missing":                            fakeELF{interp: "/lib/ld-none.so", needed: []string{"libnone.so.1", "libc.so.6"}},
		"opt/app/bin/app":                            fakeELF{needed: []string{"libapp.so"}, rpath: "$ORIGIN/../lib"},
		"opt/app/bin/app-runpath":                    fakeELF{needed: []string{"libapp.so"}, runpath: "${ORIGIN}/../lib"},
		"opt/app/lib/libapp.so":                      fakeELF{needed: []string{"libdep.so"}},
		"opt/app/lib/libdep.so":                      fakeELF{},
		"opt/app/lib/libself.so":                     fakeELF{needed: []string{"libdep.so"}, runpath: "$ORIGIN"},
		"opt/app/bin/self":                           fakeELF{needed: []string{"libself.so"}, runpath: "$ORIGIN/../lib"},
		"opt/app/bin/dst":                            fakeELF{needed: []string{"libplat.so"}, rpath: "/opt/$LIB/$PLATFORM"},
		"opt/lib/x86_64-linux-gnu/x86_64/libplat.so": fakeELF{},
		"opt/app/bin/slash":                          fakeELF{needed: []string{"/opt/app/lib/libdep.so"}},
		"usr/bin/loop":                               fakeELF{needed: []string{"libloop.so"}},
		multi + "/libloop.so":                        symlink("libloop2.so"),
		multi + "/libloop2.so":                       symlink("libloop.so"),
		"usr/bin/abslink":                            symlink("/../../usr/bin/prog"),
	}
}

func TestClosureFake(t *testing.T) {
	glibc := []string{"/lib", "/lib64", multi + "/ld-linux-x86-64.so.2", multi + "/libc.so.6", "/usr/lib64/ld-linux-x86-64.so.2"}
	tests := []struct {
		name        string
		inputs      []string
		opts        Options
		want        []string // paths; links and files alike
		wantMissing []string // "library by"
	}{
		{name: "merged-usr links, soname link, interpreter chain",
			inputs: []string{"/usr/bin/prog"},
			want:   append([]string{"/usr/bin/prog", multi + "/libfoo.so.1", multi + "/libfoo.so.1.2.3"}, glibc...)},
		{name: "input through a directory link",
			inputs: []string{"/bin/sh"},
			want:   append([]string{"/bin", "/usr/bin/sh"}, glibc...)},
		{name: "absolute link target stays in the root",
			inputs: []string{"/usr/bin/abslink"},
			want:   append([]string{"/usr/bin/abslink", "/usr/bin/prog", multi + "/libfoo.so.1", multi + "/libfoo.so.1.2.3"}, glibc...)},
		{name: "script interpreter, static binary, data",
			inputs: []string{"/usr/share/script", "/usr/bin/static", "/usr/share/data"},
			want:   append([]string{"/usr/share/script", "/bin", "/usr/bin/sh", "/usr/bin/static", "/usr/share/data"}, glibc...)},
		{name: "wrong ELF class skipped",
			inputs: []string{"/usr/bin/wrongclass"},
			// /lib comes before /usr/lib in the default dirs; on merged-usr
			// it is the link to usr/lib.
			want: []string{"/usr/bin/wrongclass", "/lib", "/usr/lib/libw32.so"}},
		{name: "RPATH with $ORIGIN is inherited by libraries",
			inputs: []string{"/opt/app/bin/app"},
			want:   []string{"/opt/app/bin/app", "/opt/app/lib/libapp.so", "/opt/app/lib/libdep.so"}},
		{name: "RUNPATH is not inherited",
			inputs:      []string{"/opt/app/bin/app-runpath"},
			want:        []string{"/opt/app/bin/app-runpath", "/opt/app/lib/libapp.so"},
			wantMissing: []string{"libdep.so /opt/app/lib/libapp.so"}},
		{name: "a library's own RUNPATH",
			inputs: []string{"/opt/app/bin/self"},
			want:   []string{"/opt/app/bin/self", "/opt/app/lib/libself.so", "/opt/app/lib/libdep.so"}},
		{name: "$LIB and $PLATFORM",
			inputs: []string{"/opt/app/bin/dst"},
			want:   []string{"/opt/app/bin/dst", "/opt/lib/x86_64-linux-gnu/x86_64/libplat.so"}},
		{name: "$LIB and $PLATFORM set",
			inputs:      []string{"/opt/app/bin/dst"},
			opts:        Options{Lib: "lib64", Platform: "haswell"},
			want:        []string{"/opt/app/bin/dst"},
			wantMissing: []string{"libplat.so /opt/app/bin/dst"}},
		{name: "needed name with a slash",
			inputs: []string{"/opt/app/bin/slash"},
			want:   []string{"/opt/app/bin/slash", "/opt/app/lib/libdep.so"}},
		{name: "NODEFLIB skips default dirs",
			inputs:      []string{"/usr/bin/nodeflib"},
			want:        []string{"/usr/bin/nodeflib"},
			wantMissing: []string{"libfoo.so.1 /usr/bin/nodeflib"}},
		{name: "missing library and interpreter",
			inputs:      []string{"/usr/bin/missing"},
			want:        append([]string{"/usr/bin/missing"}, glibc...),
			wantMissing: []string{"/lib/ld-none.so /usr/bin/missing", "libnone.so.1 /usr/bin/missing"}},
		{name: "own library dirs",
			inputs:      []string{"/usr/bin/prog"},
			opts:        Options{LibDirs: []string{"/opt/app/lib"}},
			want:        []string{"/usr/bin/prog", "/lib", "/lib64", multi + "/ld-linux-x86-64.so.2", "/usr/lib64/ld-linux-x86-64.so.2"},
			wantMissing: []string{"libc.so.6 /usr/bin/prog", "libfoo.so.1 /usr/bin/prog"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Root = fakeRoot(t, debianRoot())
			r, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Closure(context.Background(), tt.inputs...)
			if err != nil {
				t.Fatal(err)
			}
			var got, missing []string
			for _, f := range res.Files {
				got = append(got, f.Path)
			}
			for _, m := range res.Missing {
				missing = append(missing, m.Library+" "+m.By)
			}
			if diff := cmp.Diff(sortedSet(tt.want), got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantMissing, missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
			if (len(missing) > 0) != (res.Err() != nil) {
				t.Errorf("Err() = %v with %d missing", res.Err(), len(missing))
			}
			assertSelfContained(t, res, tt.inputs)
		})
	}
}

func TestClosureLinks(t *testing.T) {
	r, err := New(Options{Root: fakeRoot(t, debianRoot())})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Closure(context.Background(), "/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	want := []File{
		{Path: "/bin", Link: "usr/bin"},
		{Path: "/lib", Link: "usr/lib"},
		{Path: "/lib64", Link: "usr/lib64"},
		{Path: "/usr/bin/sh"},
		{Path: multi + "/ld-linux-x86-64.so.2"},
		{Path: multi + "/libc.so.6"},
		{Path: "/usr/lib64/ld-linux-x86-64.so.2", Link: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
	}
	if diff := cmp.Diff(want, res.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if err := res.Err(); err != nil {
		t.Error(err)
	}
}

func TestClosureLDCache(t *testing.T) {
	spec := debianRoot()
	// The cache names a library outside the default dirs, and a hwcaps
	// variant that must not be taken.
	spec["opt/cached/libfoo.so.1"] = fakeELF{}
	spec["opt/hwcaps/libfoo.so.1"] = fakeELF{}
	spec["etc/ld.so.cache"] = ldCache([]cacheEntry{
		{"libfoo.so.1", "/opt/hwcaps/libfoo.so.1", 1 << 62},
		{"libfoo.so.1", "/usr/lib/i386-linux-gnu/libc.so.6", 0}, // wrong class: skipped
		{"libfoo.so.1", "/opt/cached/libfoo.so.1", 0},
	}, false, binary.LittleEndian)
	root := fakeRoot(t, spec)
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{Root: root}, "/opt/cached/libfoo.so.1"},
		{Options{Root: root, NoLDCache: true}, multi + "/libfoo.so.1.2.3"},
	} {
		r, err := New(tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Closure(context.Background(), "/usr/bin/prog")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range res.Files {
			found = found || f.Path == tt.want
			if strings.HasPrefix(f.Path, "/opt/hwcaps") {
				t.Errorf("took the hwcaps library %s", f.Path)
			}
		}
		if !found {
			t.Errorf("NoLDCache=%v: %s not in %v", tt.opts.NoLDCache, tt.want, res.Files)
		}
	}
	bad := debianRoot()
	bad["etc/ld.so.cache"] = "garbage"
	if _, err := New(Options{Root: fakeRoot(t, bad)}); err == nil || !strings.Contains(err.Error(), "ldconfig -r") {
		t.Errorf("New with a corrupt cache: err = %v, want a hint to run ldconfig", err)
	}
}

func TestClosureErrors(t *testing.T) {
	r, err := New(Options{Root: fakeRoot(t, debianRoot())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Closure(context.Background(), "/usr/bin/nope"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "/usr/bin/nope") {
		t.Errorf("missing input: err = %v", err)
	}
	if _, err := r.Closure(context.Background(), "/usr/bin/loop"); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("symlink loop: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Closure(ctx, "/usr/bin/prog"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	spec := debianRoot()
	spec["usr/bin/broken"] = "\x7fELF but not really"
	r, err = New(Options{Root: fakeRoot(t, spec)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Closure(context.Background(), "/usr/bin/broken"); err == nil || !strings.Contains(err.Error(), "/usr/bin/broken") {
		t.Errorf("broken ELF: err = %v", err)
	}
}

func TestDefaultLibDirs(t *testing.T) {
	tests := []struct {
		machine elf.Machine
		class   elf.Class
		want    []string
	}{
		{elf.EM_X86_64, elf.ELFCLASS64, []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}},
		{elf.EM_386, elf.ELFCLASS32, []string{"/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib", "/usr/lib"}},
		{elf.EM_AARCH64, elf.ELFCLASS64, []string{"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}},
		{elf.EM_MIPS, elf.ELFCLASS32, []string{"/lib", "/usr/lib"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, DefaultLibDirs(tt.machine, tt.class)); diff != "" {
			t.Errorf("DefaultLibDirs(%v, %v) (-want +got):\n%s", tt.machine, tt.class, diff)
		}
	}
}

func TestLibNameLayouts(t *testing.T) {
	o := &object{isELF: true, class: elf.ELFCLASS64, machine: elf.EM_X86_64}
	for _, tt := range []struct {
		name string
		spec map[string]any
		want string
	}{
		{"debian", map[string]any{"usr/lib/x86_64-linux-gnu/": ""}, "lib/x86_64-linux-gnu"},
		{"fedora", map[string]any{"usr/lib64/": "", "lib64": symlink("usr/lib64")}, "lib64"},
		{"plain", map[string]any{"usr/lib/": ""}, "lib"},
	} {
		r, err := New(Options{Root: fakeRoot(t, tt.spec)})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.libName(o); got != tt.want {
			t.Errorf("%s: $LIB = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func sortedSet(s []string) []string {
	set := map[string]bool{}
	for _, v := range s {
		set[v] = true
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// assertSelfContained checks that an image holding exactly res.Files
// resolves every input: each link it meets is in the result, and the
// path ends at a regular file of the result.
func assertSelfContained(t *testing.T, res *Result, inputs []string) {
	t.Helper()
	byPath := map[string]File{}
	for _, f := range res.Files {
		byPath[f.Path] = f
	}
	for _, in := range inputs {
		final, ok := resolveIn(byPath, in)
		if !ok {
			t.Errorf("%s does not resolve inside the result %v", in, res.Files)
			continue
		}
		if f := byPath[final]; f.Link != "" {
			t.Errorf("%s ends at a link %s", in, final)
		}
	}
}

// resolveIn resolves p using only the links in files, the way the
// image's own filesystem would.
func resolveIn(files map[string]File, p string) (string, bool) {
	final, err := inroot.Resolver{FS: fileSet(files)}.Resolve(p, true)
	if err != nil {
		return "", false
	}
	_, ok := files[final]
	return final, ok
}

// fileSet is the tree the result's files make: every path not in it is a
// directory.
type fileSet map[string]File

func (s fileSet) Lstat(p string) (fs.FileMode, string, error) {
	f, ok := s[p]
	switch {
	case !ok:
		return fs.ModeDir, "", nil
	case f.Link != "":
		return fs.ModeSymlink, f.Link, nil
	}
	return 0, "", nil
}
