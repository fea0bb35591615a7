// SPDX-License-Identifier: Apache-2.0

package journal

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"
)

// FileName is the journal's name at the root of a CDSL filesystem (never inside a
// CDSL, so making a path hostdependent never copies it).
const FileName = ".osr-cdsl.journal"

// Plan is an operation: its steps and where it commits.
type Plan struct {
	// Op describes the operation for messages ("add -a var").
	Op    string `json:"op"`
	Steps []Step `json:"steps"`
	// Commit is the index of the first step that is never undone. Steps before it
	// are rolled back when the operation fails; steps from it on are finished.
	Commit int `json:"commit"`
}

// record is the journal file's content.
type record struct {
	Version int       `json:"version"`
	ID      string    `json:"id"`
	Started time.Time `json:"started"`
	Plan
	Done    int  `json:"done"`    // steps completed
	Undoing bool `json:"undoing"` // rolling back: steps below Done are being undone
	// Generation is the lock generation of the process that runs the operation
	// now; a process that recovers the journal writes its own.
	Generation uint64 `json:"generation,omitempty"`

	onDisk bool // the journal file holds this record (it was saved by this process)
}

// ErrFenced is returned (wrapped) when the process lost the lock during an
// operation: it stopped without changing anything more, and the next holder
// finishes or undoes the operation.
var ErrFenced = errors.New("this process no longer holds the CDSL lock")

// fenced wraps the reason a fence check failed.
func fenced(op string, cause error) error {
	return fmt.Errorf("%s: %w (%w); it stopped without changing anything more: whoever took the lock finishes or undoes the operation. See the result with 'osr cdsl check'",
		op, ErrFenced, cause)
}

// Hook, when set, is called before each step runs (and before each is undone, with
// undo true). Tests use it to kill the process at an exact point.
type Hook func(i int, s Step, undo bool)

// Journal runs plans on one CDSL filesystem.
type Journal struct {
	env  *Env
	name string // the journal file, relative to the root
	hook Hook
}

// New returns a journal kept in file (relative to env.FS's root).
func New(env *Env, file string, hook Hook) *Journal {
	return &Journal{env: env, name: file, hook: hook}
}

// Print writes the plan's steps as commands, one a line.
func (p *Plan) Print(w io.Writer) {
	for _, s := range p.Steps {
		fmt.Fprintln(w, s.String())
	}
}

// NewID returns a short random id for names of staging and trash files.
func NewID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Pending reports whether an interrupted operation waits in the journal.
func (j *Journal) Pending() bool { return j.env.FS.Exists(j.name) }

// fence checks, before anything is changed, that the process still holds the
// lock the operation runs under.
func (j *Journal) fence(op string) error {
	if j.env.Fence == nil {
		return nil
	}
	if err := j.env.Fence(); err != nil {
		if errors.Is(err, ErrFenced) {
			return err
		}
		return fenced(op, err)
	}
	return nil
}

// Run journals plan and runs it. If a step fails before the commit point, the
// steps done are undone and the error says so; if one fails after it, the journal
// stays for Recover to finish.
func (j *Journal) Run(plan Plan) error {
	if j.Pending() {
		return fmt.Errorf("an interrupted operation is still journaled in %s: run 'osr cdsl check --repair'", j.name)
	}
	rec := &record{Version: 1, ID: NewID(), Started: time.Now().UTC(), Plan: plan, Generation: j.env.Generation}
	if err := j.save(rec); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return j.forward(rec)
}

