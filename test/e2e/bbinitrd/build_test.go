// SPDX-License-Identifier: Apache-2.0

package bbinitrd

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cavaliergopher/cpio"

	"github.com/open-sharedroot/osr/test/e2e/busybox"
)

// fakeModules writes a modules dir: modules.dep, modules.builtin and the
// .ko files (their contents are their names).
func fakeModules(t *testing.T, dep, builtin string) string {
	t.Helper()
	dir := t.TempDir()
	for _, line := range strings.Split(strings.TrimSpace(dep), "\n") {
		mod, _, _ := strings.Cut(line, ":")
		p := filepath.Join(dir, mod)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(mod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(dep), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte(builtin), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const testDep = `kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/crc16.ko
kernel/fs/jbd2/jbd2.ko:
kernel/fs/mbcache.ko:
kernel/lib/crc16.ko:
kernel/crypto/crc32c_generic.ko:
kernel/fs/ocfs2/ocfs2_stack_o2cb.ko: kernel/fs/ocfs2/ocfs2_stackglue.ko kernel/fs/ocfs2/cluster/ocfs2_nodemanager.ko
kernel/fs/ocfs2/ocfs2_stackglue.ko: kernel/fs/ocfs2/cluster/ocfs2_nodemanager.ko
kernel/fs/ocfs2/cluster/ocfs2_nodemanager.ko:
`

func TestResolveModules(t *testing.T) {
	dir := fakeModules(t, testDep, "kernel/drivers/virtio/virtio.ko\nkernel/drivers/block/virtio_blk.ko\n")
	got, err := ResolveModules(dir, []string{"virtio_blk", "crc32c-generic", "ext4", "ocfs2_stack_o2cb", "jbd2"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kernel/crypto/crc32c_generic.ko",
		"kernel/lib/crc16.ko", "kernel/fs/mbcache.ko", "kernel/fs/jbd2/jbd2.ko", "kernel/fs/ext4/ext4.ko",
		"kernel/fs/ocfs2/cluster/ocfs2_nodemanager.ko", "kernel/fs/ocfs2/ocfs2_stackglue.ko", "kernel/fs/ocfs2/ocfs2_stack_o2cb.ko",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order:\n got %q\nwant %q", got, want)
	}
	if _, err := ResolveModules(dir, []string{"ext4", "nosuchfs"}); err == nil || !strings.Contains(err.Error(), "nosuchfs") {
		t.Errorf("unknown module: %v", err)
	}
	if _, err := ResolveModules(t.TempDir(), []string{"ext4"}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing modules.dep: %v", err)
	}
}

// readInitrd returns the entries of a gzip'd cpio archive by name.
func readInitrd(t *testing.T, path string) map[string]*cpio.Header {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := cpio.NewReader(zr)
	entries := map[string]*cpio.Header{}
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Mode.IsRegular() {
			data, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			// Keep the content in Linkname for the checks below.
			h.Linkname = string(data)
		}
		entries[h.Name] = h
	}
	return entries
}

func TestBuild(t *testing.T) {
	bb, err := busybox.Find(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("no static busybox: %v", err)
	}
	dir := fakeModules(t, testDep, "")
	dest := filepath.Join(t.TempDir(), "initrd.gz")
	mods, err := Build(context.Background(), Spec{
		Busybox: bb, ModulesDir: dir, Modules: []string{"ext4"},
		Nodes: []Node{{MAC: "52:54:00:00:01:02", ID: 2}, {MAC: "52:54:00:00:01:0A", ID: 1, Addr: netip.MustParsePrefix("10.0.0.1/24")}},
	}, dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) != 4 {
		t.Errorf("modules = %q", mods)
	}
	e := readInitrd(t, dest)
	if h := e["init"]; h == nil || h.Mode.Perm() != 0o755 || !strings.HasPrefix(h.Linkname, "#!/bin/sh") {
		t.Errorf("init = %+v", h)
	}
	if h := e["bin/sh"]; h == nil || h.Mode&^cpio.ModePerm != cpio.TypeSymlink || h.Linkname != "busybox" {
		t.Errorf("bin/sh = %+v", h)
	}
	if h := e["lib/modules/kernel/fs/ext4/ext4.ko"]; h == nil || h.Linkname != "kernel/fs/ext4/ext4.ko" {
		t.Errorf("ext4.ko = %+v", h)
	}
	if h := e["etc/modules.order"]; h == nil || h.Linkname != strings.Join(mods, "\n")+"\n" {
		t.Errorf("modules.order = %+v", h)
	}
	if h := e["etc/osr-nodemap"]; h == nil || h.Linkname != "52:54:00:00:01:0a 1 10.0.0.1/24\n52:54:00:00:01:02 2 -\n" {
		t.Errorf("node map = %q", h.Linkname)
	}
	for _, d := range []string{"dev", "proc", "sys", "newroot", "lib/modules/kernel/fs"} {
		if h := e[d]; h == nil || !h.Mode.IsDir() {
			t.Errorf("directory %s = %+v", d, h)
		}
	}
	if _, err := Build(context.Background(), Spec{Busybox: bb, ModulesDir: dir, Modules: []string{"nosuch"}}, dest+"2"); err == nil {
		t.Error("a missing module built an initrd")
	}
	if _, err := os.Stat(dest + "2"); !os.IsNotExist(err) {
		t.Errorf("a failed build left a file: %v", err)
	}
}
