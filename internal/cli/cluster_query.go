// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/cluster/query"
	"github.com/open-sharedroot/osr/framework/cluster/render"
)

func init() {
	clusterCommands = append(clusterCommands, newQueryCmd)
}

// maxExitCode caps the exit status: it counts failed queries, and 256 would read as 0.
const maxExitCode = 255

// queryEntry describes one command line that answers cluster queries: osr cluster
// query, and the originals' com-queryclusterconf, which share runQueryCommand.
type queryEntry struct {
	// name is the command as the user typed it, for messages.
	name string
	// suffix is what follows each answer unless -S says otherwise: a newline for
	// osr cluster query, nothing for com-queryclusterconf (as the original).
	suffix string
	// clusterEnv, when set, names an environment variable that gives the cluster
	// file when no option names one (CLUSTERCONF for com-queryclusterconf).
	clusterEnv string
}

// osrQueryEntry is osr cluster query.
var osrQueryEntry = queryEntry{name: "osr cluster query", suffix: "\n"}

// comQueryEntry is com-queryclusterconf, the originals' command name.
var comQueryEntry = queryEntry{name: "com-queryclusterconf", suffix: "", clusterEnv: "CLUSTERCONF"}

// queryFlags are osr cluster query's options: osr's and every one of
// com-queryclusterconf's.
type queryFlags struct {
	cf                                        clusterFileFlags
	asJSON, list, validate, noParams, props   bool
	pretty, noWarnings                        bool
	sep, prefix, suffix, queriesFile, mapFile string
}

func newQueryCmd(e *env) *cobra.Command {
	var q queryFlags
	entry := e.queryEntry
	c := &cobra.Command{
		Use:   "query NAME [ARGS…] [query=NAME ARGS…]",
		Short: "answer named queries, as com-queryclusterconf",
		Long: `Answers named queries about the cluster configuration, one answer a line, as
com-queryclusterconf did: several queries in one call are separated by
query=NAME; --list shows every query (with the query map's XPath queries).
The exit status is the number of queries that failed or found nothing.
-Q FILE (- for standard input) reads one query a line.`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			sepGiven := cmd.Flags().Changed("separator") || cmd.Flags().Changed("seperator")
			return runQueryCommand(e, entry, &q, sepGiven, pos)
		},
	}
	fs := c.Flags()
	q.cf.bind(fs)
	fs.BoolVar(&q.asJSON, "json", false, "one JSON object a line for each query")
	fs.BoolVar(&q.list, "list", false, "list the queries (with the query map's)")
	fs.BoolVarP(&q.validate, "validate", "V", false, "validate the configuration first")
	fs.BoolVarP(&q.noWarnings, "nowarnings", "W", false, "accepted for compatibility (no effect; -q silences warnings)")
	fs.BoolVarP(&q.pretty, "pretty", "Y", false, "accepted for compatibility (no effect)")
	fs.BoolVarP(&q.noParams, "evalparams", "E", false, "do not replace %(paramN)s by the query's arguments")
	fs.BoolVarP(&q.props, "properties", "p", false, "print the <property> children of selected elements as NAME=VALUE lines")
	fs.StringVarP(&q.mapFile, "querymapfile", "m", "", "read named XPath queries from the INI `FILE` (default $QUERYMAPFILE, else "+query.DefaultMapFile+" when present)")
	fs.StringVarP(&q.sep, "separator", "s", "", "join list answers with `SEP` (default: the query's own)")
	alias(fs, "separator", "seperator", "")
	fs.StringVarP(&q.prefix, "prefix", "P", "", "write `TEXT` before each answer")
	fs.StringVarP(&q.suffix, "suffix", "S", entry.suffix, "write `TEXT` after each answer")
	fs.StringVarP(&q.queriesFile, "queriesfile", "Q", "", "read queries from `FILE` (- for standard input)")
	alias(fs, "queriesfile", "queries-file", "")
	return c
}

