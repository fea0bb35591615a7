// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// MaxClusterNameLen is the longest cluster name osr accepts: the cluster name
// is the first half of a gfs2 lock table (at most 32 characters) and the dlm's
// cluster name, and corosync carries it in every message.
const MaxClusterNameLen = 32

// CheckNodeName says whether name is a host name (RFC 1123): labels of
// letters, digits and '-', 1 to 63 characters each, not starting or ending
// with '-', joined by dots, at most 253 characters. Node names end up in
// corosync.conf, the ocfs2 cluster.conf, /etc/hosts and query output, so
// nothing else is let in.
func CheckNodeName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > 253 {
		return fmt.Errorf("%d characters, a host name has at most 253", len(name))
	}
	for _, label := range strings.Split(name, ".") {
		if err := checkLabel(label); err != nil {
			return err
		}
	}
	return nil
}

func checkLabel(label string) error {
	switch {
	case label == "":
		return errors.New("an empty label (two dots in a row, or a dot at an end)")
	case len(label) > 63:
		return fmt.Errorf("label %q has %d characters, at most 63", label, len(label))
	case label[0] == '-' || label[len(label)-1] == '-':
		return fmt.Errorf("label %q starts or ends with '-'", label)
	}
	for _, r := range label {
		if !isAlnum(r) && r != '-' {
			return fmt.Errorf("character %s is not allowed; a host name holds letters, digits, '-' and '.'", quoteRune(r))
		}
	}
	return nil
}

// CheckClusterName says whether name is a cluster name corosync, the dlm and
// gfs2 all take: 1 to MaxClusterNameLen letters, digits, '-' and '_',
// starting with a letter or digit.
func CheckClusterName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > MaxClusterNameLen {
		return fmt.Errorf("%d characters, at most %d (gfs2's lock table and the dlm take no more)", len(name), MaxClusterNameLen)
	}
	for i, r := range name {
		if !isAlnum(r) && (i == 0 || (r != '-' && r != '_')) {
			return fmt.Errorf("character %s is not allowed; a cluster name holds letters, digits, '-' and '_' and starts with a letter or digit", quoteRune(r))
		}
	}
	return nil
}

func isAlnum(r rune) bool {
	return r < unicode.MaxASCII && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

func quoteRune(r rune) string { return strconv.QuoteRune(r) }

// checkNames reports, with positions, the node names and the cluster name that break the rules of CheckNodeName and CheckClusterName.
// Missing names are left to Validate.
func checkNames(c *Cluster) []error {
	var errs []error
	if c.Name != "" {
		if err := CheckClusterName(c.Name); err != nil {
			errs = append(errs, fmt.Errorf("%s: cluster name %s: %v", c.Pos, strconv.Quote(c.Name), err))
		}
	}
	for _, n := range c.Nodes {
		if n.Name != "" {
			if err := CheckNodeName(n.Name); err != nil {
				errs = append(errs, fmt.Errorf("%s: node name %s: %v", n.Pos, strconv.Quote(n.Name), err))
			}
		}
	}
	return errs
}

// Printable returns s as it is when it holds only printable characters other
// than spaces, and Go-quoted otherwise, so a name can never break a line or
// field of rendered output.
func Printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) || r == '"' || r == '\\' {
			return strconv.Quote(s)
		}
	}
	return s
}
