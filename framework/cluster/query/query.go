// Package query answers named questions about a cluster the way com-queryclusterconf
// did, so that existing scripts keep working: the same query names, arguments and
// output, several queries in one call separated by "query=NAME", and batches read
// from a file or standard input.
package query

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/agext/levenshtein"

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
}

// Empty reports whether the query produced no output, which com-queryclusterconf
// counted as a failure.
func (r Result) Empty() bool {
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
	return s
}

// Engine runs queries against one cluster.
type Engine struct {
	Cluster *cluster.Cluster
	// Convert renders the cluster for "convert TYPE"; nil disables that query.
	Convert Converter
	// Sep, when not nil, overrides every query's list separator (-s).
	Sep *string
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
		res.Err = fmt.Errorf("%w %q%s; run 'osr cluster query --list' for the list", ErrUnknownQuery, in.Name, suggest(in.Name))
		return res
	}
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
	res.Values, res.Err = d.run(e, args[:len(d.Args)])
	return res
}

func suggest(name string) string {
	best, bestDist := "", 3
	for n := range defs {
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
