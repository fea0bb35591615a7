// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
)

// OpenRebuilding is Open for check --scan --repair: an inventory that is
// empty or cannot be read is kept as <inventory>.cdslvalidate.<stamp>.<n>
// (returned, relative to the root) and replaced, in one journaled step, by a
// fresh one with the settings of the layout whose trees are on disk, for
// Check's scan to fill from the tree, as com-cdslinvchk -U did. A missing
// inventory stays an error: osr cdsl init makes one.
func OpenRebuilding(ctx context.Context, opts Options) (*Repo, string, error) {
	r, err := open(ctx, opts)
	if err != nil {
		return nil, "", err
	}
	err = r.load()
	if err == nil || errors.Is(err, inventory.ErrNoInventory) {
		if err != nil {
			r.Close()
			return nil, "", err
		}
		return r, "", nil
	}
	if errors.Is(err, inventory.ErrLayout) {
		// Its settings are refused, not unreadable: rebuilding would drop them.
		r.Close()
		return nil, "", err
	}
	bad := err
	mp := r.opts.Mountpoint
	files := []string{inventory.V2File, inventory.V1File}
	if r.opts.Inventory != "" {
		files = []string{r.opts.Inventory}
	}
	var file string
	for _, f := range files {
		if r.fs.Exists(rootfs.Clean(path.Join(mp, f))) {
			file = rootfs.Clean(path.Join(mp, f))
			break
		}
	}
	if file == "" {
		r.Close()
		return nil, "", bad
	}
	s := inventory.V2Defaults()
	if v1 := inventory.V1Defaults(); !r.fs.IsDir(rootfs.Clean(path.Join(mp, s.Tree))) && r.fs.IsDir(rootfs.Clean(path.Join(mp, v1.Tree))) {
		s = v1
	}
	s.Mountpoint = mp
	r.layout = &inventory.Layout{Settings: s, File: file, Physical: file, Version: inventory.Version2}
	r.inv = &inventory.Inventory{Version: inventory.Version2, Settings: s}
	backup := r.backupName()
	fmt.Fprintf(r.notes, "the inventory %s cannot be read (%v); rebuilding it from the tree, the old one is kept as %s\n",
		r.fs.HostPath(file), bad, r.fs.HostPath(backup))
	steps := []journal.Step{
		{Op: journal.OpRename, From: file, Path: backup},
		{Op: journal.OpInventory, Path: file, Link: r.layout.LinkDir(), Via: []string{r.layout.DefaultNodeDir()},
			Data: inventory.Marshal(r.inv), Note: "fresh inventory to rebuild from the tree"},
	}
	if err := r.run(journal.Plan{Op: "rebuild the inventory " + time.Now().Format(time.RFC3339), Steps: steps, Commit: len(steps)}); err != nil {
		r.Close()
		return nil, "", err
	}
	return r, backup, nil
}