// Recover finishes or undoes an interrupted operation. It returns what it did
// ("" when nothing was pending).
func (j *Journal) Recover() (string, error) {
	data, err := j.env.FS.ReadFile(j.name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", fmt.Errorf("read journal: %w", err)
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil || rec.Version != 1 {
		return "", fmt.Errorf("journal %s is unreadable (%v); move it aside, then run 'osr cdsl check --scan --repair'", j.env.FS.HostPath(j.name), err)
	}
	// Take the operation over: from now on a process with an older generation
	// finds the journal is no longer its own.
	rec.onDisk = true
	rec.Generation = max(rec.Generation, j.env.Generation)
	if err := j.save(&rec); err != nil {
		return "", err
	}
	if rec.Undoing {
		if err := j.backward(&rec, nil); err != nil {
			return "", err
		}
		return fmt.Sprintf("rolled back interrupted operation %q", rec.Op), nil
	}
	before := rec.Done < rec.Commit
	if err := j.forward(&rec); err != nil {
		return "", err
	}
	if before {
		return fmt.Sprintf("finished interrupted operation %q", rec.Op), nil
	}
	return fmt.Sprintf("finished interrupted operation %q (it had committed)", rec.Op), nil
}

func (j *Journal) forward(rec *record) error {
	for rec.Done < len(rec.Steps) {
		i := rec.Done
		end := i + 1
		for end < len(rec.Steps) && rec.Steps[i].Op == OpCopy && rec.Steps[end].Op == OpCopy {
			end++
		}
		if failed, err := j.runGroup(rec, i, end); err != nil {
			if ferr := j.owned(rec); ferr != nil {
				return ferr // never undo or finish what is someone else's now
			}
			if failed < rec.Commit {
				rec.Done = end - 1 // undo the whole group: undoing a copy that did not run is harmless
				return j.backward(rec, err)
			}
			return fmt.Errorf("operation %q committed but could not finish (%w); run 'osr cdsl check --repair' to finish it", rec.Op, err)
		}
		rec.Done = end
		if rec.Done == len(rec.Steps) {
			break
		}
		if err := j.save(rec); err != nil {
			return fmt.Errorf("write journal: %w", err)
		}
	}
	return j.clear(rec)
}

// maxParallel bounds the copies run at once.
const maxParallel = 4

// runGroup runs steps [i, end): one step, or consecutive copies in parallel
// (they write to different places and each is idempotent). It returns the index
// of a failed step with its error.
func (j *Journal) runGroup(rec *record, i, end int) (int, error) {
	run := func(k int) error {
		s := rec.Steps[k]
		if j.hook != nil {
			j.hook(k, s, false)
		}
		if err := j.owned(rec); err != nil {
			return err
		}
		if err := s.do(j.env); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		return nil
	}
	if end-i == 1 {
		return i, run(i)
	}
	type result struct {
		k   int
		err error
	}
	results := make(chan result, end-i)
	sem := make(chan struct{}, maxParallel)
	for k := i; k < end; k++ {
		go func(k int) {
			sem <- struct{}{}
			defer func() { <-sem }()
			results <- result{k, run(k)}
		}(k)
	}
	failed, ferr := -1, error(nil)
	for n := i; n < end; n++ {
		r := <-results
		if r.err != nil && (failed < 0 || r.k < failed) {
			failed, ferr = r.k, r.err
		}
	}
	return failed, ferr
}

// backward undoes the steps up to and including rec.Done (which may have run in part).
func (j *Journal) backward(rec *record, cause error) error {
	if !rec.Undoing {
		rec.Undoing = true
		rec.Done = min(rec.Done+1, rec.Commit)
		if err := j.save(rec); err != nil {
			return fmt.Errorf("write journal: %w", err)
		}
	}
	for rec.Done > 0 {
		i := rec.Done - 1
		s := rec.Steps[i]
		if j.hook != nil {
			j.hook(i, s, true)
		}
		if err := j.owned(rec); err != nil {
			return err
		}
		if err := s.undo(j.env); err != nil {
			return fmt.Errorf("undo %q after %v: %s: %w (the journal %s keeps the state; fix the cause and run 'osr cdsl check --repair')",
				rec.Op, cause, s, err, j.name)
		}
		rec.Done = i
		if err := j.save(rec); err != nil {
			return fmt.Errorf("write journal: %w", err)
		}
	}
	if err := j.clear(rec); err != nil {
		return err
	}
	if cause != nil {
		return fmt.Errorf("%w (everything was rolled back)", cause)
	}
	return nil
}

// save writes rec to the journal file, after checking that the process still
// holds the lock and the file is still this operation's, not taken over.
func (j *Journal) save(rec *record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := j.env.FS.WriteFileChecked(j.name, data, 0o600, func() error { return j.owned(rec) }); err != nil {
		return err
	}
	rec.onDisk = true
	return nil
}

// owned checks the lock, then that the journal file holds the operation rec as
// this process last wrote it: a process that took the operation over wrote a
// higher generation into it, or finished it and removed the file.
func (j *Journal) owned(rec *record) error {
	if err := j.fence(rec.Op); err != nil {
		return err
	}
	data, err := j.env.FS.ReadFile(j.name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if rec.onDisk {
			return fenced(rec.Op, errors.New("its journal was finished by another process"))
		}
		return nil
	case err != nil:
		return fmt.Errorf("read journal: %w", err)
	}
	var disk record
	if err := json.Unmarshal(data, &disk); err != nil || disk.ID != rec.ID {
		return fenced(rec.Op, errors.New("the journal holds another operation now"))
	}
	if disk.Generation > rec.Generation {
		return fenced(rec.Op, fmt.Errorf("the journal was taken over by lock generation %d (this process has %d)", disk.Generation, rec.Generation))
	}
	return nil
}

func (j *Journal) clear(rec *record) error {
	if err := j.owned(rec); err != nil {
		return err
	}
	if err := j.env.FS.Remove(j.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove journal: %w", err)
	}
	rec.onDisk = false
	return nil
}
