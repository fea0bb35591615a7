// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseHandshake feeds parseHandshake whatever a driver might print first:
// it never panics, and what it accepts prints back to a line it reads the same.
func FuzzParseHandshake(f *testing.F) {
	for _, seed := range []string{
		"1|1|unix|/tmp/plugin123/plugin456|grpc",
		"1|1|tcp|127.0.0.1:1234|grpc",
		"1|1|tcp|[::1]:1234|grpc|MIIBcert|true",
		"1|2|unix|/run/osr/plugin1|netrpc",
		"1|1|unix||grpc",
		"x|1|unix|/a|grpc",
		"hello, I print to stdout",
		"|||",
		"1|1|tcp|nohost|grpc",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		h, err := parseHandshake(line)
		if err != nil {
			if err.Error() == "" {
				t.Errorf("parseHandshake(%q) failed without saying why", line)
			}
			return
		}
		if h.Network != "unix" && h.Network != "tcp" {
			t.Errorf("parseHandshake(%q) accepted network %q", line, h.Network)
		}
		again := fmt.Sprintf("%d|%d|%s|%s|%s", h.Core, h.App, h.Network, h.Address, h.Protocol)
		if strings.ContainsAny(h.Address, "|") || strings.ContainsAny(h.Protocol, "|") {
			t.Fatalf("parseHandshake(%q) kept a separator in a field: %+v", line, h)
		}
		h2, err := parseHandshake(again)
		if err != nil || h2 != h {
			t.Errorf("parseHandshake(%q) = %+v; printed as %q it reads %+v, %v", line, h, again, h2, err)
		}
	})
}
