// SPDX-License-Identifier: Apache-2.0

package switchroot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DeleteTree removes everything below dir that lives on the device dev,
// and never descends into a directory on another device: mount points (the
// new root, moved API filesystems) and all they hold are left alone. dir
// itself stays. It returns how many entries were removed; an error lists
// the first few that could not be.
func DeleteTree(dir string, dev uint64) (int, error) {
	var failed []error
	n := deleteBelow(dir, dev, &failed)
	if len(failed) > 0 {
		if len(failed) > 5 {
			failed = append(failed[:5], fmt.Errorf("and %d more", len(failed)-5))
		}
		return n, errors.Join(failed...)
	}
	return n, nil
}

func deleteBelow(dir string, dev uint64, failed *[]error) int {
	ents, err := os.ReadDir(dir)
	if err != nil {
		*failed = append(*failed, err)
		return 0
	}
	n := 0
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			*failed = append(*failed, &os.PathError{Op: "lstat", Path: p, Err: err})
			continue
		}
		if st.Dev != dev {
			continue // another filesystem's root: a mount point
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			n += deleteBelow(p, dev, failed)
			if err := unix.Rmdir(p); err != nil {
				if !errors.Is(err, unix.ENOTEMPTY) && !errors.Is(err, unix.EBUSY) {
					*failed = append(*failed, &os.PathError{Op: "rmdir", Path: p, Err: err})
				}
				continue
			}
			n++
			continue
		}
		if err := unix.Unlink(p); err != nil {
			*failed = append(*failed, &os.PathError{Op: "unlink", Path: p, Err: err})
			continue
		}
		n++
	}
	return n
}
