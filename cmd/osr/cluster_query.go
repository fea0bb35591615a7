// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"text/tabwriter"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/cluster/query"
	"github.com/open-sharedroot/osr/framework/cluster/render"
)

func init() {
	clusterSubs["query"] = clusterSub{summary: "answer named queries", run: runClusterQuery}
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

func runClusterQuery(e *env, args []string) error {
	return runQueryCommand(e, osrQueryEntry, args)
}

// runQueryCommand parses the query options (osr's and every one of
// com-queryclusterconf's), loads the cluster and the query map, answers the
// queries and exits with the number of failed or empty ones.
func runQueryCommand(e *env, entry queryEntry, args []string) error {
	fs := e.flagSet(entry.name)
	var cf clusterFileFlags
	cf.bind(fs)
	var (
		asJSON, list, validate, compatFlag, noParams, props bool
		sep, prefix, suffix, queriesFile, mapFile           string
	)
	fs.BoolVar(&asJSON, "json", false, "one JSON object a line for each query")
	fs.BoolVar(&list, "list", false, "list the queries (with the query map's)")
	fs.BoolVar(&validate, "V", false, "validate the configuration first")
	fs.BoolVar(&validate, "validate", false, "validate the configuration first")
	for _, n := range []string{"q", "query", "W", "nowarnings", "Y", "pretty"} {
		fs.BoolVar(&compatFlag, n, false, "accepted for compatibility (no effect)")
	}
	for _, n := range []string{"E", "evalparams"} {
		fs.BoolVar(&noParams, n, false, "do not replace %(paramN)s by the query's arguments")
	}
	for _, n := range []string{"p", "properties"} {
		fs.BoolVar(&props, n, false, "print the <property> children of selected elements as NAME=VALUE lines")
	}
	for _, n := range []string{"m", "querymapfile"} {
		fs.StringVar(&mapFile, n, "", "read named XPath queries from the INI `FILE` (default $QUERYMAPFILE, else "+query.DefaultMapFile+" when present)")
	}
	for _, n := range []string{"s", "separator", "seperator"} {
		fs.StringVar(&sep, n, "", "join list answers with `SEP` (default: the query's own)")
	}
	for _, n := range []string{"P", "prefix"} {
		fs.StringVar(&prefix, n, "", "write `TEXT` before each answer")
	}
	for _, n := range []string{"S", "suffix"} {
		fs.StringVar(&suffix, n, entry.suffix, "write `TEXT` after each answer")
	}
	for _, n := range []string{"Q", "queriesfile", "queries-file"} {
		fs.StringVar(&queriesFile, n, "", "read queries from `FILE` (- for standard input)")
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
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
	invs, err := queryInvocations(e, pos, queriesFile)
	if err != nil {
		return err
	}
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
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "s" || f.Name == "separator" || f.Name == "seperator" {
			eng.Sep = &sep
		}
	})
	results := make([]query.Result, len(invs))
	failed := 0
	for i, in := range invs {
		results[i] = eng.Run(in)
		if results[i].Failed() {
			failed++
		}
		if err := results[i].Err; err != nil && !asJSON {
			fmt.Fprintf(e.stderr, "%s: %s: %v\n", entry.name, in, err)
		}
	}
	if asJSON {
		err = query.WriteJSON(e.stdout, results)
	} else {
		err = query.WriteText(e.stdout, results, query.TextOptions{Prefix: prefix, Suffix: suffix})
	}
	if err != nil {
		return err
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

// queryInvocations reads the queries from the arguments or the queries file.
func queryInvocations(e *env, pos []string, queriesFile string) ([]query.Invocation, error) {
	var invs []query.Invocation
	switch queriesFile {
	case "":
	case "-":
		batch, err := query.ReadBatch(e.stdin)
		if err != nil {
			return nil, fmt.Errorf("standard input: %w", err)
		}
		invs = batch
	default:
		f, err := os.Open(queriesFile)
		if err != nil {
			return nil, fmt.Errorf("queries file: %w", err)
		}
		defer f.Close()
		batch, err := query.ReadBatch(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", queriesFile, err)
		}
		invs = batch
	}
	if len(pos) > 0 {
		more, err := query.Split(pos)
		if err != nil {
			return nil, usagef("%v", err)
		}
		invs = append(invs, more...)
	}
	if len(invs) == 0 {
		return nil, usagef("no query given; for example 'osr cluster query nodeids' (--list shows them all)")
	}
	return invs, nil
}
