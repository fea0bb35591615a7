// SPDX-License-Identifier: Apache-2.0

package initrd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/elfdeps"
	"github.com/open-sharedroot/osr/framework/initrd/image"
	"github.com/open-sharedroot/osr/framework/listfile"
	"github.com/open-sharedroot/osr/framework/manifest"
)

// splitClusterStack separates the items of the cluster stack's listfile, which go
// into the chroot, from the rest of the image's items.
func splitClusterStack(items []listfile.Item) (rest, stack []listfile.Item) {
	for _, it := range items {
		if strings.TrimSuffix(it.Origin.Source, ".hcl") == clusterstack.Listfile {
			stack = append(stack, it)
		} else {
			rest = append(rest, it)
		}
	}
	return rest, stack
}

// addClusterStack lays out the cluster stack's chroot under clusterstack.ImageDir:
// the files clusterstack renders for the cluster (configuration, authkey,
// directories), the listfile's items, the ELF closure of every ELF file among them
// (the dlopen'ed plugins' libraries included) and the dynamic linker's cache. The
// init copies the tree to a tmpfs at boot.
func (p *Plan) addClusterStack(ctx context.Context, req *Request, files []clusterstack.File, items []listfile.Item) error {
	if files == nil {
		var err error
		if files, err = clusterStackFiles(req); err != nil {
			return err
		}
	}
	a := p.Archive.Segment(SegmentSystem)
	in := func(p string) string { return path.Join(clusterstack.ImageDir, p) }
	seen := map[string]bool{}
	add := func(e image.Entry, inner string) error {
		if seen[inner] {
			return nil
		}
		seen[inner] = true
		e.Path = in(inner)
		if err := a.Add(e); err != nil {
			return fmt.Errorf("cluster stack chroot: %w", err)
		}
		return nil
	}
	const origin = "cluster stack"
	for _, f := range files {
		// Rendered from the cluster configuration: it changes with it.
		e := image.Entry{Kind: image.File, Mode: f.Mode, Data: f.Data, Source: f.Source, Secret: f.Secret, Origin: origin, Segment: SegmentConfig}
		switch {
		case f.Dir:
			e.Kind = image.Dir
		case f.Link != "":
			e.Kind, e.Target = image.Symlink, f.Link
		}
		if err := add(e, f.Path); err != nil {
			return err
		}
	}
	var elfs []string
	for _, it := range items {
		o := it.Origin.String()
		var e image.Entry
		switch it.Kind {
		case listfile.KindDir:
			mode := it.Mode
			if mode == 0 {
				mode = 0o755
			}
			e = image.Entry{Kind: image.Dir, Mode: mode, Origin: o}
		case listfile.KindSymlink:
			e = image.Entry{Kind: image.Symlink, Target: it.Target, Origin: o}
		case listfile.KindFile, listfile.KindBinary:
			if _, err := os.Stat(it.HostPath); err != nil {
				return fmt.Errorf("%s: %w", o, err)
			}
			e = image.Entry{Kind: image.File, Source: it.HostPath, Origin: o}
			if isELF(it.HostPath) {
				elfs = append(elfs, it.Source)
			}
		default:
			return fmt.Errorf("%s: unknown item kind %q", o, it.Kind)
		}
		if err := add(e, it.ImagePath); err != nil {
			return err
		}
	}
	res, err := elfdeps.New(elfdeps.Options{Root: req.root()})
	if err != nil {
		return fmt.Errorf("cluster stack: ELF dependencies: %w", err)
	}
	closure, err := res.Closure(ctx, elfs...)
	if err != nil {
		return fmt.Errorf("cluster stack: ELF dependencies: %w", err)
	}
	if err := closure.Err(); err != nil {
		return fmt.Errorf("cluster stack: ELF dependencies: %w; install the packages that provide them", err)
	}
	for _, f := range closure.Files {
		e := image.Entry{Kind: image.File, Source: req.hostPath(f.Path), Origin: "cluster stack ELF dependency"}
		if f.Link != "" {
			e = image.Entry{Kind: image.Symlink, Target: f.Link, Origin: "cluster stack ELF dependency"}
		}
		if err := add(e, f.Path); err != nil {
			return err
		}
	}
	if _, err := os.Stat(req.hostPath("/etc/ld.so.cache")); err == nil {
		if err := add(image.Entry{Kind: image.File, Source: req.hostPath("/etc/ld.so.cache"), Mode: 0o644, Origin: origin}, "/etc/ld.so.cache"); err != nil {
			return err
		}
	}
	if p.Manifest == nil {
		p.Manifest = &manifest.Manifest{}
	}
	p.Manifest.ClusterStack = clusterstack.ImageDir
	return nil
}

// clusterStackFiles renders the chroot's own files, refusing a cluster stack that
// cannot start (no cluster configuration, no authkey, …).
func clusterStackFiles(req *Request) ([]clusterstack.File, error) {
	if req.Cluster == nil {
		return nil, fmt.Errorf("the root needs the cluster stack (listfile %s: corosync and dlm_controld), which needs the cluster configuration: give it with --cluster FILE or cluster_config in osr.hcl", clusterstack.Listfile)
	}
	settings := req.ClusterStack
	if req.ClusterFile != "" && settings.ClusterFile == "" {
		settings.ClusterFile, settings.ClusterFileDest = req.ClusterFile, clusterstack.ClusterConfigPath
	}
	files, err := clusterstack.Files(req.Cluster, settings)
	if err != nil {
		return nil, fmt.Errorf("cluster stack: %w", err)
	}
	return files, nil
}

// isELF reports whether the file starts with the ELF magic.
func isELF(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false
	}
	return bytes.Equal(magic[:], []byte("\x7fELF"))
}
