// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
	"github.com/open-sharedroot/osr/framework/cdsl/lock"
	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
)

// Names of osr's own files at the root of a CDSL filesystem.
const (
	JournalFile = journal.FileName
	LockFile    = ".osr-cdsl.lock"
)

// ClusterNode is a node of the cluster configuration: its id and name.
type ClusterNode struct {
	ID   int
	Name string
}

// Options say which CDSL filesystem a Repo works on and how.
type Options struct {
	// Root is the host path of the root (default "/").
	Root string
	// Mountpoint is the CDSL-enabled filesystem's mountpoint below the root ("" for
	// the root filesystem itself).
	Mountpoint string
	// Inventory names the inventory file relative to the CDSL filesystem; empty
	// means the v2 place, then the v1 place.
	Inventory string
	// Cluster is the node set of the cluster configuration, if one was given.
	Cluster []ClusterNode
	// DryRun prints the filesystem operations to Out instead of running them.
	DryRun bool
	// Out receives the plan on a dry run; nil discards.
	Out io.Writer
	// Notes receives messages for the user: an interrupted operation finished or
	// undone, a wait for the lock; nil discards.
	Notes io.Writer
	// Cwd is the directory relative paths are taken from (default: the process's).
	Cwd string
	// LockStale is how long a silent lock holder is waited for: 30s when zero,
	// or the duration in $OSR_CDSL_LOCK_STALE (at least 500ms).
	LockStale time.Duration
	// Hook is called before each journal step; tests use it to crash at a point.
	Hook journal.Hook
	// Repair is set by check --repair: an interrupted operation that can be
	// neither finished nor undone (or a journal that cannot be read) does not
	// stop the repair: the journal is kept aside as <journal>.failed-<time> and
	// the repair works from what is on disk.
	Repair bool
}

// Repo is one CDSL filesystem opened for work: its layout, its inventory and,
// unless on a dry run, its lock.
type Repo struct {
	ctx    context.Context
	opts   Options
	fs     *rootfs.FS
	layout *inventory.Layout
	inv    *inventory.Inventory
	lock   *lock.Lock
	out    io.Writer
	notes  io.Writer
	// virtual holds, on a dry run, what earlier printed plans would have created
	// (name → where its content would have come from).
	virtual map[string]string
}

