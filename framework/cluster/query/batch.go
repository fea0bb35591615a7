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

// Batch reads queries from a reader one line at a time, so a batch of any length
// is answered as it arrives and never held whole: tokens separated by white space,
// "#" starting a comment to the end of the line. Each line starts a new query, and
// so does every "query=NAME" token, so both one query a line and
// com-queryclusterconf's "query=NAME ARGS query=NAME ARGS" work.
type Batch struct {
	sc    *bufio.Scanner
	line  int
	queue []Invocation
	err   error
}

// NewBatch returns a Batch reading from r.
func NewBatch(r io.Reader) *Batch {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	return &Batch{sc: sc}
}

// Next returns the next query; false at the end of the input or at an error (Err).
func (b *Batch) Next() (Invocation, bool) {
	for len(b.queue) == 0 {
		if b.err != nil || !b.sc.Scan() {
			if b.err == nil {
				if err := b.sc.Err(); err != nil {
					b.err = fmt.Errorf("read queries: %w", err)
				}
			}
			return Invocation{}, false
		}
		b.line++
		text := b.sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		invs, err := Split(fields)
		if err != nil {
			b.err = fmt.Errorf("line %d: %w", b.line, err)
			return Invocation{}, false
		}
		b.queue = invs
	}
	in := b.queue[0]
	b.queue = b.queue[1:]
	return in, true
}

// Err is the error that ended the batch early, or nil.
func (b *Batch) Err() error { return b.err }

// ReadBatch reads all of r's queries (see Batch).
func ReadBatch(r io.Reader) ([]Invocation, error) {
	var out []Invocation
	b := NewBatch(r)
	for in, ok := b.Next(); ok; in, ok = b.Next() {
		out = append(out, in)
	}
	if err := b.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
