// SPDX-License-Identifier: Apache-2.0

package query

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// MapSection is the section of a query map file the queries are read from, the one
// the originals read for cluster.conf clusters. Entries of [DEFAULT] count too.
const MapSection = "redhatcluster"

// DefaultMapFile is where the originals' query map lives; osr reads it when it
// exists and no other map is named.
const DefaultMapFile = "/etc/comoonics/querymap.cfg"

// EnvMapFile names the query map file instead of DefaultMapFile, as it did for
// the originals.
const EnvMapFile = "QUERYMAPFILE"

// MapEntry is one query of a query map: a name and the XPath it runs, with
// %(paramN)s standing for the query's N-th argument.
type MapEntry struct {
	Name  string
	XPath string
	// XML records the "xml:" prefix of the originals' map: the answer is XML
	// (elements as XML, text nodes as they are). osr renders both kinds the same
	// way, so it only documents the intent.
	XML bool
	// Source says where the entry was defined: "built-in" or FILE:LINE.
	Source string
}

// Map is a set of named XPath queries: osr's built-in map (the originals'
// querymap.cfg) with the entries of a map file laid over it.
type Map struct {
	entries map[string]MapEntry
}

// Lookup finds the entry of that name; names are matched in any case, as the
// originals' INI reader lower-cased them.
func (m *Map) Lookup(name string) (MapEntry, bool) {
	if m == nil {
		return MapEntry{}, false
	}
	e, ok := m.entries[strings.ToLower(name)]
	return e, ok
}

