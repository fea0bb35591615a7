// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"bytes"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/open-sharedroot/osr/framework/internal/hcldepth"
)

// Load reads a cluster configuration file, cluster.conf XML or osr's HCL, telling them
// apart by content (an XML document starts with '<').
func Load(path string) (*Cluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cluster configuration: %w", err)
	}
	// data is never written again: the document's strings may share its bytes.
	c, err := parse(path, data, true)
	if err != nil {
		return nil, err
	}
	if w, ok := exposedSecrets(c, path); ok {
		c.ReadWarnings = append(c.ReadWarnings, w)
	}
	return c, nil
}

// exposedSecrets is the warning for a cluster file that holds secrets (fence
// passwords, passwords of <rm> resources, …) and that others than its owner
// may read.
func exposedSecrets(c *Cluster, path string) (Problem, bool) {
	secrets := c.Secrets()
	if len(secrets) == 0 {
		return Problem{}, false
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return Problem{}, false
	}
	more := ""
	if len(secrets) > 1 {
		more = fmt.Sprintf(" and %d more", len(secrets)-1)
	}
	return Problem{Pos: Pos{File: path}, Msg: fmt.Sprintf(
		"holds secrets (%s%s) but others than its owner may read it (mode %04o); chmod 600 %s",
		secrets[0].Where, more, st.Mode().Perm(), path)}, true
}

// Parse reads a cluster configuration from data; file names it in error messages.
func Parse(file string, data []byte) (*Cluster, error) { return parse(file, data, false) }

// parse is Parse; owned says that data stays unchanged for as long as the
// cluster is used, so that strings of a cluster.conf need not be copied out of it.
func parse(file string, data []byte, owned bool) (*Cluster, error) {
	switch DetectFormat(data) {
	case FormatClusterConf:
		return readClusterConf(file, data, owned)
	default:
		return ReadHCL(file, data)
	}
}

// DetectFormat tells cluster.conf XML from HCL: XML starts, after white space and a
// byte order mark, with '<'.
func DetectFormat(data []byte) Format {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) > 0 && data[0] == '<' {
		return FormatClusterConf
	}
	return FormatHCL
}

// IsClusterFile reports whether data is a cluster configuration rather than
// osr's own osr.hcl: XML (a cluster.conf), or HCL with a top-level cluster
// block, which osr.hcl never has. HCL that does not parse is not taken for a
// cluster file.
func IsClusterFile(data []byte) bool {
	if DetectFormat(data) == FormatClusterConf {
		return true
	}
	f, diags := hcldepth.ParseConfig(data, "")
	if diags.HasErrors() {
		return false
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return false
	}
	for _, b := range body.Blocks {
		if b.Type == "cluster" {
			return true
		}
	}
	return false
}
