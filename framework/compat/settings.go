// SPDX-License-Identifier: Apache-2.0

package compat

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Defaults names the settings files whose values are defaults for the
// originals' options, as their PersistentOptionParser read them: for the
// CDSL tools /etc/comoonics/cdsl.cfg, ~/.comoonics/cdsl.cfg and
// $COMOONICS_CDSL_CFG; for com-queryclusterconf the same with cluster.cfg
// and $COMOONICS_CLUSTER_CFG. Later files override earlier ones and the
// command line overrides them all.
type Defaults struct {
	// Files maps a settings family ("cdsl", "cluster") to its files, in
	// the order they are read. Missing files are skipped.
	Files map[string][]string
}

// SystemDefaults are the settings files the originals read on this system.
func SystemDefaults() Defaults {
	d := Defaults{Files: map[string][]string{}}
	home, _ := os.UserHomeDir()
	for fam, env := range map[string]string{"cdsl": "COMOONICS_CDSL_CFG", "cluster": "COMOONICS_CLUSTER_CFG"} {
		files := []string{"/etc/comoonics/" + fam + ".cfg"}
		if home != "" {
			files = append(files, filepath.Join(home, ".comoonics", fam+".cfg"))
		}
		if v := os.Getenv(env); v != "" {
			files = append(files, v)
		}
		d.Files[fam] = files
	}
	return d
}

// items reads the settings files of t's family. A file is INI: "name =
// value" (or "name: value") lines, where name is an option's long name
// (inventoryfile, cdsltree, maxnodeidnum, …); lines outside any section or
// in [DEFAULT] apply to every tool, lines in a section named after the tool
// ([com-mkcdsl]) only to it. A switch is set by true, yes, on or 1. Names
// the tool does not know are warned about with file and line.
func (d Defaults) items(name string, t *tool) ([]item, []string, error) {
	if t.settings == "" {
		return nil, nil, nil
	}
	var out []item
	var warns []string
	for _, file := range d.Files[t.settings] {
		f, err := os.Open(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("settings: %w", err)
		}
		got, w, err := readSettings(f, file, name, t)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
		out = append(out, got...)
		warns = append(warns, w...)
	}
	return out, warns, nil
}

func readSettings(f *os.File, file, name string, t *tool) ([]item, []string, error) {
	var out []item
	var warns []string
	applies := true
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' || l[0] == ';' {
			continue
		}
		if l[0] == '[' {
			if !strings.HasSuffix(l, "]") {
				return nil, nil, fmt.Errorf("%s:%d: a section header ends with ]: %q", file, line, l)
			}
			sec := strings.TrimSpace(l[1 : len(l)-1])
			applies = sec == "DEFAULT" || sec == name || "com-"+sec == name
			continue
		}
		if !applies {
			continue
		}
		i := strings.IndexAny(l, "=:")
		if i < 0 {
			return nil, nil, fmt.Errorf("%s:%d: expected name = value, got %q", file, line, l)
		}
		key, val := strings.TrimSpace(l[:i]), strings.TrimSpace(l[i+1:])
		o := findExactLong(t.opts, key)
		if o == nil {
			warns = append(warns, fmt.Sprintf("%s:%d: %s has no option --%s; the setting is ignored", file, line, name, key))
			continue
		}
		if !o.arg {
			switch strings.ToLower(val) {
			case "true", "yes", "on", "1":
				out = append(out, item{opt: o, given: fmt.Sprintf("%s:%d", file, line)})
			case "false", "no", "off", "0", "":
			default:
				return nil, nil, fmt.Errorf("%s:%d: %s is a switch: give true or false, not %q", file, line, key, val)
			}
			continue
		}
		out = append(out, item{opt: o, value: val, given: fmt.Sprintf("%s:%d", file, line)})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	return out, warns, nil
}

func findExactLong(opts []option, name string) *option {
	for i := range opts {
		for _, l := range opts[i].long {
			if l == name {
				return &opts[i]
			}
		}
	}
	return nil
}
