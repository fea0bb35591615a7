// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"errors"

	"github.com/hashicorp/hcl/v2"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/config"
	"github.com/open-sharedroot/osr/internal/cli"
)

// configJSON is what osr config validate --json prints.
type configJSON struct {
	Valid       bool             `json:"valid"`
	Files       []string         `json:"files"`
	Drivers     int              `json:"driver_blocks"`
	Diagnostics []diagnosticJSON `json:"diagnostics"`
	Cluster     clusterFileJSON  `json:"cluster"`
}

type diagnosticJSON struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
}

type clusterFileJSON struct {
	File     string        `json:"file"`
	From     string        `json:"from"`
	Present  bool          `json:"present"`
	Valid    bool          `json:"valid"`
	Error    string        `json:"error,omitempty"`
	Name     string        `json:"name,omitempty"`
	Nodes    int           `json:"nodes"`
	Problems []problemJSON `json:"problems"`
}

// runConfigValidateJSON is osr config validate --json: the same checks, the
// result as one JSON object; exit 1 when something is not valid.
func runConfigValidateJSON(e *env, clusterFlag string) error {
	path, explicit := config.ResolvePath(e.ConfigFile())
	l := config.NewLoader()
	cfg, diags := l.Load(path, explicit)
	if !diags.HasErrors() {
		diags = append(diags, validateDrivers(e, cli.NewLoadedConfig(cfg, l))...)
	}
	doc := configJSON{Valid: !diags.HasErrors(), Files: []string{}, Diagnostics: []diagnosticJSON{}}
	if cfg != nil {
		doc.Files = append(doc.Files, cfg.Files...)
		doc.Drivers = len(cfg.Drivers)
	}
	for _, d := range diags {
		j := diagnosticJSON{Severity: "warning", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagError {
			j.Severity = "error"
		}
		if d.Subject != nil {
			j.File, j.Line, j.Column = d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
		}
		doc.Diagnostics = append(doc.Diagnostics, j)
	}
	var ccfg *config.Config
	if !diags.HasErrors() {
		ccfg = cfg
	}
	doc.Cluster = checkClusterFileJSON(config.ResolveCluster(clusterFlag, ccfg))
	if err := writeJSON(e.Stdout(), doc); err != nil {
		return err
	}
	if !doc.Valid || !doc.Cluster.Valid {
		return cli.ExitCode(1)
	}
	return nil
}

// checkClusterFileJSON validates the cluster configuration cf names; a
// missing default is no cluster configuration, and valid.
func checkClusterFileJSON(cf config.ClusterFile) clusterFileJSON {
	j := clusterFileJSON{File: cf.Path, From: cf.Origin(), Problems: []problemJSON{}}
	if !cf.Explicit && !fileExists(cf.Path) {
		j.Valid = true
		return j
	}
	j.Present = fileExists(cf.Path)
	c, err := cluster.Load(cf.Path)
	if err != nil {
		j.Error = err.Error()
		return j
	}
	j.Name, j.Nodes = c.Name, len(c.Nodes)
	j.Valid = true
	if err := c.Validate(); err != nil {
		j.Valid = false
		var probs cluster.Problems
		if errors.As(err, &probs) {
			j.Problems = problemsJSON(probs)
		} else {
			j.Error = err.Error()
		}
	}
	return j
}
