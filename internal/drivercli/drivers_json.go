// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"encoding/json"
	"io"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/open-sharedroot/osr/framework/driver"
)

// driverShowJSON is what osr drivers show --json prints.
type driverShowJSON struct {
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Description  string          `json:"description"`
	Path         string          `json:"path"`
	FSTypes      []string        `json:"fstypes"`
	Capabilities []string        `json:"capabilities"`
	Schema       []attributeJSON `json:"schema"`
	ConfigSource string          `json:"config_source"`
	Plans        []planJSON      `json:"plans"`
}

type attributeJSON struct {
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Required    bool            `json:"required"`
	Default     json.RawMessage `json:"default,omitempty"`
	Description string          `json:"description"`
	Sensitive   bool            `json:"sensitive"`
	Allowed     []string        `json:"allowed,omitempty"`
}

type planJSON struct {
	FSType      string          `json:"fstype"`
	Modules     []planEntryJSON `json:"modules"`
	Binaries    []planEntryJSON `json:"binaries"`
	Files       []planEntryJSON `json:"files"`
	Generated   []generatedJSON `json:"generated"`
	Directories []string        `json:"directories"`
	Listfiles   []string        `json:"listfiles"`
}

type planEntryJSON struct {
	Name     string `json:"name"`
	Optional bool   `json:"optional"`
	Reason   string `json:"reason"`
}

type generatedJSON struct {
	Path   string `json:"path"`
	Bytes  int    `json:"bytes"`
	Secret bool   `json:"secret"`
}

func writeDriverJSON(w io.Writer, path string, info *driver.Info, source string, types []string, plans []*driver.Plan) error {
	doc := driverShowJSON{Name: info.Name, Version: info.Version, Description: info.Description, Path: path,
		FSTypes: nonNil(info.FSTypes), Capabilities: nonNil(info.Capabilities), Schema: []attributeJSON{},
		ConfigSource: source, Plans: []planJSON{}}
	for _, a := range info.Schema.Attributes {
		j := attributeJSON{Name: a.Name, Type: a.Type.FriendlyName(), Required: a.Required,
			Description: a.Description, Sensitive: a.Sensitive, Allowed: a.Allowed}
		if !a.Sensitive && a.Default != cty.NilVal && !a.Default.IsNull() {
			if b, err := ctyjson.Marshal(a.Default, a.Type); err == nil {
				j.Default = b
			}
		}
		doc.Schema = append(doc.Schema, j)
	}
	for i, p := range plans {
		pj := planJSON{FSType: types[i], Modules: []planEntryJSON{}, Binaries: []planEntryJSON{}, Files: []planEntryJSON{},
			Generated: []generatedJSON{}, Directories: nonNil(p.Directories), Listfiles: nonNil(p.Listfiles)}
		for _, m := range p.Modules {
			pj.Modules = append(pj.Modules, planEntryJSON{m.Name, m.Optional, m.Reason})
		}
		for _, b := range p.Binaries {
			pj.Binaries = append(pj.Binaries, planEntryJSON{b.Name, b.Optional, b.Reason})
		}
		for _, f := range p.Files {
			pj.Files = append(pj.Files, planEntryJSON{f.Path, f.Optional, f.Reason})
		}
		for _, g := range p.Generated {
			pj.Generated = append(pj.Generated, generatedJSON{g.Path, len(g.Content), g.Secret})
		}
		doc.Plans = append(doc.Plans, pj)
	}
	return writeJSON(w, doc)
}

// nonNil is s, or an empty slice, so JSON shows [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
