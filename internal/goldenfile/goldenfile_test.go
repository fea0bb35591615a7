// SPDX-License-Identifier: Apache-2.0

package goldenfile

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Fatal(...any)          { r.failed = true }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.txt")
	tests := []struct {
		name     string
		update   bool
		file     *string
		got      string
		wantFail bool
	}{
		{"missing file fails", false, nil, "a\n", true},
		{"update writes it", true, nil, "a\n", false},
		{"same passes", false, ptr("a\n"), "a\n", false},
		{"different fails", false, ptr("a\n"), "b\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.file != nil {
				if err := os.WriteFile(path, []byte(*tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			*update = tt.update
			defer func() { *update = false }()
			r := &recorder{TB: t}
			Check(r, path, []byte(tt.got))
			if r.failed != tt.wantFail {
				t.Errorf("failed = %v, want %v", r.failed, tt.wantFail)
			}
			if tt.update {
				if b, err := os.ReadFile(path); err != nil || string(b) != tt.got {
					t.Errorf("after -update the file holds %q, %v", b, err)
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }
