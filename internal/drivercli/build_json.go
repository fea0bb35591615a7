// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"io"

	"github.com/open-sharedroot/osr/framework/initrd"
	"github.com/open-sharedroot/osr/framework/listfile"
)

// dryRunJSON is what osr build --dry-run --json prints.
type dryRunJSON struct {
	Output    string             `json:"output"`
	Entries   int                `json:"entries"`
	Items     []listfile.Item    `json:"items"`
	Libraries []string           `json:"libraries"`
	Modules   []dryRunModuleJSON `json:"modules"`
	Builtin   []string           `json:"builtin_modules"`
	Firmware  []dryRunFWJSON     `json:"firmware"`
	Notes     []string           `json:"notes"`
}

type dryRunModuleJSON struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

type dryRunFWJSON struct {
	Name    string   `json:"name"`
	Path    string   `json:"path"`
	Missing bool     `json:"missing"`
	Modules []string `json:"modules"`
}

func writeDryRunJSON(w io.Writer, plan *initrd.Plan, output string) error {
	doc := dryRunJSON{Output: output, Entries: plan.Archive.Len(), Items: plan.Items,
		Libraries: plan.Libraries, Builtin: plan.Builtin, Notes: plan.Notes,
		Modules: []dryRunModuleJSON{}, Firmware: []dryRunFWJSON{}}
	for _, m := range plan.Modules {
		doc.Modules = append(doc.Modules, dryRunModuleJSON{Name: m.Name, Path: m.Path})
	}
	for _, f := range plan.Firmware {
		doc.Firmware = append(doc.Firmware, dryRunFWJSON{Name: f.Name, Path: f.Path, Missing: f.Path == "", Modules: f.Modules})
	}
	for _, p := range []*[]string{&doc.Libraries, &doc.Builtin, &doc.Notes} {
		if *p == nil {
			*p = []string{}
		}
	}
	if doc.Items == nil {
		doc.Items = []listfile.Item{}
	}
	return writeJSON(w, doc)
}
