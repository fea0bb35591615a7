// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavaliergopher/cpio"
)

func TestPrintableName(t *testing.T) {
	tests := map[string]string{
		"usr/bin/osr":     "usr/bin/osr",
		"with space":      "with space",
		"a\nb":            `"a\nb"`,
		"a\x1b[2Jb":       `"a\x1b[2Jb"`,
		"bad\xffutf8":     `"bad\xffutf8"`,
		`"quoted"`:        `"\"quoted\""`,
		"grüße/straße":    "grüße/straße",
		"tab\there":       `"tab\there"`,
		"del\x7f":         `"del\x7f"`,
		"right\u202eleft": `"right\u202eleft"`,
	}
	for in, want := range tests {
		if got := printableName(in); got != want {
			t.Errorf("printableName(%q) = %s, want %s", in, got, want)
		}
	}
}

// A crafted entry name cannot forge lines or send escape sequences through
// the listing.
func TestInspectEscapesNames(t *testing.T) {
	var img bytes.Buffer
	w := cpio.NewWriter(&img)
	for _, name := range []string{"etc/passwd\nusr/bin/forged", "term\x1b]0;owned\x07", "ok"} {
		if err := w.WriteHeader(&cpio.Header{Name: name, Mode: 0o644, Size: 0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crafted.img")
	if err := os.WriteFile(path, img.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"inspect", path}, {"inspect", "-l", path}} {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), args, nil, &out, &errOut); code != 0 {
			t.Fatalf("osr %v exit %d: %s", args, code, errOut.String())
		}
		if strings.Contains(out.String(), "\nusr/bin/forged") || strings.ContainsRune(out.String(), '\x1b') {
			t.Errorf("osr %v printed a raw name:\n%q", args, out.String())
		}
		if !strings.Contains(out.String(), `"etc/passwd\nusr/bin/forged"`) || !strings.Contains(out.String(), `"term\x1b]0;owned\a"`) {
			t.Errorf("osr %v does not show the names escaped:\n%s", args, out.String())
		}
	}
}
