// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"fmt"
	"path"
	"time"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
)

// Problem is one way the disk disagrees with an inventory entry.
type Problem struct {
	Src     string
	Message string
	// fix plans the repair; nil when it cannot be repaired without losing data.
	fix func(p *planner, inv *inventory.Inventory) error
	// gone is set when nothing of the CDSL is left: the repair drops the entry.
	gone bool
}

// Repairable reports whether check --repair can fix the problem.
func (p Problem) Repairable() bool { return p.fix != nil }

func (p Problem) String() string { return p.Src + ": " + p.Message }

// Verify checks one inventory entry against the disk: its symlinks exist and
// point where they must, and its data exists for every node and the default dir.
func (r *Repo) Verify(c inventory.CDSL) []Problem {
	m := r.Model()
	var probs []Problem
	add := func(msg string, fix func(*planner, *inventory.Inventory) error) {
		probs = append(probs, Problem{Src: c.Src, Message: msg, fix: fix})
	}
	target := m.Target(c)
	links := m.LinkLocations(c)
	data := m.DataLocations(c)
	missingLinks, missingData := 0, 0
	for _, l := range links {
		l := r.at(l)
		switch {
		case !r.fs.Exists(l):
			missingLinks++
			if !r.fs.IsDir(path.Dir(l)) {
				add(fmt.Sprintf("symlink %s is missing and so is its directory", l), nil)
				continue
			}
			add(fmt.Sprintf("symlink %s is missing", l), func(p *planner, _ *inventory.Inventory) error {
				p.add(journal.Step{Op: journal.OpSymlink, Path: l, Target: target})
				return nil
			})
		case !r.fs.IsSymlink(l):
			add(fmt.Sprintf("%s should be a symlink to %s but is a real path; move it away or remove the CDSL with 'osr cdsl rm -f'", l, target), nil)
		default:
			got, err := r.fs.Readlink(l)
			if err != nil {
				add(err.Error(), nil)
			} else if got != target {
				add(fmt.Sprintf("symlink %s points to %s instead of %s", l, got, target), func(p *planner, _ *inventory.Inventory) error {
					trash := p.trash(l)
					p.add(journal.Step{Op: journal.OpSymlink, Path: l, Target: target})
					p.later = append(p.later, journal.Step{Op: journal.OpRemoveAll, Path: trash})
					return nil
				})
			}
		}
	}
	var source string // an existing copy to repair missing ones from (default first)
	for i := len(data) - 1; i >= 0; i-- {
		if d := r.at(data[i]); r.fs.Exists(d) {
			source = d
			break
		}
	}
	for _, d := range data {
		d := r.at(d)
		if r.fs.Exists(d) {
			continue
		}
		missingData++
		if source == "" {
			add(fmt.Sprintf("its data %s is missing", d), nil)
			continue
		}
		from := source
		add(fmt.Sprintf("its data %s is missing (a copy of %s will be made)", d, from), func(p *planner, _ *inventory.Inventory) error {
			return p.copyTo(from, d)
		})
	}
	if missingLinks == len(links) && missingData == len(data) {
		// Nothing is left: the CDSL was removed behind the inventory's back.
		return []Problem{{Src: c.Src, Message: fmt.Sprintf("neither its symlinks nor its data exist: the %s CDSL is gone", c.Type), gone: true,
			fix: func(_ *planner, inv *inventory.Inventory) error { inv.Delete(c.Src); return nil }}}
	}
	return probs
}

// CheckOptions tune Check.
type CheckOptions struct {
	// Repair fixes what can be fixed without losing data.
	Repair bool
	// Scan also searches the filesystem for CDSLs missing from the inventory.
	Scan bool
}

// CheckResult is what Check found and did.
type CheckResult struct {
	Problems []Problem
	// Found are CDSLs on disk that the inventory lacks (Scan).
	Found []inventory.CDSL
	// Repaired counts the problems fixed and the CDSLs added; Backup is the copy of
	// the inventory made before the repair (relative to the root).
	Repaired int
	Backup   string
}

// Check compares the inventory with the disk; with Repair it backs the inventory
// up and fixes what it can in one journaled operation.
func (r *Repo) Check(o CheckOptions) (CheckResult, error) {
	var res CheckResult
	for _, c := range r.inv.Sorted() {
		res.Problems = append(res.Problems, r.Verify(c)...)
	}
	if o.Scan {
		found, err := r.Scan()
		if err != nil {
			return res, err
		}
		res.Found = found
	}
	if !o.Repair {
		return res, nil
	}
	if err := r.needV2(); err != nil {
		return res, err
	}
	p := r.newPlanner()
	inv := r.inv.Clone()
	for _, pr := range res.Problems {
		if pr.fix != nil {
			if err := pr.fix(p, inv); err != nil {
				return res, fmt.Errorf("repair %s: %w", pr.Src, err)
			}
			res.Repaired++
		}
	}
	for _, c := range res.Found {
		inv.Put(c)
		res.Repaired++
	}
	if res.Repaired == 0 {
		return res, nil
	}
	res.Backup = r.backupName()
	steps := append([]journal.Step{copyStep(r.layout.Physical, res.Backup)}, p.steps...)
	invStep, err := r.inventoryStep(inv, "repair")
	if err != nil {
		return res, err
	}
	commit := len(steps)
	steps = append(append(steps, invStep), p.later...)
	return res, r.run(journal.Plan{Op: "check --repair", Steps: steps, Commit: commit})
}

// backupName is <inventory>.cdslvalidate.<YYYYmmdd-HHMMSS>.<n>, the originals' name.
func (r *Repo) backupName() string {
	stamp := time.Now().Format("20060102-150405")
	for n := 1; ; n++ {
		b := fmt.Sprintf("%s.cdslvalidate.%s.%d", r.layout.Physical, stamp, n)
		if !r.fs.Exists(b) {
			return b
		}
	}
}
