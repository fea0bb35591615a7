// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/open-sharedroot/osr/framework/cdsl"
)

// cdslJSON is what 'osr cdsl list --json' prints.
type cdslJSON struct {
	Root      string          `json:"root"`
	Inventory string          `json:"inventory"`
	Version   string          `json:"config_version"`
	Settings  cdslJSONLayout  `json:"settings"`
	CDSLs     []cdslJSONEntry `json:"cdsls"`
}

type cdslJSONLayout struct {
	Tree         string `json:"tree"`
	SharedTree   string `json:"sharedtree"`
	Link         string `json:"link"`
	DefaultDir   string `json:"default_dir"`
	Mountpoint   string `json:"mountpoint"`
	NodePrefix   string `json:"node_prefix"`
	ExpandString string `json:"expandstring"`
	MaxNodeIDNum int    `json:"maxnodeidnum"`
	UseNodeIDs   bool   `json:"use_nodeids"`
}

type cdslJSONEntry struct {
	Src       string   `json:"src"`
	Type      string   `json:"type"`
	Timestamp string   `json:"timestamp"`
	Nodes     []string `json:"nodes"`
	Expanded  string   `json:"expanded"`
	Target    string   `json:"target"`
	Links     []string `json:"links"`
	Data      []string `json:"data"`
}

func writeCDSLJSON(w io.Writer, r *cdsl.Repo) error {
	l := r.Layout()
	s := l.Settings
	doc := cdslJSON{Root: r.FS().Path(), Inventory: l.File, Version: r.Inventory().Version,
		Settings: cdslJSONLayout{Tree: s.Tree, SharedTree: s.SharedTree, Link: s.Link, DefaultDir: s.DefaultDir,
			Mountpoint: s.Mountpoint, NodePrefix: s.NodePrefix, ExpandString: s.ExpandString,
			MaxNodeIDNum: s.MaxNodeIDNum, UseNodeIDs: s.UseNodeIDs},
		CDSLs: []cdslJSONEntry{}}
	m := r.Model()
	for _, c := range r.Inventory().Sorted() {
		nodes := c.Nodes
		if nodes == nil {
			nodes = []string{}
		}
		doc.CDSLs = append(doc.CDSLs, cdslJSONEntry{Src: c.Src, Type: string(c.Type), Timestamp: c.Timestamp,
			Nodes: nodes, Expanded: m.Expand(c.Src, c.Type), Target: m.Target(c),
			Links: m.LinkLocations(c), Data: m.DataLocations(c)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// cdslSettings are the inventory's settings as com-cdslinvadm list printed
// them, after the inventory file.
func cdslSettings(r *cdsl.Repo) [][2]string {
	l := r.Layout()
	s := l.Settings
	py := "False"
	if s.UseNodeIDs {
		py = "True"
	}
	return [][2]string{
		{"inventory", l.File}, {"config_version", r.Inventory().Version}, {"default_dir", s.DefaultDir},
		{"maxnodeidnum", strconv.Itoa(s.MaxNodeIDNum)}, {"tree", s.Tree}, {"link", s.Link},
		{"node_prefix", s.NodePrefix}, {"expandstring", s.ExpandString}, {"mountpoint", s.Mountpoint},
		{"use_nodeids", py}, {"sharedtree", s.SharedTree},
	}
}

// writeCDSLSettings prints the inventory's settings as com-cdslinvadm list did.
func writeCDSLSettings(w io.Writer, r *cdsl.Repo) {
	for _, kv := range cdslSettings(r) {
		fmt.Fprintf(w, "%s: %s\n", kv[0], kv[1])
	}
}

// cdslSetting is one setting, by the name com-cdslinvadm --get took.
func cdslSetting(r *cdsl.Repo, name string) (string, bool) {
	for _, kv := range cdslSettings(r) {
		if kv[0] == name {
			return kv[1], true
		}
	}
	return "", false
}

// cdslCheckJSON is what osr cdsl check --json prints.
type cdslCheckJSON struct {
	CDSLs    int               `json:"cdsls"`
	Problems []cdslProblemJSON `json:"problems"`
	Found    []cdslFoundJSON   `json:"found"`
	Left     int               `json:"left"`
	Backup   string            `json:"backup,omitempty"`
}

type cdslProblemJSON struct {
	Src        string `json:"src"`
	Message    string `json:"message"`
	Repairable bool   `json:"repairable"`
	State      string `json:"state"`
}

type cdslFoundJSON struct {
	Src   string   `json:"src"`
	Type  string   `json:"type"`
	Nodes []string `json:"nodes"`
	State string   `json:"state"`
}

// cdslDiffJSON is what osr cdsl diff --json prints.
type cdslDiffJSON struct {
	Src    string             `json:"src"`
	CDSL   string             `json:"cdsl"`
	Type   string             `json:"type"`
	Shared bool               `json:"shared"`
	Base   string             `json:"base"`
	Differ bool               `json:"differ"`
	Nodes  []cdslNodeDiffJSON `json:"nodes"`
	Groups [][]string         `json:"identical"`
}

type cdslNodeDiffJSON struct {
	Node    string   `json:"node"`
	Where   string   `json:"where"`
	Missing bool     `json:"missing"`
	Changes []string `json:"changes"`
}

func diffJSON(r *cdsl.Repo, res cdsl.DiffResult) cdslDiffJSON {
	doc := cdslDiffJSON{Src: res.Src, CDSL: res.CDSL.Src, Type: string(res.CDSL.Type), Shared: res.Shared,
		Base: res.Base, Nodes: []cdslNodeDiffJSON{}, Groups: [][]string{}}
	for _, n := range res.Nodes {
		j := cdslNodeDiffJSON{Node: n.Node, Where: r.FS().HostPath(n.Where), Missing: n.Missing, Changes: []string{}}
		for _, c := range n.Changes {
			j.Changes = append(j.Changes, c.String())
		}
		if n.Missing || (n.Node != res.Base && len(n.Changes) > 0) {
			doc.Differ = true
		}
		doc.Nodes = append(doc.Nodes, j)
	}
	for _, g := range res.Groups {
		if len(g) > 1 {
			doc.Groups = append(doc.Groups, g)
		}
	}
	return doc
}

// nonNil is s, or an empty slice, so JSON shows [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
