// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"strings"
	"testing"
)

func TestCheckNodeName(t *testing.T) {
	good := []string{"a", "node1", "gfs-node1", "n1.example.com", "A9", strings.Repeat("a", 63), strings.Repeat("a.", 126) + "a"}
	for _, n := range good {
		if err := CheckNodeName(n); err != nil {
			t.Errorf("CheckNodeName(%q) = %v; want nil", n, err)
		}
	}
	bad := []string{"", "a\nb", "a b", "-a", "a-", "a..b", ".a", "a.", "a_b", "ä", "a\x00", strings.Repeat("a", 64),
		strings.Repeat("a.", 127) + "a", "a\n}\nnode {\n\tring0_addr: 10.6.6.6", "a;b", "a/b"}
	for _, n := range bad {
		if err := CheckNodeName(n); err == nil {
			t.Errorf("CheckNodeName(%q) = nil; want an error", n)
		}
	}
}

func TestCheckClusterName(t *testing.T) {
	for _, n := range []string{"c", "lab", "my_cluster-2", strings.Repeat("x", MaxClusterNameLen)} {
		if err := CheckClusterName(n); err != nil {
			t.Errorf("CheckClusterName(%q) = %v; want nil", n, err)
		}
	}
	for _, n := range []string{"", "c\ncrypto_cipher: none", "a b", "_a", "-a", "a.b", "a:b", "ü", strings.Repeat("x", MaxClusterNameLen+1), "a}"} {
		if err := CheckClusterName(n); err == nil {
			t.Errorf("CheckClusterName(%q) = nil; want an error", n)
		}
	}
}

// Names that would inject into rendered configuration are refused when the
// file is read, with the file and line.
func TestInjectionThroughNamesRefused(t *testing.T) {
	tests := []struct {
		name, file, doc, want string
	}{
		{"cluster.conf cluster name", "c.conf",
			"<cluster name=\"c&#10;crypto_cipher: none\">\n<clusternodes><clusternode name=\"a\" nodeid=\"1\"/></clusternodes></cluster>",
			`c.conf:1: cluster name "c\ncrypto_cipher: none"`},
		{"cluster.conf node name", "c.conf",
			"<cluster name=\"c\"><clusternodes>\n<clusternode name=\"a&#10;}&#10;node {&#10;ring0_addr: 10.6.6.6\" nodeid=\"1\"/></clusternodes></cluster>",
			`c.conf:2: node name "a\n}\nnode {\nring0_addr: 10.6.6.6"`},
		{"HCL cluster name", "c.hcl",
			"cluster \"c\\ncrypto_cipher: none\" {\n  node \"a\" {\n    id = 1\n  }\n}\n",
			`c.hcl:1: cluster name "c\ncrypto_cipher: none"`},
		{"HCL node name", "c.hcl",
			"cluster \"c\" {\n  node \"a\\n}\\nnode {\" {\n    id = 1\n  }\n}\n",
			`c.hcl:2: node name "a\n}\nnode {"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if strings.HasSuffix(tt.file, ".hcl") {
				_, err = ReadHCL(tt.file, []byte(tt.doc))
			} else {
				_, err = ReadClusterConf(tt.file, []byte(tt.doc))
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("read error = %v; want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	tests := map[string]string{"node1": "node1", "a\nb": `"a\nb"`, "a b": `"a b"`, "a\x1b[2J": `"a\x1b[2J"`, `a"b`: `"a\"b"`}
	for in, want := range tests {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %s, want %s", in, got, want)
		}
	}
}
