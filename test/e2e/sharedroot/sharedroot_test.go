// SPDX-License-Identifier: Apache-2.0

package sharedroot

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/test/e2e/busybox"
)

func newTestTree(t *testing.T) *Tree {
	t.Helper()
	bb, err := busybox.Find(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("no static busybox: %v", err)
	}
	tree, err := NewTree(context.Background(), filepath.Join(t.TempDir(), "root"), bb)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestTreeLayout(t *testing.T) {
	tree := newTestTree(t)
	if err := tree.LinkHostDependent(HostnameFile, map[int]string{1: "node1\n", 2: "node2\n"}); err != nil {
		t.Fatal(err)
	}
	target, err := os.Readlink(tree.Path(HostnameFile))
	if err != nil || target != "../.cdsl.local/etc/hostname" {
		t.Errorf("/etc/hostname -> %q, %v", target, err)
	}
	for id, want := range map[string]string{"1": "node1\n", "2": "node2\n"} {
		got, err := os.ReadFile(tree.Path(".cluster/cdsl/" + id + "/etc/hostname"))
		if err != nil || string(got) != want {
			t.Errorf("node %s hostname = %q, %v", id, got, err)
		}
	}
	st, err := os.Stat(tree.Path(SharedDir))
	if err != nil || st.Mode()&os.ModeSticky == 0 || st.Mode().Perm() != 0o777 {
		t.Errorf("%s: %v %v", SharedDir, st.Mode(), err)
	}
	if l, err := os.Readlink(tree.Path("bin/sh")); err != nil || l != "busybox" {
		t.Errorf("bin/sh -> %q, %v", l, err)
	}
	if _, err := os.Lstat(tree.Path("bin/init")); !os.IsNotExist(err) {
		t.Errorf("bin/init should not exist (PATH would find it before /sbin/init): %v", err)
	}
	// The init script is valid shell.
	if out, err := exec.Command("sh", "-n", tree.Path("sbin/init")).CombinedOutput(); err != nil {
		t.Errorf("sbin/init: %v\n%s", err, out)
	}
}

func TestMakeTar(t *testing.T) {
	tree := newTestTree(t)
	if err := tree.LinkHostDependent(MarkerPath, map[int]string{1: "m1"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "root.tar")
	if err := MakeTar(tree, out); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil || st.Size()%512 != 0 {
		t.Fatalf("tar disk size %d is not a multiple of 512: %v", st.Size(), err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]*tar.Header{}
	r := tar.NewReader(f)
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Format != tar.FormatUSTAR || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: format %v uid %d gid %d", h.Name, h.Format, h.Uid, h.Gid)
		}
		seen[h.Name] = h
	}
	if h := seen["./etc/osr-marker"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "../.cdsl.local/etc/osr-marker" {
		t.Errorf("marker link = %+v", h)
	}
	if h := seen["./sbin/init"]; h == nil || h.Mode&0o111 == 0 {
		t.Errorf("sbin/init = %+v", h)
	}
	if h := seen["./osr-shared/"]; h == nil || h.Mode&0o1000 == 0 {
		t.Errorf("osr-shared = %+v", h)
	}
	// busybox tar, which the populate boot uses, extracts it completely.
	dest := t.TempDir()
	if out, err := exec.Command(tree.Path("bin/busybox"), "tar", "-x", "-f", out, "-C", dest).CombinedOutput(); err != nil {
		t.Fatalf("busybox tar: %v\n%s", err, out)
	}
	if data, err := os.ReadFile(filepath.Join(dest, ".cluster/cdsl/1/etc/osr-marker")); err != nil || string(data) != "m1" {
		t.Errorf("extracted marker = %q, %v", data, err)
	}
}

func TestMakeExt3AndGFS2(t *testing.T) {
	for _, tool := range []string{"mkfs.ext3", "mkfs.gfs2"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s missing: install e2fsprogs and gfs2-utils", tool)
		}
	}
	ctx := context.Background()
	tree := newTestTree(t)
	dir := t.TempDir()
	ext3 := filepath.Join(dir, "root.ext3")
	if err := MakeExt3(ctx, tree, ext3, 32); err != nil {
		t.Fatal(err)
	}
	// debugfs reads the image without mounting it.
	out, err := exec.Command("debugfs", "-R", "cat /sbin/init", ext3).CombinedOutput()
	if err != nil || !strings.Contains(string(out), MarkerDone) {
		t.Errorf("ext3 image lacks /sbin/init: %v\n%s", err, out)
	}
	gfs2 := filepath.Join(dir, "root.gfs2")
	if err := MakeGFS2(ctx, gfs2, 64, GFS2Options{LockProto: "lock_nolock", Table: "c:fs", Journals: 1}); err != nil {
		t.Fatal(err)
	}
	// lock_dlm with a journal per node, for nodes mounting at once.
	if err := MakeGFS2(ctx, gfs2, 64, GFS2Options{LockProto: "lock_dlm", Table: "osrc:root", Journals: 2}); err != nil {
		t.Fatal(err)
	}
	sb, err := exec.Command("tunegfs2", "-l", gfs2).CombinedOutput()
	if err != nil || !strings.Contains(string(sb), "Lock protocol: lock_dlm") || !strings.Contains(string(sb), "Lock table: osrc:root") {
		t.Errorf("gfs2 superblock: %v\n%s", err, sb)
	}
	if err := MakeGFS2(ctx, gfs2, 64, GFS2Options{}); err == nil {
		t.Error("gfs2 without options made")
	}
}

func TestReadHeartbeat(t *testing.T) {
	if _, err := exec.LookPath("mkfs.ocfs2"); err != nil {
		t.Fatal("mkfs.ocfs2 missing: install ocfs2-tools")
	}
	ctx := context.Background()
	img := filepath.Join(t.TempDir(), "o.img")
	if err := MakeOCFS2(ctx, img, 128, OCFS2Options{Cluster: "osrc", Slots: 2}); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeartbeat(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	// 4 KiB blocks: the 1 MiB heartbeat file is 256 clusters; in 512-byte
	// sectors that is 2048, capped at 255 slots.
	if h.Cluster != "osrc" || len(h.UUID) != 32 || h.BlockBytes != 512 || h.Blocks != 255 || h.StartBlock <= 0 || h.StartBlock%8 != 0 {
		t.Errorf("heartbeat = %+v", h)
	}
	if p := h.Param(); !strings.HasPrefix(p, "osr.o2cb=osrc:"+h.UUID+":512:") {
		t.Errorf("param = %q", p)
	}
	local := filepath.Join(t.TempDir(), "l.img")
	if err := MakeOCFS2(ctx, local, 128, OCFS2Options{Slots: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadHeartbeat(ctx, local); err == nil {
		t.Error("a local volume gave heartbeat parameters")
	}
}

func TestFirstExtent(t *testing.T) {
	stat := "\tTree Depth: 0   Count: 243   Next Free Rec: 1\n\t## Offset        Clusters       Block#          Flags\n\t0  0             256            273             0x0 \n"
	c, b, err := firstExtent(stat)
	if err != nil || c != 256 || b != 273 {
		t.Errorf("firstExtent = %d %d %v", c, b, err)
	}
	if _, _, err := firstExtent("no extents"); err == nil {
		t.Error("no error without an extent list")
	}
}

// With KeepOwners the archive keeps the files' numeric owners (a real OS's
// tree); without, root owns everything.
func TestMakeTarOwners(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file another owner")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "owned")
	if err := os.WriteFile(p, []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(p, 1234, 5678); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		keep             bool
		wantUID, wantGID int
	}{{false, 0, 0}, {true, 1234, 5678}} {
		out := filepath.Join(t.TempDir(), "root.tar")
		if err := MakeTar(&Tree{Dir: dir, KeepOwners: tc.keep}, out); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		h, err := tar.NewReader(f).Next()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != tc.wantUID || h.Gid != tc.wantGID || h.Uname != "" || h.Gname != "" {
			t.Errorf("KeepOwners %v: %s owned by %d:%d (%q:%q), want %d:%d, numeric", tc.keep, h.Name, h.Uid, h.Gid, h.Uname, h.Gname, tc.wantUID, tc.wantGID)
		}
	}
}
