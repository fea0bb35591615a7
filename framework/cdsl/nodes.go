// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
)

// ErrNoNodes is returned when no node set can be found.
var ErrNoNodes = errors.New("no nodes")

// Nodes returns the nodes CDSLs are made for: those of the cluster configuration
// (ids, or names when the inventory names node dirs by name), else 1..maxnodeidnum,
// together with every node directory already in the tree.
func (r *Repo) Nodes() ([]string, error) {
	return r.nodesFor(r.layout.Settings)
}

func (r *Repo) nodesFor(s inventory.Settings) ([]string, error) {
	if !s.UseNodeIDs && s.NodePrefix != "" {
		return nil, fmt.Errorf("node_prefix %q can only be used with node ids (use_nodeids=True)", s.NodePrefix)
	}
	var nodes []string
	switch {
	case len(r.opts.Cluster) > 0:
		for _, n := range r.opts.Cluster {
			nodes = append(nodes, s.NodeKey(n.ID, n.Name))
		}
	case s.MaxNodeIDNum > 0:
		for i := 1; i <= s.MaxNodeIDNum; i++ {
			nodes = append(nodes, strconv.Itoa(i))
		}
	}
	if r.layout != nil {
		dirs, err := r.nodeDirNames()
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			nodes = append(nodes, s.NodeOfDir(d))
		}
	}
	nodes = uniq(nodes)
	for _, n := range nodes {
		if err := checkNodeName(n); err != nil {
			return nil, err
		}
	}
	sortNodes(nodes)
	return nodes, nil
}

func checkNodeName(n string) error {
	if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") || strings.HasPrefix(n, ".") {
		return fmt.Errorf("%q is not a usable node id or name (it names a directory in the tree)", n)
	}
	if err := inventory.CheckName(n); err != nil {
		return fmt.Errorf("node %w (it names a directory in the tree and an inventory entry)", err)
	}
	return nil
}

// sortNodes sorts numeric ids by value, before any names.
func sortNodes(nodes []string) {
	sort.SliceStable(nodes, func(i, j int) bool {
		a, errA := strconv.Atoi(nodes[i])
		b, errB := strconv.Atoi(nodes[j])
		switch {
		case errA == nil && errB == nil:
			return a < b
		case errA == nil:
			return true
		case errB == nil:
			return false
		}
		return nodes[i] < nodes[j]
	})
}

// ensureNodeDirs plans the copy of the default dir for every node whose directory
// is missing, as the originals did before making a CDSL.
func (r *Repo) ensureNodeDirs(nodes []string) ([]journal.Step, error) {
	m := r.Model()
	def := r.layout.DefaultNodeDir()
	var steps []journal.Step
	for _, n := range nodes {
		dir := r.layout.NodeDir(m.NodeDir(n))
		if r.fs.Exists(dir) {
			continue
		}
		if !r.fs.IsDir(def) {
			return nil, fmt.Errorf("the default dir %s is missing: run 'osr cdsl init' to create the infrastructure", r.fs.HostPath(def))
		}
		steps = append(steps, copyStep(def, dir))
	}
	return steps, nil
}

// AddNode creates node's directory as a copy of the default dir and adds the node
// to every CDSL of the inventory.
func (r *Repo) AddNode(node string) error {
	if err := r.needV2(); err != nil {
		return err
	}
	if err := checkNodeName(node); err != nil {
		return err
	}
	m := r.Model()
	dir := r.layout.NodeDir(m.NodeDir(node))
	def := r.layout.DefaultNodeDir()
	if !r.fs.IsDir(def) {
		return fmt.Errorf("the default dir %s is missing: run 'osr cdsl init' first", r.fs.HostPath(def))
	}
	if r.fs.Exists(dir) {
		return fmt.Errorf("node %s already has a directory %s", node, r.fs.HostPath(dir))
	}
	inv := r.inv.Clone()
	for i := range inv.CDSLs {
		c := &inv.CDSLs[i]
		if !contains(c.Nodes, node) {
			c.Nodes = append(c.Nodes, node)
			sortNodes(c.Nodes)
		}
	}
	inv.Settings = r.inv.Settings
	invStep, err := r.inventoryStep(inv, "add node "+node)
	if err != nil {
		return err
	}
	return r.run(journal.Plan{Op: "nodes add " + node, Steps: []journal.Step{copyStep(def, dir), invStep}, Commit: 1})
}

// RemoveNode removes node from every CDSL and moves its directory aside to a
// backup it returns (relative to the root), or deletes it when purge is set.
func (r *Repo) RemoveNode(node string, purge bool) (string, error) {
	if err := r.needV2(); err != nil {
		return "", err
	}
	if err := checkNodeName(node); err != nil {
		return "", err
	}
	m := r.Model()
	nd := m.NodeDir(node)
	dir := r.layout.NodeDir(nd)
	if node == r.layout.DefaultDir || nd == r.layout.DefaultDir {
		return "", fmt.Errorf("the default dir is the template of every node; it cannot be removed")
	}
	// Defence in depth: only a directory right below the tree is ever removed.
	if path.Dir(dir) != r.layout.TreeDir() || path.Base(dir) != nd {
		return "", fmt.Errorf("node %q: its directory %s does not lie right below the tree %s; nothing was removed", node, r.fs.HostPath(dir), r.fs.HostPath(r.layout.TreeDir()))
	}
	if !r.fs.IsDir(dir) {
		return "", fmt.Errorf("node %s has no directory %s", node, r.fs.HostPath(dir))
	}
	if r.BoundNode() == nd {
		return "", fmt.Errorf("node %s's directory is bound on %s (it is the running node); remove it from another node", node, r.fs.HostPath(r.layout.LinkDir()))
	}
	inv := r.inv.Clone()
	for i := range inv.CDSLs {
		inv.CDSLs[i].Nodes = without(inv.CDSLs[i].Nodes, node)
	}
	backup := path.Join(r.layout.TreeDir(), "."+nd+".removed-"+time.Now().Format("20060102-150405"))
	if len(path.Base(backup)) > inventory.NameMax {
		backup = path.Join(r.layout.TreeDir(), ".node.removed-"+time.Now().Format("20060102-150405")+"-"+journal.NewID())
	}
	invStep, err := r.inventoryStep(inv, "remove node "+node)
	if err != nil {
		return "", err
	}
	steps := []journal.Step{{Op: journal.OpRename, From: dir, Path: backup}, invStep}
	if purge {
		steps = append(steps, journal.Step{Op: journal.OpRemoveAll, Path: backup})
		backup = ""
	}
	return backup, r.run(journal.Plan{Op: "nodes remove " + node, Steps: steps, Commit: 1})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