// Entries lists the map's queries sorted by name.
func (m *Map) Entries() []MapEntry {
	if m == nil {
		return nil
	}
	out := make([]MapEntry, 0, len(m.entries))
	for _, e := range m.entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// set adds or replaces an entry; an "xml:" prefix marks an XML answer.
func (m *Map) set(name, value, source string) {
	if m.entries == nil {
		m.entries = map[string]MapEntry{}
	}
	name = strings.ToLower(name)
	xpath, isXML := strings.CutPrefix(value, "xml:")
	m.entries[name] = MapEntry{Name: name, XPath: strings.TrimSpace(xpath), XML: isXML, Source: source}
}

// Overlay lays the entries of o over m: an entry of o replaces m's of the same name.
func (m *Map) Overlay(o *Map) {
	for _, e := range o.Entries() {
		if m.entries == nil {
			m.entries = map[string]MapEntry{}
		}
		m.entries[e.Name] = e
	}
}

// XPaths of the built-in map. %(param0)s is the node id, %(param1)s a device name
// or a mount point, %(param2)s a property name.
const (
	xpNodes   = `/cluster/clusternodes/clusternode`
	xpNode    = xpNodes + `[@nodeid=%(param0)s]`
	xpComInfo = xpNode + `/com_info`
	xpEth     = xpComInfo + `/eth[@name="%(param1)s"]`
	xpFS      = xpComInfo + `/filesystems/filesystem[@dest="%(param1)s"]`
	xpChroot  = xpComInfo + `/chrootenv`
	xpSyslog  = xpComInfo + `/syslog`
	xpByMAC   = xpNodes + `[com_info/eth/@mac="%(param0)s"]`
)

// DefaultMap returns the built-in query map: every query of the originals'
// /etc/comoonics/querymap.cfg (comoonics-bootimage 5.0) and the older names of
// comoonics-cluster-py's test map (mac, macs, fenceacksv_name). The map's nodes,
// nodeids and ip are left out: the built-in queries of those names answer first,
// as they did for the originals.
func DefaultMap() *Map {
	m := &Map{}
	add := func(name, xpath string) { m.set(name, xpath, "built-in") }
	add("clustertype", `/cluster/@type`)
	add("clustertype_type", `/cluster/@type`)
	add("clustername_name", `/cluster/@name`)
	add("name_name", xpNode+`/@name`)
	add("hwids", xpNodes+`/com_info/eth/@mac`)
	add("nodename_by_hwid", xpByMAC+`/@name`)
	add("nodeid_by_hwid", xpByMAC+`/@nodeid`)
	add("nodename_by_id", xpNodes+`[@nodeid="%(param0)s"]/@name`)
	add("hwid_by_nodeid", xpEth+`/@mac`)
	add("hwids_by_nodeid", xpComInfo+`/eth/@mac`)
	add("mac", xpEth+`/@mac`)
	add("macs", xpComInfo+`/eth/@mac`)
	add("eth_name", xpComInfo+`/eth/@name`)
	for _, a := range []string{"name", "mac", "onboot", "ip", "mask", "gateway", "driver", "master", "slave", "type", "bridge"} {
		add("eth_name_"+a, xpEth+`/@`+a)
	}
	add("eth_name_properties", "xml:"+xpEth+`/properties/property/child::text()`)
	add("eth_name_properties_name", xpEth+`/properties/property/@name`)
	add("eth_name_properties_value", "xml:"+xpEth+`/properties/property[@name="%(param2)s"]/child::text()`)
	for _, a := range []string{"name", "level", "subsys", "type", "filter"} {
		add("syslog_"+a, xpSyslog+`/@`+a)
		add("syslog"+a, xpSyslog+`/@`+a)
	}
	for _, a := range []string{"name", "fstype", "mountopts"} {
		add("rootvolume_"+a, xpComInfo+`/rootvolume/@`+a)
	}
	add("rootsource_name", xpComInfo+`/rootsource/@name`)
	add("filesystem_dest", xpComInfo+`/filesystems/filesystem/@dest`)
	for _, a := range []string{"dest", "source", "mountopts", "fstype", "mountwait", "mounttimes"} {
		add("filesystem_dest_"+a, xpFS+`/@`+a)
	}
	for _, a := range []string{"name", "driver", "failover"} {
		add("scsi_"+a, xpComInfo+`/scsi/@`+a)
	}
	for _, a := range []string{"mountpoint", "fstype", "device", "chrootdir", "mountopts"} {
		add("chrootenv_"+a, xpChroot+`/@`+a)
	}
	for _, a := range []string{"mountpoint", "fstype", "device", "mountopts"} {
		add("chroot_"+a, xpChroot+`/@`+a)
	}
	add("chroot_dir", xpChroot+`/@chrootdir`)
	add("fenceacksv_name", xpComInfo+`/fenceacksv/@name`)
	return m
}

// mapLine is an entry's value as written and the line it starts on.
type mapLine struct {
	value string
	line  int
}

// ReadMap reads a query map file in the originals' INI format: "[section]"
// headers, "name = value" or "name: value" entries, indented continuation lines,
// "#" and ";" comment lines and " ;" comments after a value. Only the entries of
// MapSection and [DEFAULT] are kept (MapSection's win); other sections are
// skipped. A value may name another entry of the section or of [DEFAULT] as
// %(name)s, as INI files do; %(paramN)s stay for the query's arguments. file
// names the file in error messages.
func ReadMap(file string, data []byte) (*Map, error) {
	sections := map[string]map[string]mapLine{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var (
		section  string
		inHeader bool // a section header has been seen
		lastName string
		lastLine int
		lastVal  string
	)
	flush := func() {
		if lastName != "" {
			if sections[section] == nil {
				sections[section] = map[string]mapLine{}
			}
			sections[section][strings.ToLower(lastName)] = mapLine{lastVal, lastLine}
		}
		lastName = ""
	}
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if (text[0] == ' ' || text[0] == '\t') && lastName != "" {
			lastVal += "\n" + trimmed
			continue
		}
		flush()
		if strings.HasPrefix(trimmed, "[") {
			end := strings.IndexByte(trimmed, ']')
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: section header %q has no closing ']'", file, line, trimmed)
			}
			section, inHeader = trimmed[1:end], true
			continue
		}
		i := strings.IndexAny(text, "=:")
		if i <= 0 || strings.TrimSpace(text[:i]) == "" {
			return nil, fmt.Errorf("%s:%d: %q is not a \"name = XPATH\" entry; write one query a line as name = XPATH under [%s]", file, line, trimmed, MapSection)
		}
		if !inHeader {
			return nil, fmt.Errorf("%s:%d: entry %q comes before any section; put the queries under a [%s] line", file, line, strings.TrimSpace(text[:i]), MapSection)
		}
		value := strings.TrimSpace(text[i+1:])
		if j := strings.Index(value, ";"); j > 0 && (value[j-1] == ' ' || value[j-1] == '\t') {
			value = strings.TrimSpace(value[:j])
		}
		if value == `""` {
			value = ""
		}
		lastName, lastLine, lastVal = strings.TrimSpace(text[:i]), line, value
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	merged := map[string]mapLine{}
	for _, sec := range []string{"DEFAULT", MapSection} {
		for k, v := range sections[sec] {
			merged[k] = v
		}
	}
	m := &Map{}
	for name, r := range merged {
		value, err := interpolate(r.value, merged, 0)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: entry %q: %w", file, r.line, name, err)
		}
		m.set(name, value, fmt.Sprintf("%s:%d", file, r.line))
	}
	return m, nil
}

// argName matches the names that stand for a query's arguments (compiled on
// first use, not at every start of osr).
var argName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^param[0-9]+$`) })

// maxInterpolation bounds how deep entries may name each other, as INI readers do.
const maxInterpolation = 10

// interpolate replaces %(name)s references to other entries; %(paramN)s and
// names that are no entry are left for the query's arguments.
func interpolate(value string, entries map[string]mapLine, depth int) (string, error) {
	var err error
	out := paramRef().ReplaceAllStringFunc(value, func(ref string) string {
		name := strings.ToLower(paramRef().FindStringSubmatch(ref)[1])
		r, ok := entries[name]
		if !ok || err != nil || argName().MatchString(name) {
			return ref
		}
		if depth >= maxInterpolation {
			err = fmt.Errorf("%s is nested more than %d deep (does an entry name itself?)", ref, maxInterpolation)
			return ref
		}
		var v string
		v, err = interpolate(r.value, entries, depth+1)
		return v
	})
	return out, err
}
