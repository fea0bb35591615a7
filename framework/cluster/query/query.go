// SPDX-License-Identifier: Apache-2.0

// Package query answers named questions about a cluster the way com-queryclusterconf
// did, so that existing scripts keep working: the same query names, arguments and
// output, several queries in one call separated by "query=NAME", and batches read
// from a file or standard input. Besides the built-in queries it runs XPath over the
// cluster.conf document (query_value, query_xml) and the originals' query map of
// named XPaths (DefaultMap, ReadMap), with %(paramN)s standing for the arguments.
package query

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/antchfx/xmlquery"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// Invocation is one query with its arguments.
type Invocation struct {
	Name string
	Args []string
}

// String renders the invocation as it would be typed.
func (in Invocation) String() string {
	return strings.TrimSpace(in.Name + " " + strings.Join(in.Args, " "))
}

// Result is the answer to one Invocation.
type Result struct {
	Invocation
	// Values are the answer's items; a single-valued query has one.
	Values []string
	// Sep joins Values in text output (the query's default unless overridden).
	Sep string
	// Err is set when the query failed.
	Err error
	// anyItem marks XPath answers: they count as found when they have an item,
	// even an empty one (an attribute written as ""), as the originals counted.
	anyItem bool
}

// Empty reports whether the query produced no output, which com-queryclusterconf
// counted as a failure.
func (r Result) Empty() bool {
	if r.anyItem {
		return len(r.Values) == 0
	}
	for _, v := range r.Values {
		if v != "" {
			return false
		}
	}
	return true
}

// Failed reports whether the result counts towards the exit code: an error or nothing.
func (r Result) Failed() bool { return r.Err != nil || r.Empty() }

// Text renders the values joined by the separator.
func (r Result) Text() string { return strings.Join(r.Values, r.Sep) }

// ErrUnknownQuery is wrapped by the error for a query name that does not exist.
var ErrUnknownQuery = errors.New("unknown query")

// Converter renders a cluster in another format, for the "convert TYPE" query.
// It is a parameter so that this package does not depend on the writers.
type Converter func(c *cluster.Cluster, format string) (string, error)

// Def describes one query.
type Def struct {
	Name string
	// Args names the required arguments, for usage messages.
	Args []string
	// Optional names an optional trailing argument ("" for none).
	Optional string
	// Sep is the default separator of list answers.
	Sep string
	// Summary says what the query answers.
	Summary string
	// Rest names the further arguments a query takes, all of them passed to it
	// ("" when it takes none).
	Rest string
	// anyItem: see Result.anyItem.
	anyItem bool
	run     func(e *Engine, args []string) ([]string, error)
}

// Usage renders the query's synopsis.
func (d *Def) Usage() string {
	s := d.Name
	for _, a := range d.Args {
		s += " " + a
	}
	if d.Optional != "" {
		s += " [" + d.Optional + "]"
	}
	if d.Rest != "" {
		s += " [" + d.Rest + "]"
	}
	return s
}

// Engine runs queries against one cluster.
type Engine struct {
	Cluster *cluster.Cluster
	// Convert renders the cluster for "convert TYPE"; nil disables that query.
	Convert Converter
	// Sep, when not nil, overrides every query's list separator (-s).
	Sep *string
	// XML gives the cluster.conf document for the XPath queries; nil disables them.
	XML XMLSource
	// Map holds the named XPath queries (the originals' query map); nil for none.
	Map *Map
	// NoParams turns off %(paramN)s substitution in XPaths and answers (-E).
	NoParams bool
	// Properties prints an element's <property> children as NAME=VALUE lines
	// instead of the element (-p).
	Properties bool

	doc *xmlquery.Node
}

