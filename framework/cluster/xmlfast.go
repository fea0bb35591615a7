// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"encoding/xml"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// parseXMLFast builds the tree parseXMLTree builds, about ten times faster, for
// the documents cluster.conf files are made of: ASCII elements and attributes
// without namespaces, entities or carriage returns (UTF-8 text and values), comments, an XML
// declaration. ok is false as soon as the document holds anything else or is
// not well-formed; parseXMLTree then reads it with encoding/xml, which accepts
// the rest of XML and words the errors. So the fast path never accepts what
// encoding/xml rejects and never changes a diagnostic; FuzzXMLFastPath checks
// that both build the same tree.
//
// With owned set, data is never written again and the tree's strings point
// into it; otherwise they point into one copy of it.
func parseXMLFast(data []byte, owned bool) (root *xmlNode, ok bool) {
	p := fastParser{line: 1}
	if owned {
		p.s = unsafe.String(unsafe.SliceData(data), len(data))
	} else {
		p.s = string(data)
	}
	return p.parse()
}

type fastParser struct {
	s    string
	pos  int
	line int // the line of s[lineAt]
	// lineAt is how far line has been counted.
	lineAt int

	// The tree is carved out of a few large allocations rather than one per
	// node, attribute list and child list: a 1000-node file has 10,000 of each.
	nodes    []xmlNode
	attrs    []Attr
	scratch  []Attr
	children []*xmlNode
	// open holds, for every open element, its children read so far.
	open [][]*xmlNode
}

const fastChunk = 512

func (p *fastParser) newNode(name string) *xmlNode {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]xmlNode, 0, fastChunk)
	}
	p.nodes = p.nodes[:len(p.nodes)+1]
	n := &p.nodes[len(p.nodes)-1]
	n.name = name
	return n
}

// keepAttrs copies a tag's attributes into the shared attribute array.
func (p *fastParser) keepAttrs(a []Attr) []Attr {
	if len(a) == 0 {
		return nil
	}
	if cap(p.attrs)-len(p.attrs) < len(a) {
		p.attrs = make([]Attr, 0, max(fastChunk, len(a)))
	}
	start := len(p.attrs)
	p.attrs = append(p.attrs, a...)
	return p.attrs[start:len(p.attrs):len(p.attrs)]
}

// keepChildren copies a closed element's children into the shared array.
func (p *fastParser) keepChildren(c []*xmlNode) []*xmlNode {
	if len(c) == 0 {
		return nil
	}
	if cap(p.children)-len(p.children) < len(c) {
		p.children = make([]*xmlNode, 0, max(fastChunk, len(c)))
	}
	start := len(p.children)
	p.children = append(p.children, c...)
	return p.children[start:len(p.children):len(p.children)]
}

// lineOf returns the line of s[pos]; pos never decreases between calls.
func (p *fastParser) lineOf(pos int) int {
	p.line += strings.Count(p.s[p.lineAt:pos], "\n")
	p.lineAt = pos
	return p.line
}

func (p *fastParser) parse() (*xmlNode, bool) {
	var root *xmlNode
	var stack []*xmlNode
	s := p.s
	for p.pos < len(s) {
		if s[p.pos] != '<' {
			end := strings.IndexByte(s[p.pos:], '<')
			if end < 0 {
				end = len(s)
			} else {
				end += p.pos
			}
			t := s[p.pos:end]
			p.pos = end
			if !plainText(t, true) {
				return nil, false
			}
			blank := strings.TrimSpace(t) == ""
			switch {
			case len(stack) > 0 && (!blank || stack[len(stack)-1].hasText()):
				stack[len(stack)-1].addText(t)
			case !blank:
				return nil, false // text outside the root element
			}
			continue
		}
		if p.pos+1 >= len(s) {
			return nil, false
		}
		switch s[p.pos+1] {
		case '/':
			name, ok := p.name(p.pos + 2)
			if !ok || len(stack) == 0 || stack[len(stack)-1].name != name {
				return nil, false
			}
			p.pos = p.space(p.pos + 2 + len(name))
			if p.pos >= len(s) || s[p.pos] != '>' {
				return nil, false
			}
			p.pos++
			p.close(stack[len(stack)-1], len(stack))
			stack = stack[:len(stack)-1]
		case '?':
			if !p.procInst() {
				return nil, false
			}
		case '!':
			if !p.comment() {
				return nil, false
			}
		default:
			line := p.lineOf(p.pos)
			n, empty, ok := p.startTag()
			if !ok || len(stack) >= maxXMLDepth {
				return nil, false
			}
			n.line = line
			if len(stack) == 0 {
				if root != nil {
					return nil, false
				}
				root = n
			} else {
				p.open[len(stack)-1] = append(p.open[len(stack)-1], n)
			}
			if !empty {
				stack = append(stack, n)
				if len(p.open) < len(stack) {
					p.open = append(p.open, nil)
				}
				p.open[len(stack)-1] = p.open[len(stack)-1][:0]
			}
		}
	}
	if len(stack) > 0 || root == nil {
		return nil, false
	}
	return root, true
}

