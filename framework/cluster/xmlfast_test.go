// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/cluster/internal/bigconf"
)

// treeDiff describes the first difference between two trees, "" when equal.
func treeDiff(a, b *xmlNode, path string) string {
	path += "/" + a.name
	switch {
	case a.name != b.name:
		return fmt.Sprintf("%s: name %q, want %q", path, a.name, b.name)
	case a.line != b.line:
		return fmt.Sprintf("%s: line %d, want %d", path, a.line, b.line)
	case fmt.Sprint(a.attrs) != fmt.Sprint(b.attrs) || len(a.attrs) != len(b.attrs):
		return fmt.Sprintf("%s: attributes %q, want %q", path, a.attrs, b.attrs)
	case a.textString() != b.textString():
		return fmt.Sprintf("%s: text %q, want %q", path, a.textString(), b.textString())
	case len(a.children) != len(b.children):
		return fmt.Sprintf("%s: %d children, want %d", path, len(a.children), len(b.children))
	}
	for i := range a.children {
		if d := treeDiff(a.children[i], b.children[i], path); d != "" {
			return d
		}
	}
	return ""
}

// checkFastPath fails when the fast reader accepts data that encoding/xml
// rejects or reads it differently. It reports whether the fast path took data.
func checkFastPath(t *testing.T, data []byte) bool {
	t.Helper()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	fast, ok := parseXMLFast(data, false)
	if !ok {
		return false
	}
	std, err := parseXMLStd("x.conf", data)
	if err != nil {
		t.Fatalf("the fast path accepts what encoding/xml rejects: %v\n%q", err, data)
	}
	if d := treeDiff(fast, std, ""); d != "" {
		t.Fatalf("the fast path reads differently: %s\n%q", d, data)
	}
	return true
}

func TestXMLFastPath(t *testing.T) {
	tests := []struct {
		name, doc string
		fast      bool // the fast path reads it (else encoding/xml does)
	}{
		{"plain", `<cluster name="a"><clusternodes/></cluster>`, true},
		{"declaration, comments, lines", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n<cluster\n name='a'>\n <x a=\"1\"b=\"2\" >t<!--x-->u </x>\n</cluster >\n<!-- end -->\n", true},
		{"text kept with its white space", "<p> a <q/> b </p>", true},
		{"white space only text dropped", "<p>\n  <q/>\n</p>", true},
		{"greater-than in text and values", `<p a="x>y">a>b</p>`, true},
		{"tab and newline in a value", "<p a=\"x\ty\nz\"/>", true},
		{"other processing instruction", `<?xml-stylesheet href="x"?><p/>`, true},
		{"entity", `<p a="&amp;"/>`, false},
		{"character reference", `<p>&#65;</p>`, false},
		{"carriage return", "<p>\r\n</p>", false},
		{"UTF-8 text and values", "<p a=\"…\">é\U0001F600</p>", true},
		{"no-break space only", "<p>\u00a0<q/>\u00a0</p>", true},
		{"invalid UTF-8", "<p>\xff</p>", false},
		{"U+FFFE", "<p>\uFFFE</p>", false},
		{"non-ASCII name", "<é/>", false},
		{"namespace", `<x:p/>`, false},
		{"doctype", `<!DOCTYPE cluster><cluster/>`, false},
		{"cdata", `<p><![CDATA[x]]></p>`, false},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?><p/>`, false},
		{"version 1.1", `<?xml version="1.1"?><p/>`, false},
		{"unclosed", `<p><q></p>`, false},
		{"unquoted value", `<p a=1/>`, false},
		{"no value", `<p a/>`, false},
		{"lt in value", `<p a="<"/>`, false},
		{"]]> in text", `<p>]]></p>`, false},
		{"double dash in comment", `<p><!-- a -- b --></p>`, false},
		{"text outside the root", `x<p/>`, false},
		{"second root", `<p/><q/>`, false},
		{"control character", "<p>\x01</p>", false},
		{"no element", "  ", false},
		{"name starting with a digit", `<1p/>`, false},
		{"slash space", `<p / >`, false},
		{"end tag junk", `<p></p x>`, false},
		{"too deep", strings.Repeat("<a>", maxXMLDepth+1) + strings.Repeat("</a>", maxXMLDepth+1), false},
		{"deep enough", strings.Repeat("<a>", maxXMLDepth) + strings.Repeat("</a>", maxXMLDepth), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkFastPath(t, []byte(tt.doc)); got != tt.fast {
				t.Errorf("fast path taken = %v, want %v", got, tt.fast)
			}
		})
	}
}

// TestXMLFastPathFiles: the fast path reads the example and generated files.
func TestXMLFastPathFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.conf"))
	docs := map[string][]byte{"generated": bigconf.Generate(50)}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs[p] = data
	}
	for name, data := range docs {
		if !checkFastPath(t, data) {
			t.Errorf("%s: the fast path declines it", name)
		}
	}
}

// BenchmarkParseXML1000 times the XML tree alone of a 1000-node cluster.conf,
// through the fast path and through encoding/xml.
func BenchmarkParseXML1000(b *testing.B) {
	data := bigconf.Generate(1000)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, ok := parseXMLFast(data, true); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("encoding-xml", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := parseXMLStd("big.conf", data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReadClusterConf1000 times the whole read of a 1000-node
// cluster.conf into the model, the reader's checks included.
func BenchmarkReadClusterConf1000(b *testing.B) {
	data := bigconf.Generate(1000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadClusterConf("big.conf", data); err != nil {
			b.Fatal(err)
		}
	}
}
