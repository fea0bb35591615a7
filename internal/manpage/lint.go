// SPDX-License-Identifier: Apache-2.0

package manpage

import (
	"bytes"
	"os/exec"
)

// Lint renders page with groff -man and every warning on, and returns what
// groff said ("" when the page is clean, or when groff is not installed).
func Lint(page []byte) string {
	path, err := exec.LookPath("groff")
	if err != nil {
		return ""
	}
	cmd := exec.Command(path, "-man", "-ww", "-z", "-Tutf8")
	cmd.Stdin = bytes.NewReader(page)
	out, err := cmd.CombinedOutput()
	if err != nil && len(out) == 0 {
		return err.Error()
	}
	return string(out)
}
