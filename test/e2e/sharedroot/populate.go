// SPDX-License-Identifier: Apache-2.0

package sharedroot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/open-sharedroot/osr/test/e2e/qemu"
)

// The populate contract. A populate boot attaches the blank image as the
// first disk (/dev/vda, read-write) and the tree's tar archive as the
// second (/dev/vdb, read-only), and adds PopulateParam=/dev/vdb to the
// kernel command line. The machine's initrd mounts the image the way the
// caller's parameters say (a cluster filesystem may need its cluster stack
// for that), extracts the archive into it, unmounts it and prints
// PopulateDone. The lab's busybox initrd (package bbinitrd) does this; any
// initrd that honours the contract can take over.
const (
	PopulateParam = "osr.populate"
	PopulateDone  = "OSR-POPULATE: done"
)

// Populate fills image with the tree by booting m. m supplies the kernel,
// the initrd, the kernel parameters that mount the image, the console log,
// the timeout and, when the mount needs one, the network; its disks are
// replaced by the image and the archive.
func Populate(ctx context.Context, m qemu.Machine, t *Tree, image string) (*qemu.Result, error) {
	archive := filepath.Join(filepath.Dir(image), "."+filepath.Base(image)+".populate.tar")
	if err := MakeTar(t, archive); err != nil {
		return nil, err
	}
	defer os.Remove(archive)
	m.Disks = []qemu.Disk{{Path: image, Mode: qemu.Exclusive}, {Path: archive, Mode: qemu.ReadOnly}}
	m.Append = append(append([]string(nil), m.Append...), PopulateParam+"=/dev/vdb")
	results, err := qemu.Run(ctx, qemu.Boot{Machine: m, Expect: []string{PopulateDone}})
	if err != nil {
		return results[0], fmt.Errorf("populate %s from %s: %w", image, t.Dir, err)
	}
	return results[0], nil
}
