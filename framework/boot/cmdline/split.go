// SPDX-License-Identifier: Apache-2.0

// Package cmdline reads the kernel command line the way the kernel itself
// splits it, and turns it into the parameters the osr init acts on: osr's own
// osr.* names and the names the open-sharedroot originals used where they mean
// the same thing (nodeid=, root=, rootfs=, mountopts=, ro/rw, ip=, init=,
// com-step, com-debug, com-<name> …).
//
// Usage:
//
//	raw, _ := os.ReadFile("/proc/cmdline")
//	p := cmdline.Parse(string(raw))
//	if p.NodeID != 0 { … }
//
// Precedence, for every setting that can be spelled more than one way: the
// osr.<name> spelling wins over the plain <name>, which wins over com-<name>
// (the originals' getParameter looked at <name> before com-<name>). Within one
// spelling the last occurrence wins, as it does for the kernel's own
// parameters. Break points are the exception: every spelling adds to the set.
// Parameters osr does not know are ignored.
package cmdline

import "strings"

// Param is one kernel command line parameter: Name and, when the parameter
// had an equals sign, Value (HasValue tells "name" from "name=").
type Param struct {
	Name     string
	Value    string
	HasValue bool
}

// Split cuts a kernel command line into parameters with the kernel's own rules
// (lib/cmdline.c next_arg): parameters are separated by white space outside
// double quotes; a double quote anywhere toggles quoting and is kept, except
// that a leading quote of the whole parameter, a leading quote of the value and
// the matching quote at the end are removed. Splitting stops at "--": what
// follows belongs to the real init, not to the kernel or osr.
func Split(line string) []Param {
	var out []Param
	s := line
	for {
		s = strings.TrimLeft(s, " \t\n\r\v\f")
		if s == "" {
			return out
		}
		quoted := false
		inQuote := false
		if s[0] == '"' {
			s = s[1:]
			quoted = true
			inQuote = true
		}
		equals := -1
		i := 0
		for ; i < len(s); i++ {
			c := s[i]
			if isSpace(c) && !inQuote {
				break
			}
			if equals < 0 && c == '=' {
				equals = i
			}
			if c == '"' {
				inQuote = !inQuote
			}
		}
		arg := s[:i]
		s = s[i:]
		trimTail := func(v string) string {
			if strings.HasSuffix(v, `"`) {
				return v[:len(v)-1]
			}
			return v
		}
		var p Param
		if equals < 0 {
			p.Name = arg
			if quoted {
				p.Name = trimTail(p.Name)
			}
		} else {
			p.Name = arg[:equals]
			p.HasValue = true
			v := arg[equals+1:]
			if strings.HasPrefix(v, `"`) {
				v = trimTail(v[1:])
			} else if quoted {
				v = trimTail(v)
			}
			p.Value = v
		}
		if p.Name == "--" && !p.HasValue {
			return out
		}
		out = append(out, p)
	}
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}
