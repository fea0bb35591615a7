// SPDX-License-Identifier: Apache-2.0

package image

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// CheckOutput tells before a build whether an image can be written to path:
// its directory exists and is writable, path is not a directory, and it is
// none of inputs (files the build reads, such as the cluster configuration
// and osr.hcl, which writing the image would destroy). Inputs that do not
// exist are ignored.
func CheckOutput(path string, inputs ...string) error {
	if path == "" {
		return errors.New("no output file given")
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("output directory %s does not exist; create it or give another --output", dir)
	case err != nil:
		return fmt.Errorf("output directory: %w", err)
	case !st.IsDir():
		return fmt.Errorf("output directory %s is not a directory; give another --output", dir)
	}
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		return fmt.Errorf("output directory %s is not writable (%w); run as a user who may write there or give another --output", dir, err)
	}
	out, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if out.IsDir() {
		return fmt.Errorf("output %s is a directory; give the image's file name, for example %s", path, filepath.Join(path, "initrd_sr.img"))
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		ist, err := os.Stat(in)
		if err != nil {
			continue
		}
		if os.SameFile(out, ist) {
			return fmt.Errorf("output %s is %s, which the build reads; give another --output", path, in)
		}
	}
	return nil
}