// Open opens the CDSL filesystem described by opts: it takes the lock, finishes or
// undoes an interrupted operation found in the journal, and reads the inventory.
// A missing inventory is an error wrapping inventory.ErrNoInventory.
func Open(ctx context.Context, opts Options) (*Repo, error) {
	r, err := open(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := r.load(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func open(ctx context.Context, opts Options) (*Repo, error) {
	if opts.Root == "" {
		opts.Root = "/"
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	opts.Root = root
	opts.Mountpoint = rootfs.Clean(opts.Mountpoint)
	if opts.LockStale == 0 {
		if opts.LockStale, err = staleFromEnv(); err != nil {
			return nil, err
		}
	}
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	notes := opts.Notes
	if notes == nil {
		notes = io.Discard
	}
	fsys, err := rootfs.Open(opts.Root)
	if err != nil {
		return nil, err
	}
	r := &Repo{ctx: ctx, opts: opts, fs: fsys, out: out, notes: notes}
	if !fsys.IsDir(opts.Mountpoint) {
		fsys.Close()
		return nil, fmt.Errorf("mountpoint %s is not a directory", fsys.HostPath(opts.Mountpoint))
	}
	if opts.DryRun {
		if r.fs.Exists(r.journalName()) {
			fmt.Fprintf(out, "# an interrupted operation is journaled in %s; a real run finishes or undoes it first\n", fsys.HostPath(r.journalName()))
		}
		return r, nil
	}
	if err := r.takeLock(); err != nil {
		fsys.Close()
		return nil, err
	}
	if err := r.recover(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Repo) takeLock() error {
	dir, err := r.fs.OpenDir(r.opts.Mountpoint)
	if err != nil {
		return fmt.Errorf("open CDSL filesystem: %w", err)
	}
	defer dir.Close()
	where := r.fs.HostPath(path.Join(r.opts.Mountpoint, LockFile))
	l, err := lock.Acquire(r.ctx, dir, LockFile, lock.Options{
		Stale:   r.opts.LockStale,
		Purpose: "osr cdsl",
		Path:    where,
		Waiting: func(h lock.Holder, stale time.Duration) {
			fmt.Fprintf(r.notes, "waiting for the CDSL lock %s: it is held by %s; it is taken over if that holder stays silent for %s\n",
				where, h, stale)
		},
	})
	if err != nil {
		return err
	}
	r.lock = l
	return nil
}

// LockStaleEnv names the environment variable that sets Options.LockStale when
// it is zero: a Go duration ("30s", "2s").
const LockStaleEnv = "OSR_CDSL_LOCK_STALE"

func staleFromEnv() (time.Duration, error) {
	v := os.Getenv(LockStaleEnv)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 500*time.Millisecond {
		return 0, fmt.Errorf("$%s=%q: give a duration of at least 500ms, such as 30s", LockStaleEnv, v)
	}
	return d, nil
}

func (r *Repo) journalName() string { return rootfs.Clean(path.Join(r.opts.Mountpoint, JournalFile)) }

func (r *Repo) journal() *journal.Journal {
	env := &journal.Env{FS: r.fs, Canceled: r.canceled}
	if r.lock != nil {
		env.Fence = r.lock.Verify
		env.Generation = r.lock.Generation()
	}
	return journal.New(env, r.journalName(), r.opts.Hook)
}

// canceled is checked for every file a copy makes: the context, and the lock's
// lease (cheap; it reads the lock file only when the lease ran out).
func (r *Repo) canceled() error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	if r.lock != nil {
		return r.lock.Valid()
	}
	return nil
}

// recover finishes or undoes an interrupted operation.
func (r *Repo) recover() error {
	msg, err := r.journal().Recover()
	if err != nil && r.opts.Repair && !errors.Is(err, journal.ErrFenced) && r.fs.Exists(r.journalName()) {
		aside := r.journalName() + ".failed-" + time.Now().Format("20060102-150405") + "-" + journal.NewID()
		if ferr := r.lock.Verify(); ferr != nil {
			return errors.Join(err, ferr)
		}
		if rerr := r.fs.RenameNoReplace(r.journalName(), aside); rerr != nil {
			return errors.Join(err, fmt.Errorf("keep the journal aside: %w", rerr))
		}
		fmt.Fprintf(r.notes, "the interrupted operation in the journal can be neither finished nor undone (%v); the journal is kept as %s and the repair works from what is on disk\n",
			err, r.fs.HostPath(aside))
		return nil
	}
	if err != nil {
		return err
	}
	if msg != "" {
		fmt.Fprintln(r.notes, msg)
	}
	return nil
}

// load (re)reads the inventory.
func (r *Repo) load() error {
	l, inv, err := inventory.Locate(r.fs, r.opts.Mountpoint, r.opts.Inventory)
	if err != nil {
		return err
	}
	r.layout, r.inv = l, inv
	return nil
}

// Close releases the lock and the root.
func (r *Repo) Close() error {
	var err error
	if r.lock != nil {
		err = r.lock.Release()
		r.lock = nil
	}
	return errors.Join(err, r.fs.Close())
}

// FS returns the confined root.
func (r *Repo) FS() *rootfs.FS { return r.fs }

// Layout returns the layout read from the inventory.
func (r *Repo) Layout() *inventory.Layout { return r.layout }

// Inventory returns the inventory as read.
func (r *Repo) Inventory() *inventory.Inventory { return r.inv }

// Model returns the path model of the inventory.
func (r *Repo) Model() Model { return Model{Settings: r.layout.Settings, Inv: r.inv} }

// at turns a name relative to the CDSL filesystem into one relative to the root.
func (r *Repo) at(name string) string { return r.layout.At(name) }

// needV2 refuses to change an inventory in the old format.
func (r *Repo) needV2() error {
	if r.inv.Version != inventory.Version2 {
		return fmt.Errorf("inventory %s has format %s; run 'osr cdsl migrate' first", r.fs.HostPath(r.layout.Physical), r.inv.Version)
	}
	return nil
}

// BoundNode returns the node directory bound on the link dir, or "".
func (r *Repo) BoundNode() string { return r.layout.BoundNode(r.fs) }

// viewDir is the node directory whose view of the link dir is used when reading
// through it: the bound node's, else the default dir.
func (r *Repo) viewDir() string {
	if b := r.BoundNode(); b != "" {
		return b
	}
	return r.layout.DefaultDir
}

// subst reads the link dir as the view dir's tree.
func (r *Repo) subst() func(string) string { return r.layout.SubstFor(r.viewDir()) }

// run journals and runs plan, or prints it on a dry run.
func (r *Repo) run(plan journal.Plan) error {
	if err := r.checkDeletes(plan); err != nil {
		return err
	}
	if r.opts.DryRun {
		fmt.Fprintf(r.out, "# %s\n", plan.Op)
		plan.Print(r.out)
		return nil
	}
	if len(plan.Steps) == 0 {
		return nil
	}
	if err := r.journal().Run(plan); err != nil {
		return err
	}
	return r.load()
}

// checkDeletes is a last line of defence: a plan deletes (OpRemoveAll) only
// what an earlier step of its own moved aside to a trash or backup name, and
// never anything outside the layout's trees that it did not move there itself.
func (r *Repo) checkDeletes(plan journal.Plan) error {
	movedAside := map[string]bool{}
	for _, s := range plan.Steps {
		switch s.Op {
		case journal.OpRename:
			if isTrashName(path.Base(s.Path)) {
				movedAside[rootfs.Clean(s.Path)] = true
			}
		case journal.OpRemoveAll:
			if !movedAside[rootfs.Clean(s.Path)] {
				return fmt.Errorf("internal error: %q would delete %s, which it did not move aside first; nothing was changed", plan.Op, r.fs.HostPath(s.Path))
			}
		}
	}
	return nil
}

// inventoryStep writes inv as the new inventory, in every node's copy when the
// inventory lies inside a hostdependent CDSL.
func (r *Repo) inventoryStep(inv *inventory.Inventory, note string) (journal.Step, error) {
	old, err := r.fs.ReadFile(r.layout.Physical)
	if err != nil {
		return journal.Step{}, fmt.Errorf("read inventory: %w", err)
	}
	vias := []string{r.layout.NodeDir(r.viewDir())}
	dirs, err := r.nodeDirNames()
	if err != nil {
		return journal.Step{}, err
	}
	for _, d := range append(dirs, r.layout.DefaultDir) {
		vias = append(vias, r.layout.NodeDir(d))
	}
	return journal.Step{Op: journal.OpInventory, Path: r.layout.File, Link: r.layout.LinkDir(),
		Via: uniq(vias), Data: inventory.Marshal(inv), Old: old, Note: note}, nil
}

// nodeDirNames lists the node directories present in the tree (not default, not
// hidden names), sorted.
func (r *Repo) nodeDirNames() ([]string, error) {
	names, err := r.fs.ReadDirNames(r.layout.TreeDir())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("list node directories: %w", err)
	}
	var out []string
	for _, n := range names {
		if n == r.layout.DefaultDir || strings.HasPrefix(n, ".") || !r.fs.IsDir(path.Join(r.layout.TreeDir(), n)) {
			continue
		}
		out = append(out, n)
	}
	sortNodes(out)
	return out, nil
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// now is the inventory timestamp of a new entry: seconds with a fraction, as the
// originals' time.time() wrote it.
func now() string {
	t := time.Now()
	return fmt.Sprintf("%d.%02d", t.Unix(), t.Nanosecond()/10_000_000)
}