// close gives the element at depth (1 for the root) the children read.
func (p *fastParser) close(n *xmlNode, depth int) {
	n.children = p.keepChildren(p.open[depth-1])
}

// startTag reads <name attr="value" …> or <name …/> at p.pos.
func (p *fastParser) startTag() (n *xmlNode, empty, ok bool) {
	s := p.s
	name, ok := p.name(p.pos + 1)
	if !ok {
		return nil, false, false
	}
	i := p.pos + 1 + len(name)
	p.scratch = p.scratch[:0]
	for {
		i = p.space(i)
		if i >= len(s) {
			return nil, false, false
		}
		switch s[i] {
		case '>':
			p.pos = i + 1
			n = p.newNode(name)
			n.attrs = p.keepAttrs(p.scratch)
			return n, false, true
		case '/':
			if i+1 >= len(s) || s[i+1] != '>' {
				return nil, false, false
			}
			p.pos = i + 2
			n = p.newNode(name)
			n.attrs = p.keepAttrs(p.scratch)
			return n, true, true
		}
		an, ok := p.name(i)
		if !ok {
			return nil, false, false
		}
		i = p.space(i + len(an))
		if i >= len(s) || s[i] != '=' {
			return nil, false, false
		}
		i = p.space(i + 1)
		if i >= len(s) || (s[i] != '"' && s[i] != '\'') {
			return nil, false, false
		}
		end := strings.IndexByte(s[i+1:], s[i])
		if end < 0 {
			return nil, false, false
		}
		v := s[i+1 : i+1+end]
		if !plainText(v, false) {
			return nil, false, false
		}
		p.scratch = append(p.scratch, Attr{Name: an, Value: v})
		i += end + 2
	}
}

// name reads an XML name at i: ASCII, no namespace prefix.
func (p *fastParser) name(i int) (string, bool) {
	s := p.s
	j := i
	for j < len(s) {
		c := s[j]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' ||
			j > i && ('0' <= c && c <= '9' || c == '.' || c == '-') {
			j++
			continue
		}
		if c == ':' || c >= 0x80 || j == i {
			// A namespace prefix, a non-ASCII name or none: encoding/xml decides.
			return "", false
		}
		break
	}
	return s[i:j], j > i
}

// space skips the white space encoding/xml skips inside tags.
func (p *fastParser) space(i int) int {
	for i < len(p.s) {
		switch p.s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// procInst reads <?target …?>. An XML declaration goes through encoding/xml,
// which checks its version and encoding; any other encoding than UTF-8 fails
// here (no CharsetReader) and leaves the document to parseXMLTree.
func (p *fastParser) procInst() bool {
	end := strings.Index(p.s[p.pos+2:], "?>")
	if end < 0 {
		return false
	}
	end += p.pos + 4
	pi := p.s[p.pos:end]
	if target, ok := p.name(p.pos + 2); !ok {
		return false
	} else if target == "xml" {
		if _, err := xml.NewDecoder(strings.NewReader(pi)).RawToken(); err != nil {
			return false
		}
	}
	p.pos = end
	return true
}

// comment reads <!-- … -->; encoding/xml ends a comment at its first "--",
// which must be followed by '>'. Directives and CDATA sections are left to
// encoding/xml.
func (p *fastParser) comment() bool {
	if !strings.HasPrefix(p.s[p.pos:], "<!--") {
		return false
	}
	i := strings.Index(p.s[p.pos+4:], "--")
	if i < 0 {
		return false
	}
	i += p.pos + 4
	if i+2 >= len(p.s) || p.s[i+2] != '>' {
		return false
	}
	p.pos = i + 3
	return true
}

// plainText reports whether t is character data encoding/xml would return
// unchanged: valid UTF-8 of XML characters, no control characters other than tab
// and newline, no entity or character reference, no '<' (in an attribute
// value) and, in text, no "]]>".
func plainText(t string, text bool) bool {
	for i := 0; i < len(t); {
		c := t[i]
		if c < utf8.RuneSelf {
			if c == '&' || c == '<' || c < 0x20 && c != '\t' && c != '\n' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(t[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += size
	}
	return !text || !strings.Contains(t, "]]>")
}
