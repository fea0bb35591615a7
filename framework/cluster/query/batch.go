// SPDX-License-Identifier: Apache-2.0

package query

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Split turns command-line tokens into invocations: the first token names the first
// query; "query=NAME" (or "query=" followed by NAME) starts each further one.
func Split(tokens []string) ([]Invocation, error) {
	var out []Invocation
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		name, isStart := strings.CutPrefix(t, "query=")
		if !isStart && t == "query" {
			isStart, name = true, ""
		}
		if isStart || len(out) == 0 {
			if !isStart {
				name = t
			}
			if name == "" {
				if i+1 >= len(tokens) {
					return nil, fmt.Errorf("%q at the end names no query", t)
				}
				i++
				name = tokens[i]
			}
			out = append(out, Invocation{Name: name})
			continue
		}
		cur := &out[len(out)-1]
		cur.Args = append(cur.Args, t)
	}
	return out, nil
}

// ReadBatch reads queries from r: tokens separated by white space, "#" starting a
// comment to the end of the line. Each line starts a new query, and so does every
// "query=NAME" token, so both one query a line and com-queryclusterconf's
// "query=NAME ARGS query=NAME ARGS" work.
func ReadBatch(r io.Reader) ([]Invocation, error) {
	var out []Invocation
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		invs, err := Split(fields)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, invs...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read queries: %w", err)
	}
	return out, nil
}
