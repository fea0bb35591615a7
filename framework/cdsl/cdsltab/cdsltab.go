// SPDX-License-Identifier: Apache-2.0

// Package cdsltab reads /etc/cdsltab, the table of mounts that make paths node
// specific at boot, in the format of the comoonics tools:
//
//	# a CDSL-enabled filesystem: bind <mp>/<tree>/<nodeid> on <mp>/<link>
//	/mnt/data [mountopts]
//	# any other mount (CDPNs: a real directory bound from the node's tree)
//	bind /.cluster/cdsl/%(nodeid)s/var/run /var/run __initrd
//	fstype source dest [mountopts [mounttimes [mountwait]]]
//
// mountopts is a comma-separated option list; the pseudo option "__initrd" marks a
// line the init mounts (the others are mounted later by the booted system).
// "%(nodeid)s" (and "%(nodename)s") are replaced by Expand.
//
// The package depends on the standard library only, so the init links it cheaply.
package cdsltab

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// DefaultPath is where the table lives on a root.
const DefaultPath = "/etc/cdsltab"

// InitrdOption marks an entry the init mounts.
const InitrdOption = "__initrd"

// Entry is one line of the table.
type Entry struct {
	Line int // 1-based line number in the file
	// CDSLFilesystem is set for a line that names only a CDSL-enabled filesystem's
	// mountpoint (in Dest): its node tree is bound on its link dir.
	CDSLFilesystem bool
	FSType         string // "bind", "rbind", "nfs", …; empty for a CDSL filesystem line
	Source         string
	Dest           string
	Options        []string // mount options, without "__initrd"
	Initrd         bool     // "__initrd" was among the options
	MountTimes     int      // attempts; 1 when not given
	MountWait      int      // seconds between attempts; 0 when not given
}

// Bind reports whether the entry is a bind (or rbind) mount.
func (e Entry) Bind() bool { return e.FSType == "bind" || e.FSType == "rbind" }

// ReadFile parses the table in file. A missing file is an empty table.
func ReadFile(file string) ([]Entry, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cdsltab: %w", err)
	}
	defer f.Close()
	return Parse(file, f)
}

// Parse reads a table; name is used in error messages.
func Parse(name string, r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	ln := 0
	for sc.Scan() {
		ln++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		e := Entry{Line: ln, MountTimes: 1}
		var opts string
		switch {
		case len(f) <= 2:
			e.CDSLFilesystem = true
			e.Dest = f[0]
			if len(f) == 2 {
				opts = f[1]
			}
		case len(f) <= 6:
			e.FSType, e.Source, e.Dest = f[0], f[1], f[2]
			if len(f) > 3 {
				opts = f[3]
			}
			for i, dst := range []*int{&e.MountTimes, &e.MountWait} {
				if len(f) > 4+i {
					n, err := strconv.Atoi(f[4+i])
					if err != nil || n < 0 {
						return nil, fmt.Errorf("%s:%d: field %d (%s) must be a count, not %q",
							name, ln, 5+i, []string{"mounttimes", "mountwait"}[i], f[4+i])
					}
					*dst = n
				}
			}
		default:
			return nil, fmt.Errorf("%s:%d: %d fields; a line is either 'MOUNTPOINT [OPTIONS]' or 'FSTYPE SOURCE DEST [OPTIONS [MOUNTTIMES [MOUNTWAIT]]]'", name, ln, len(f))
		}
		if !strings.HasPrefix(e.Dest, "/") {
			return nil, fmt.Errorf("%s:%d: mount point %q must be an absolute path", name, ln, e.Dest)
		}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "":
			case InitrdOption:
				e.Initrd = true
			default:
				e.Options = append(e.Options, o)
			}
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// Expand returns e with every "%(key)s" in its source, destination and options
// replaced by vars[key] (for example {"nodeid": "2"}). An unknown key is an error
// that names the line.
func (e Entry) Expand(vars map[string]string) (Entry, error) {
	var err error
	sub := func(s string) string {
		r, xerr := expand(s, vars)
		if xerr != nil && err == nil {
			err = fmt.Errorf("line %d: %w", e.Line, xerr)
		}
		return r
	}
	e.Source = sub(e.Source)
	e.Dest = sub(e.Dest)
	opts := make([]string, len(e.Options))
	for i, o := range e.Options {
		opts[i] = sub(o)
	}
	e.Options = opts
	return e, err
}

func expand(s string, vars map[string]string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "%(")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i:], ")s")
		if j < 0 {
			return "", fmt.Errorf("%q: unterminated %%(…)s", s)
		}
		key := s[i+2 : i+j]
		v, ok := vars[key]
		if !ok {
			known := make([]string, 0, len(vars))
			for k := range vars {
				known = append(known, "%("+k+")s")
			}
			sort.Strings(known)
			return "", fmt.Errorf("%q: unknown variable %%(%s)s (known: %s)", s, key, strings.Join(known, ", "))
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+2:]
	}
}

// ForInitrd returns the entries the init mounts, expanded for vars.
func ForInitrd(entries []Entry, vars map[string]string) ([]Entry, error) {
	var out []Entry
	for _, e := range entries {
		if !e.Initrd {
			continue
		}
		x, err := e.Expand(vars)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}
