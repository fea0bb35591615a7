// SPDX-License-Identifier: Apache-2.0

package image

import (
	"context"
	"fmt"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// testHookNoTmpfile, when set by a test, makes WriteFile use a named temporary
// file as it does on filesystems without O_TMPFILE.
var testHookNoTmpfile bool

// WriteFile writes the image to path atomically (internal/atomicfile): into an
// unnamed temporary file in path's directory (O_TMPFILE; a named
// ".NAME.osr-tmp-PID-*" file where the filesystem lacks it), fsynced, then
// renamed over path, and the directory fsynced. On any error or cancellation the
// temporary file is removed and an existing image at path is left as it was. A
// process killed while writing leaves no named file behind (with O_TMPFILE), or
// one that the next WriteFile to the same directory removes.
func (a *Archive) WriteFile(ctx context.Context, path string, opts Options) (stats Stats, err error) {
	mode := opts.FileMode.Perm()
	if mode == 0 {
		mode = 0o600
	}
	t, err := atomicfile.Create(path, atomicfile.Options{Mode: mode, Named: testHookNoTmpfile})
	if err != nil {
		return Stats{}, fmt.Errorf("writing %s: %w", path, err)
	}
	defer t.Discard() // nothing after a successful Commit
	if stats, err = a.Write(ctx, t.File(), opts); err != nil {
		return stats, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return stats, fmt.Errorf("writing %s: %w", path, err)
	}
	return stats, t.Commit()
}
