// SPDX-License-Identifier: Apache-2.0

package ext3driver

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The ext2/3/4 superblock starts 1024 bytes into the device.
const (
	superblockOffset = 1024
	extMagic         = 0xEF53
)

// extSuper is what the driver reads of an ext superblock.
type extSuper struct {
	UUID  string
	Label string
}

// readSuper reads the ext superblock of dev, or reports that dev holds none.
func readSuper(dev string) (extSuper, error) {
	f, err := os.Open(dev)
	if err != nil {
		return extSuper{}, err
	}
	defer f.Close()
	buf := make([]byte, 1024)
	if _, err := f.ReadAt(buf, superblockOffset); err != nil {
		return extSuper{}, fmt.Errorf("read superblock of %s: %w", dev, err)
	}
	if binary.LittleEndian.Uint16(buf[0x38:]) != extMagic {
		return extSuper{}, fmt.Errorf("%s holds no ext2/3/4 filesystem", dev)
	}
	u := hex.EncodeToString(buf[0x68:0x78])
	return extSuper{
		UUID:  u[0:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:32],
		Label: string(bytes.TrimRight(buf[0x78:0x88], "\x00")),
	}, nil
}

// findDevice resolves a root given as a device path, LABEL=… or UUID=… by reading
// the superblocks of the block devices the kernel knows (the initrd has no udev and
// so no /dev/disk/by-*). sysBlock and devDir are /sys/class/block and /dev.
func findDevice(spec, sysBlock, devDir string) (string, error) {
	key, want, ok := strings.Cut(spec, "=")
	if !ok || (key != "LABEL" && key != "UUID") {
		if _, err := os.Stat(spec); err != nil {
			return "", err
		}
		return spec, nil
	}
	ents, err := os.ReadDir(sysBlock)
	if err != nil {
		return "", fmt.Errorf("list block devices: %w", err)
	}
	var seen []string
	for _, e := range ents {
		dev := filepath.Join(devDir, e.Name())
		sb, err := readSuper(dev)
		if err != nil {
			continue
		}
		seen = append(seen, fmt.Sprintf("%s (UUID=%s LABEL=%s)", e.Name(), sb.UUID, sb.Label))
		if key == "UUID" && strings.EqualFold(sb.UUID, want) || key == "LABEL" && sb.Label == want {
			return dev, nil
		}
	}
	if len(seen) == 0 {
		return "", fmt.Errorf("no block device holds an ext filesystem with %s (no ext filesystems found; is the disk driver loaded?)", spec)
	}
	return "", fmt.Errorf("no block device holds an ext filesystem with %s; found %s", spec, strings.Join(seen, ", "))
}
