// SPDX-License-Identifier: Apache-2.0

package sharedroot

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// run runs a host tool and returns its error with the tool's output.
func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// blankImage creates (or replaces) a sparse file of sizeMB megabytes.
func blankImage(path string, sizeMB int) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("replace image %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create image: %w", err)
	}
	if err := f.Truncate(int64(sizeMB) << 20); err != nil {
		f.Close()
		return fmt.Errorf("size image %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create image %s: %w", path, err)
	}
	return nil
}

// MakeExt3 writes an ext3 image of sizeMB megabytes holding the tree,
// without mounting anything (mkfs.ext3 -d).
func MakeExt3(ctx context.Context, t *Tree, out string, sizeMB int) error {
	if err := blankImage(out, sizeMB); err != nil {
		return err
	}
	if err := run(ctx, "mkfs.ext3", "-q", "-F", "-L", "osrroot", "-d", t.Dir, out); err != nil {
		return fmt.Errorf("make ext3 image of %s: %w", t.Dir, err)
	}
	return nil
}

// GFS2Options are the mkfs.gfs2 settings of an image.
type GFS2Options struct {
	// LockProto is "lock_nolock" (one node at a time) or "lock_dlm".
	LockProto string
	// Table is the lock table "cluster:fsname".
	Table string
	// Journals is the number of journals, one per node mounting at once.
	Journals int
}

// MakeGFS2 writes an empty GFS2 image of sizeMB megabytes.
func MakeGFS2(ctx context.Context, out string, sizeMB int, o GFS2Options) error {
	if o.LockProto == "" || o.Table == "" || o.Journals < 1 {
		return fmt.Errorf("make gfs2 image %s: lock protocol, table and journals are required", out)
	}
	if err := blankImage(out, sizeMB); err != nil {
		return err
	}
	if err := run(ctx, "mkfs.gfs2", "-O", "-q", "-p", o.LockProto, "-t", o.Table, "-j", fmt.Sprint(o.Journals), out); err != nil {
		return fmt.Errorf("make gfs2 image: %w", err)
	}
	return nil
}

// OCFS2Options are the mkfs.ocfs2 settings of an image.
type OCFS2Options struct {
	// Cluster is the o2cb cluster name; empty makes a local (single-node)
	// filesystem.
	Cluster string
	// Slots is the number of node slots, one per node mounting at once.
	Slots int
}

// MakeOCFS2 writes an empty OCFS2 image of sizeMB megabytes with 4 KiB
// blocks and clusters. Cluster mode needs no running cluster.
func MakeOCFS2(ctx context.Context, out string, sizeMB int, o OCFS2Options) error {
	if o.Slots < 1 {
		return fmt.Errorf("make ocfs2 image %s: at least one slot is required", out)
	}
	if err := blankImage(out, sizeMB); err != nil {
		return err
	}
	args := []string{"-q", "-F", "-b", "4096", "-C", "4096", "-L", "osrroot", "-N", fmt.Sprint(o.Slots)}
	if o.Cluster == "" {
		args = append(args, "-M", "local")
	} else {
		args = append(args, "--cluster-stack=o2cb", "--cluster-name="+o.Cluster)
	}
	if err := run(ctx, "mkfs.ocfs2", append(args, out)...); err != nil {
		return fmt.Errorf("make ocfs2 image: %w", err)
	}
	return nil
}

// MakeTar writes the tree as a plain tar archive (numeric owners: root, or
// the files' own with t.KeepOwners),
// which a guest reads from a raw disk to populate an image.
func MakeTar(t *Tree, out string) (err error) {
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("create tar disk: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write tar disk %s: %w", out, cerr)
		}
	}()
	tw := tar.NewWriter(f)
	walkErr := filepath.WalkDir(t.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(t.Dir, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = "./" + filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		if !t.KeepOwners {
			hdr.Uid, hdr.Gid = 0, 0
		}
		// Numeric owners: the guest's busybox knows no names.
		hdr.Uname, hdr.Gname = "", ""
		// Plain ustar: busybox tar reads GNU headers' access and change
		// times as a name prefix.
		hdr.Format = tar.FormatUSTAR
		hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
		hdr.ModTime = hdr.ModTime.Truncate(time.Second)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if walkErr != nil {
		return fmt.Errorf("pack %s into %s: %w", t.Dir, out, walkErr)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write tar disk %s: %w", out, err)
	}
	return nil
}
