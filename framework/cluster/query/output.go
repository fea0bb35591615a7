// SPDX-License-Identifier: Apache-2.0

package query

import (
	"encoding/json"
	"fmt"
	"io"
)

// TextOptions shape text output like com-queryclusterconf's -P and -S.
type TextOptions struct {
	Prefix string
	// Suffix follows every answer; osr's default is a newline.
	Suffix string
}

// WriteText writes each successful, non-empty answer as prefix, values joined by the
// separator, suffix. Failed and empty answers write nothing, as the original did.
func WriteText(w io.Writer, results []Result, opt TextOptions) error {
	for _, r := range results {
		if r.Failed() {
			continue
		}
		if _, err := fmt.Fprint(w, opt.Prefix, r.Text(), opt.Suffix); err != nil {
			return err
		}
	}
	return nil
}

// jsonResult is the JSON form of a Result.
type jsonResult struct {
	Query  string   `json:"query"`
	Args   []string `json:"args"`
	Values []string `json:"values"`
	OK     bool     `json:"ok"`
	Error  string   `json:"error,omitempty"`
}

// WriteJSON writes one JSON object a line for each answer:
// {"query":…, "args":[…], "values":[…], "ok":bool, "error":"…"}.
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	for _, r := range results {
		j := jsonResult{Query: r.Name, Args: r.Args, Values: r.Values, OK: !r.Failed()}
		if j.Args == nil {
			j.Args = []string{}
		}
		if j.Values == nil {
			j.Values = []string{}
		}
		if r.Err != nil {
			j.Error = r.Err.Error()
		} else if r.Empty() {
			j.Error = "empty answer"
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
}