// runQueryCommand loads the cluster and the query map, answers the queries
// and exits with the number of failed or empty ones.
func runQueryCommand(e *env, entry queryEntry, q *queryFlags, sepGiven bool, pos []string) error {
	cf, asJSON, list, validate, noParams, props := q.cf, q.asJSON, q.list, q.validate, q.noParams, q.props
	sep, prefix, suffix, queriesFile, mapFile := q.sep, q.prefix, q.suffix, q.queriesFile, q.mapFile
	qmap, err := loadQueryMap(e, mapFile)
	if err != nil {
		return err
	}
	if list {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		for _, d := range query.Defs() {
			fmt.Fprintf(tw, "%s\t%s\n", d.Usage(), d.Summary)
		}
		for _, m := range qmap.Entries() {
			fmt.Fprintf(tw, "%s\tXPath %s (%s)\n", m.Name, m.XPath, m.Source)
		}
		return tw.Flush()
	}
	next, done, err := queryInvocations(e, pos, queriesFile)
	if err != nil {
		return err
	}
	defer done()
	if cf.file == "" && entry.clusterEnv != "" {
		cf.file = os.Getenv(entry.clusterEnv)
	}
	c, err := loadCluster(e, &cf, "")
	if errors.Is(err, os.ErrNotExist) {
		// A missing cluster file is a wrong invocation (exit code 2), as it was for
		// com-queryclusterconf.
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	if validate {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("the configuration is not valid:\n%w", err)
		}
	}
	eng := &query.Engine{Cluster: c, Convert: render.Convert, XML: clusterXML(c), Map: qmap, NoParams: noParams, Properties: props}
	if sepGiven {
		eng.Sep = &sep
	}
	// Each answer is written as soon as its query is read (a batch on standard
	// input is answered line by line, never held whole).
	failed, answered := 0, 0
	for {
		in, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		answered++
		r := eng.Run(in)
		if r.Failed() {
			failed++
		}
		if err := r.Err; err != nil && !asJSON {
			fmt.Fprintf(e.stderr, "%s: %s: %v\n", entry.name, in, err)
		}
		if asJSON {
			err = query.WriteJSONResult(e.stdout, r)
		} else {
			err = query.WriteTextResult(e.stdout, r, query.TextOptions{Prefix: prefix, Suffix: suffix})
		}
		if err != nil {
			return err
		}
	}
	if answered == 0 {
		return usagef("no query given; for example 'osr cluster query nodeids' (--list shows them all)")
	}
	if failed > 0 {
		return exitError{code: min(failed, maxExitCode)}
	}
	return nil
}

// loadQueryMap is the built-in query map with the map file laid over it: the
// one named by -m, else $QUERYMAPFILE, else /etc/comoonics/querymap.cfg. A map
// file that does not exist leaves the built-in map, with a warning when -m named
// it (the original ignored it silently; boot scripts pass -m for a file an image
// may lack).
func loadQueryMap(e *env, named string) (*query.Map, error) {
	m := query.DefaultMap()
	path, explicit := named, named != ""
	if path == "" {
		path = os.Getenv(query.EnvMapFile)
	}
	if path == "" {
		path = query.DefaultMapFile
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		if explicit {
			e.log.Warn("the query map file does not exist; answering with the built-in query map", "file", path)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("query map: %w", err)
	}
	file, err := query.ReadMap(path, data)
	if err != nil {
		return nil, fmt.Errorf("query map: %w", err)
	}
	m.Overlay(file)
	return m, nil
}

// clusterXML gives the XPath queries their document: a cluster.conf as written,
// an HCL cluster file rendered to the cluster.conf model first.
func clusterXML(c *cluster.Cluster) query.XMLSource {
	return func() ([]byte, error) {
		if c.Format == cluster.FormatClusterConf && c.Pos.File != "" {
			return os.ReadFile(c.Pos.File)
		}
		return render.ClusterConfXML(c), nil
	}
}

// queryInvocations returns the queries one at a time: those of the queries file
// (- for standard input) as it is read, then those of the arguments. done closes
// the file. With neither a file nor arguments it is a usage error.
func queryInvocations(e *env, pos []string, queriesFile string) (next func() (query.Invocation, bool, error), done func(), err error) {
	var more []query.Invocation
	if len(pos) > 0 {
		if more, err = query.Split(pos); err != nil {
			return nil, nil, usagef("%v", err)
		}
	}
	done = func() {}
	var batch *query.Batch
	name := "standard input"
	switch queriesFile {
	case "":
		if len(more) == 0 {
			return nil, nil, usagef("no query given; for example 'osr cluster query nodeids' (--list shows them all)")
		}
	case "-":
		batch = query.NewBatch(e.stdin)
	default:
		f, err := os.Open(queriesFile)
		if err != nil {
			return nil, nil, fmt.Errorf("queries file: %w", err)
		}
		done = func() { f.Close() }
		batch, name = query.NewBatch(f), queriesFile
	}
	next = func() (query.Invocation, bool, error) {
		if batch != nil {
			if in, ok := batch.Next(); ok {
				return in, true, nil
			}
			if err := batch.Err(); err != nil {
				return query.Invocation{}, false, fmt.Errorf("%s: %w", name, err)
			}
			batch = nil
		}
		if len(more) == 0 {
			return query.Invocation{}, false, nil
		}
		in := more[0]
		more = more[1:]
		return in, true, nil
	}
	return next, done, nil
}
