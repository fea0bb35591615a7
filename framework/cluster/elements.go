// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"fmt"
	"strings"

	"github.com/agext/levenshtein"
)

// comInfoElements are the elements <com_info> holds directly.
var comInfoElements = []string{
	"chrootenv", "eth", "fenceackserver", "filesystems", "hostname", "rootsource", "rootvolume", "scsi", "syslog",
}

// legacyComInfoElements were written by older comoonics tools; osr keeps them
// as they are without a word.
var legacyComInfoElements = map[string]bool{"fenceacksv": true}

// nestedElements are elements that belong inside another one, with where.
var nestedElements = map[string]string{
	"filesystem": "<com_info><filesystems>",
	"properties": "<com_info><eth>",
	"property":   "<com_info><eth><properties>",
	"ssl":        "<com_info><fenceackserver>",
}

// unknownComInfo reports a child of <com_info> osr does not know. It is a
// warning, as the originals ignored what they did not know (and files carry
// elements of other tools), except for osr's own elements out of place: a
// <filesystem> outside <filesystems> or an <ssl> outside <fenceackserver> was
// meant to take effect and would silently not, so it is an error.
func (r *ccReader) unknownComInfo(n *xmlNode) {
	if legacyComInfoElements[n.name] {
		return
	}
	if where, ok := nestedElements[n.name]; ok {
		r.errorf(n, "<%s> directly in <com_info> does nothing: it belongs inside %s", n.name, where)
		return
	}
	r.warnf(n, "unknown element <%s> in <com_info> is ignored%s; known elements: %s",
		n.name, suggestElement(n.name, comInfoElements), strings.Join(comInfoElements, ", "))
}

// comInfoOutside reports an element of <com_info> written directly in a
// <clusternode>: it would be ignored there, so it is an error.
func (r *ccReader) comInfoOutside(n *xmlNode) bool {
	for _, e := range comInfoElements {
		if n.name == e {
			r.errorf(n, "<%s> directly in <clusternode> does nothing: it belongs inside <com_info>", n.name)
			return true
		}
	}
	return false
}

// leaf warns about child elements of an element that has none.
func (r *ccReader) leaf(n *xmlNode) {
	for _, ch := range n.children {
		r.warnf(ch, "element <%s> inside <%s> is ignored; <%s> has attributes only", ch.name, n.name, n.name)
	}
}

// suggestElement names the known element closest to a misspelt name.
func suggestElement(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := levenshtein.Distance(name, k, nil); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean <%s>?)", best)
}
