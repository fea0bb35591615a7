// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"fmt"
	"path"
	"strings"
)

// UnitNameForPath returns the systemd unit name of a path with the given
// suffix (".mount"), escaped as systemd-escape --path does: slashes become
// dashes, a leading dot and every byte outside [A-Za-z0-9:_.] becomes \xNN.
func UnitNameForPath(p, suffix string) string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return "-" + suffix
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case c == '.' && i == 0:
			fmt.Fprintf(&b, `\x%02x`, c)
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == ':', c == '_', c == '.':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String() + suffix
}
