// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// xmlNode is a parsed XML element with the line it starts on.
type xmlNode struct {
	name     string
	attrs    []Attr
	text     *strings.Builder // nil until the element has text
	children []*xmlNode
	line     int
}

// addText appends character data to the element's text.
func (n *xmlNode) addText(s string) {
	if n.text == nil {
		n.text = &strings.Builder{}
	}
	n.text.WriteString(s)
}

// hasText reports whether the element has text so far.
func (n *xmlNode) hasText() bool { return n.text != nil && n.text.Len() > 0 }

// textString is the element's text as written.
func (n *xmlNode) textString() string {
	if n.text == nil {
		return ""
	}
	return n.text.String()
}

// maxXMLDepth bounds nesting so that a hostile file cannot exhaust the stack.
const maxXMLDepth = 64

// parseXMLTree reads a whole document into a tree of xmlNodes.
// When data is owned (never written again), the fast path's strings share its
// bytes.
func parseXMLTree(file string, data []byte, owned bool) (*xmlNode, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if root, ok := parseXMLFast(data, owned); ok {
		return root, nil
	}
	return parseXMLStd(file, data)
}

// parseXMLStd reads a document with encoding/xml, which accepts all of XML
// that cluster.conf may use and words every error with the line.
func parseXMLStd(file string, data []byte) (*xmlNode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetReader
	var root *xmlNode
	var stack []*xmlNode
	for {
		line, _ := d.InputPos()
		// RawToken skips namespace translation, which cluster.conf does not use;
		// the stack below checks that end tags match.
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w (is this an XML cluster.conf?)", file, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxXMLDepth {
				return nil, fmt.Errorf("%s:%d: elements nested deeper than %d", file, line, maxXMLDepth)
			}
			n := &xmlNode{name: t.Name.Local, line: line}
			if t.Name.Space != "" {
				n.name = t.Name.Space + ":" + t.Name.Local
			}
			for _, a := range t.Attr {
				name := a.Name.Local
				if a.Name.Space != "" {
					name = a.Name.Space + ":" + name
				}
				n.attrs = append(n.attrs, Attr{Name: name, Value: a.Value})
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("%s:%d: a second root element <%s>", file, line, n.name)
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			name := t.Name.Local
			if t.Name.Space != "" {
				name = t.Name.Space + ":" + name
			}
			if len(stack) == 0 || stack[len(stack)-1].name != name {
				return nil, fmt.Errorf("%s:%d: unexpected end tag </%s>", file, line, name)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				// Indentation; text content is trimmed anyway.
				if len(stack) > 0 && stack[len(stack)-1].hasText() {
					stack[len(stack)-1].addText(string(t))
				}
				continue
			}
			if len(stack) == 0 {
				return nil, fmt.Errorf("%s:%d: text outside the root element", file, line)
			}
			stack[len(stack)-1].addText(string(t))
		case xml.Directive:
			// <!DOCTYPE …> is allowed before the root element only.
			if len(stack) > 0 {
				return nil, fmt.Errorf("%s:%d: unexpected <!%s> inside <%s>", file, line, firstWord(t), stack[len(stack)-1].name)
			}
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("%s: XML syntax error: <%s> (line %d) is never closed", file, stack[len(stack)-1].name, stack[len(stack)-1].line)
	}
	if root == nil {
		return nil, fmt.Errorf("%s: no XML element found (is the file empty?)", file)
	}
	return root, nil
}

func firstWord(b []byte) string {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// charsetReader lets old cluster.conf files declare latin-1 or ASCII.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		data, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, 0, len(data))
		for _, b := range data {
			buf = utf8.AppendRune(buf, rune(b))
		}
		return bytes.NewReader(buf), nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q: save the file as UTF-8", charset)
}

// toElement converts an unmodelled subtree into an Element kept as written.
func (n *xmlNode) toElement(file string) Element {
	e := Element{Name: n.name, Attrs: n.attrs, Text: strings.TrimSpace(n.textString()), Pos: Pos{File: file, Line: n.line}}
	for _, c := range n.children {
		e.Children = append(e.Children, c.toElement(file))
	}
	return e
}
