// SPDX-License-Identifier: Apache-2.0

package query

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/antchfx/xmlquery"
	"github.com/antchfx/xpath"
)

// XMLSource gives the cluster configuration as a cluster.conf document for the
// XPath queries (query_value, query_xml and the query map). For a cluster.conf it is
// the file as written; an HCL cluster file is first rendered to the cluster.conf
// model, so the same XPaths answer for both.
type XMLSource func() ([]byte, error)

// paramRef matches a %(NAME)s reference, the originals' Python format syntax
// (compiled on first use).
var paramRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`%\(([A-Za-z0-9_]+)\)s`) })

// params names the arguments of a query param0, param1, … as the originals did.
func params(args []string) map[string]string {
	m := make(map[string]string, len(args))
	for i, a := range args {
		m["param"+strconv.Itoa(i)] = a
	}
	return m
}

// substitute replaces every %(paramN)s in s by the query's N-th argument; what
// names the text in errors. A reference without its argument is an error, as it
// was for the originals.
func substitute(s string, p map[string]string, what string) (string, error) {
	var missing []string
	out := paramRef().ReplaceAllStringFunc(s, func(ref string) string {
		name := paramRef().FindStringSubmatch(ref)[1]
		v, ok := p[name]
		if !ok {
			missing = append(missing, ref)
			return ref
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s refers to %s but the query has %d argument(s); %%(param0)s is the first argument after the query", what, strings.Join(missing, ", "), len(p))
	}
	return out, nil
}

// document parses the cluster.conf document once.
func (e *Engine) document() (*xmlquery.Node, error) {
	if e.doc != nil {
		return e.doc, nil
	}
	if e.XML == nil {
		return nil, fmt.Errorf("XPath queries are not available here (no cluster.conf document)")
	}
	data, err := e.XML()
	if err != nil {
		return nil, fmt.Errorf("cluster.conf document for XPath: %w", err)
	}
	doc, err := xmlquery.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse %s for XPath: %w", e.Cluster.Pos.File, err)
	}
	e.doc = doc
	return doc, nil
}

// XPathAnswer is what an XPath expression selected, rendered as the originals
// printed it: attribute values and text as they are, elements as indented XML.
type XPathAnswer struct {
	// Values are the rendered items, in document order.
	Values []string
	// Strings marks the items that are attribute values or computed strings: only
	// these get their %(paramN)s references replaced, as the originals did.
	Strings []bool
}

// evalXPath runs expr over the cluster document.
func (e *Engine) evalXPath(expr string) (XPathAnswer, error) {
	doc, err := e.document()
	if err != nil {
		return XPathAnswer{}, err
	}
	x, err := xpath.Compile(expr)
	if err != nil {
		return XPathAnswer{}, fmt.Errorf("XPath %q: %w", expr, err)
	}
	var ans XPathAnswer
	add := func(v string, isString bool) {
		ans.Values = append(ans.Values, v)
		ans.Strings = append(ans.Strings, isString)
	}
	switch v := x.Evaluate(xmlquery.CreateXPathNavigator(doc)).(type) {
	case *xpath.NodeIterator:
		for v.MoveNext() {
			nav, ok := v.Current().(*xmlquery.NodeNavigator)
			if !ok {
				continue
			}
			switch nav.NodeType() {
			case xpath.AttributeNode:
				add(nav.Value(), true)
			case xpath.TextNode:
				add(nav.Value(), false)
			case xpath.ElementNode:
				add(e.renderElement(nav.Current()), false)
			case xpath.RootNode:
				if el := rootElement(nav.Current()); el != nil {
					add(e.renderElement(el), false)
				}
			case xpath.CommentNode:
				add("<!--"+nav.Value()+"-->\n", false)
			}
		}
	case string:
		add(v, true)
	case float64:
		add(formatNumber(v), true)
	case bool:
		if v {
			add("true", true)
		}
	}
	return ans, nil
}

func rootElement(doc *xmlquery.Node) *xmlquery.Node {
	for c := doc.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmlquery.ElementNode {
			return c
		}
	}
	return nil
}

// formatNumber renders an XPath number as XPath's string() does: integers
// without a decimal point.
func formatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// renderElement writes an element as the originals' query_xml printed it: the
// element with its attributes sorted by name, children indented by a tab, one
// element a line, text-only elements on one line, white-space-only text dropped,
// and a newline after the element. With Properties set, the element's
// <property> children are printed instead, one NAME=VALUE a line.
func (e *Engine) renderElement(n *xmlquery.Node) string {
	var b strings.Builder
	if e.Properties {
		return properties(n)
	}
	writeElement(&b, n, "")
	return b.String()
}

// properties lists the <property> elements of the first <properties> below n.
func properties(n *xmlquery.Node) string {
	props := xmlquery.FindOne(n, "descendant-or-self::properties")
	if props == nil {
		return ""
	}
	var lines []string
	for _, p := range xmlquery.Find(props, "descendant::property") {
		value := p.InnerText()
		if hasAttr(p, "value") {
			value = p.SelectAttr("value")
		}
		lines = append(lines, p.SelectAttr("name")+"="+value)
	}
	return strings.Join(lines, "\n")
}

func hasAttr(n *xmlquery.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Name.Local == name {
			return true
		}
	}
	return false
}

func qualified(n *xmlquery.Node) string {
	if n.Prefix != "" {
		return n.Prefix + ":" + n.Data
	}
	return n.Data
}

// significant lists the children printed: elements, comments and text that is
// not only white space.
func significant(n *xmlquery.Node) []*xmlquery.Node {
	var out []*xmlquery.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case xmlquery.ElementNode, xmlquery.CommentNode:
			out = append(out, c)
		case xmlquery.TextNode, xmlquery.CharDataNode:
			if strings.TrimSpace(c.Data) != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

func writeElement(b *strings.Builder, n *xmlquery.Node, indent string) {
	b.WriteString(indent + "<" + qualified(n))
	attrs := make([]xmlquery.Attr, len(n.Attr))
	copy(attrs, n.Attr)
	name := func(a xmlquery.Attr) string {
		if a.Name.Space != "" {
			return a.Name.Space + ":" + a.Name.Local
		}
		return a.Name.Local
	}
	sort.SliceStable(attrs, func(i, j int) bool { return name(attrs[i]) < name(attrs[j]) })
	for _, a := range attrs {
		b.WriteString(" " + name(a) + `="` + escapeXML(a.Value) + `"`)
	}
	kids := significant(n)
	switch {
	case len(kids) == 0:
		b.WriteString("/>\n")
		return
	case len(kids) == 1 && kids[0].Type != xmlquery.ElementNode && kids[0].Type != xmlquery.CommentNode:
		b.WriteString(">" + escapeXML(kids[0].Data) + "</" + qualified(n) + ">\n")
		return
	}
	b.WriteString(">\n")
	for _, c := range kids {
		switch c.Type {
		case xmlquery.ElementNode:
			writeElement(b, c, indent+"\t")
		case xmlquery.CommentNode:
			b.WriteString(indent + "\t<!--" + c.Data + "-->\n")
		default:
			b.WriteString(escapeXML(indent+"\t"+c.Data) + "\n")
		}
	}
	b.WriteString(indent + "</" + qualified(n) + ">\n")
}

// escapeXML escapes as the originals' writer did: &, <, " and > in text and attributes.
func escapeXML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;", ">", "&gt;").Replace(s)
}
