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
		if err := WriteTextResult(w, r, opt); err != nil {
			return err
		}
	}
	return nil
}

// WriteTextResult writes one answer as WriteText does.
func WriteTextResult(w io.Writer, r Result, opt TextOptions) error {
	if r.Failed() {
		return nil
	}
	_, err := fmt.Fprint(w, opt.Prefix, r.Text(), opt.Suffix)
	return err
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
	for _, r := range results {
		if err := WriteJSONResult(w, r); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSONResult writes one answer's line as WriteJSON does.
func WriteJSONResult(w io.Writer, r Result) error {
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
	return json.NewEncoder(w).Encode(j)
}