// Defs lists the queries, sorted by name.
func Defs() []*Def {
	out := make([]*Def, 0, len(defs))
	for _, d := range defs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the query of that name.
func Lookup(name string) (*Def, bool) {
	d, ok := defs[name]
	return d, ok
}

// Run answers one invocation. Extra arguments beyond what the query takes are
// ignored, as com-queryclusterconf did.
func (e *Engine) Run(in Invocation) Result {
	res := Result{Invocation: in}
	d, ok := defs[in.Name]
	if !ok {
		if ent, ok := e.Map.Lookup(in.Name); ok {
			return e.runMapped(in, ent)
		}
		res.Err = fmt.Errorf("%w %q%s; run 'osr cluster query --list' for the list", ErrUnknownQuery, in.Name, e.suggest(in.Name))
		return res
	}
	res.anyItem = d.anyItem
	res.Sep = d.Sep
	if e.Sep != nil {
		res.Sep = *e.Sep
	}
	if len(in.Args) < len(d.Args) {
		res.Err = fmt.Errorf("query %s needs %d argument(s): %s", d.Name, len(d.Args), d.Usage())
		return res
	}
	args := in.Args
	if d.Optional != "" && len(args) > len(d.Args) && e.Sep == nil {
		// The optional trailing argument of the list queries is their separator.
		res.Sep = args[len(d.Args)]
	}
	if d.Rest == "" {
		args = args[:len(d.Args)]
	}
	res.Values, res.Err = d.run(e, args)
	return res
}

// runMapped answers a query of the query map: its XPath with the arguments as
// %(param0)s, %(param1)s, …; values joined by a space unless -s says otherwise.
func (e *Engine) runMapped(in Invocation, ent MapEntry) Result {
	res := Result{Invocation: in, Sep: " ", anyItem: true}
	if e.Sep != nil {
		res.Sep = *e.Sep
	}
	res.Values, res.Err = e.runXPath(ent.XPath, in.Args)
	if res.Err != nil {
		res.Err = fmt.Errorf("query %s (%s, from %s): %w", ent.Name, ent.XPath, ent.Source, res.Err)
	}
	return res
}

// runXPath evaluates an XPath with %(paramN)s replaced by the arguments, then
// replaces %(paramN)s in the attribute values it selected (an extra filesystem's
// source "/cluster/cdsl/%(param0)s/var" becomes the node's own path).
func (e *Engine) runXPath(expr string, args []string) ([]string, error) {
	p := params(args)
	if !e.NoParams && paramRef().MatchString(expr) {
		var err error
		if expr, err = substitute(expr, p, "the XPath "+expr); err != nil {
			return nil, err
		}
	}
	ans, err := e.evalXPath(expr)
	if err != nil {
		return nil, err
	}
	for i, v := range ans.Values {
		if e.NoParams || !ans.Strings[i] || !paramRef().MatchString(v) {
			continue
		}
		if ans.Values[i], err = substitute(v, p, fmt.Sprintf("the answer %q", v)); err != nil {
			return nil, err
		}
	}
	return ans.Values, nil
}

func (e *Engine) suggest(name string) string {
	best, bestDist := "", 3
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	for _, ent := range e.Map.Entries() {
		names = append(names, ent.Name)
	}
	sort.Strings(names)
	for _, n := range names {
		if d := levenshtein.Distance(name, n, nil); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// node finds a node by name, then by id, then by MAC (the originals took a name).
func (e *Engine) node(key string) (*cluster.Node, error) {
	if n, ok := e.Cluster.FindNode(key); ok {
		return n, nil
	}
	return nil, fmt.Errorf("no node named %q (nor with that id or MAC); 'osr cluster nodes' lists them", key)
}

// nic finds a node's interface by device name or MAC.
func (e *Engine) nic(nodeKey, dev string) (*cluster.NIC, error) {
	n, err := e.node(nodeKey)
	if err != nil {
		return nil, err
	}
	nic, ok := n.NIC(dev)
	if !ok {
		names := make([]string, len(n.NICs))
		for i, c := range n.NICs {
			names[i] = c.Name
		}
		return nil, fmt.Errorf("node %s has no interface %q; it has: %s", n.Name, dev, strings.Join(names, " "))
	}
	return nic, nil
}

func (e *Engine) byMAC(mac string) (*cluster.Node, *cluster.NIC, error) {
	n, nic, ok := e.Cluster.NodeByMAC(mac)
	if !ok {
		return nil, nil, fmt.Errorf("no node has an interface with MAC %s", mac)
	}
	return n, nic, nil
}

func one(s string) []string { return []string{s} }

func itoa(i int) string { return strconv.Itoa(i) }
