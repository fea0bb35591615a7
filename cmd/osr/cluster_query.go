package main

import (
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/open-sharedroot/osr/framework/cluster/query"
	"github.com/open-sharedroot/osr/framework/cluster/render"
)

func init() {
	clusterSubs["query"] = clusterSub{summary: "answer named queries", run: runClusterQuery}
}

// maxExitCode caps the exit status: it counts failed queries, and 256 would read as 0.
const maxExitCode = 255

func runClusterQuery(e *env, args []string) error {
	fs := e.flagSet("cluster query")
	var cf clusterFileFlags
	cf.bind(fs)
	var (
		asJSON, list, validate, compatQuery bool
		sep, prefix, suffix, queriesFile    string
	)
	fs.BoolVar(&asJSON, "json", false, "one JSON object a line for each query")
	fs.BoolVar(&list, "list", false, "list the queries")
	fs.BoolVar(&validate, "V", false, "validate the configuration first")
	fs.BoolVar(&validate, "validate", false, "validate the configuration first")
	fs.BoolVar(&compatQuery, "q", false, "accepted for compatibility (querying is the default)")
	fs.BoolVar(&compatQuery, "query", false, "accepted for compatibility")
	for _, n := range []string{"s", "separator", "seperator"} {
		fs.StringVar(&sep, n, "", "join list answers with `SEP` (default: the query's own)")
	}
	for _, n := range []string{"P", "prefix"} {
		fs.StringVar(&prefix, n, "", "write `TEXT` before each answer")
	}
	for _, n := range []string{"S", "suffix"} {
		fs.StringVar(&suffix, n, "\n", "write `TEXT` after each answer")
	}
	for _, n := range []string{"Q", "queriesfile", "queries-file"} {
		fs.StringVar(&queriesFile, n, "", "read queries from `FILE` (- for standard input)")
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if list {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		for _, d := range query.Defs() {
			fmt.Fprintf(tw, "%s\t%s\n", d.Usage(), d.Summary)
		}
		return tw.Flush()
	}
	invs, err := queryInvocations(e, pos, queriesFile)
	if err != nil {
		return err
	}
	c, err := loadCluster(e, &cf, "")
	if err != nil {
		return err
	}
	if validate {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("the configuration is not valid:\n%w", err)
		}
	}
	eng := &query.Engine{Cluster: c, Convert: render.Convert}
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
			fmt.Fprintf(e.stderr, "osr cluster query: %s: %v\n", in, err)
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
