// SPDX-License-Identifier: Apache-2.0

package gfs2driver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The GFS2 superblock (include/uapi/linux/gfs2_ondisk.h), big-endian, 64 KiB into
// the device whatever the block size.
const (
	sbOffset     = 64 << 10 // GFS2_SB_ADDR (128) in 512-byte basic blocks
	gfs2Magic    = 0x01161970
	metatypeSB   = 1
	lockNameLen  = 64 // GFS2_LOCKNAME_LEN
	offFSFormat  = 24
	offMultihost = 28
	offBsize     = 36
	offLockProto = 96
	offLockTable = 160
	offUUID      = 256
	sbSize       = offUUID + 16

	// gfs2 mounts formats from 1801 on; GFS (version 1) wrote 1309.
	minGFS2Format = 1801
	gfs1Format    = 1309
)

// superblock is what the driver reads from a GFS2 superblock.
type superblock struct {
	FSFormat        uint32
	MultihostFormat uint32
	BlockSize       uint32
	// LockProto is the locking protocol mkfs.gfs2 -p recorded ("lock_dlm", "lock_nolock").
	LockProto string
	// LockTable is "cluster:filesystem" as mkfs.gfs2 -t recorded it.
	LockTable string
	UUID      [16]byte
}

// UUIDString formats the filesystem UUID as tunegfs2 -l does.
func (s *superblock) UUIDString() string {
	u := s.UUID
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// readSuperblock reads and checks the superblock of a GFS2 device or image.
func readSuperblock(r io.ReaderAt) (*superblock, error) {
	buf := make([]byte, sbSize)
	if _, err := r.ReadAt(buf, sbOffset); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("no GFS2 superblock: the device ends before %d KiB", (sbOffset+sbSize)>>10)
		}
		return nil, fmt.Errorf("read the superblock at %d KiB: %w", sbOffset>>10, err)
	}
	be := binary.BigEndian
	if m := be.Uint32(buf); m != gfs2Magic {
		return nil, fmt.Errorf("no GFS2 superblock: magic %#08x at %d KiB, want %#08x", m, sbOffset>>10, gfs2Magic)
	}
	if t := be.Uint32(buf[4:]); t != metatypeSB {
		return nil, fmt.Errorf("no GFS2 superblock: the block at %d KiB is GFS2 metadata of type %d, not the superblock (type %d)", sbOffset>>10, t, metatypeSB)
	}
	sb := &superblock{
		FSFormat:        be.Uint32(buf[offFSFormat:]),
		MultihostFormat: be.Uint32(buf[offMultihost:]),
		BlockSize:       be.Uint32(buf[offBsize:]),
		LockProto:       cString(buf[offLockProto : offLockProto+lockNameLen]),
		LockTable:       cString(buf[offLockTable : offLockTable+lockNameLen]),
	}
	copy(sb.UUID[:], buf[offUUID:])
	switch {
	case sb.FSFormat == gfs1Format:
		return nil, fmt.Errorf("the device holds GFS version 1 (format %d), which the gfs2 kernel module cannot mount: convert it with gfs2_convert (after fsck.gfs2) while no node mounts it", sb.FSFormat)
	case sb.FSFormat < minGFS2Format:
		return nil, fmt.Errorf("GFS2 superblock with unknown format %d (gfs2 mounts %d and later)", sb.FSFormat, minGFS2Format)
	case sb.BlockSize < 512 || sb.BlockSize > 65536 || sb.BlockSize&(sb.BlockSize-1) != 0:
		return nil, fmt.Errorf("GFS2 superblock with block size %d: the superblock is damaged", sb.BlockSize)
	}
	return sb, nil
}

// cString returns b up to its first NUL byte.
func cString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
