// SPDX-License-Identifier: Apache-2.0

package ocfs2driver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The parts of the OCFS2 on-disk format (fs/ocfs2/ocfs2_fs.h) the driver reads to find
// the local heartbeat region: the superblock, the system directory and the
// "heartbeat" system inode with its first extent.

const (
	superBlockBlkno = 2 // OCFS2_SUPER_BLOCK_BLKNO, in filesystem blocks

	sigSuperblock  = "OCFSV2"
	sigInode       = "INODE01"
	sigExtentBlock = "EXBLK01"

	// Offsets inside a dinode.
	diSize        = 0x20
	diFlags       = 0x2C
	diDynFeatures = 0x76
	diID2         = 0xC0

	// Offsets inside the superblock (relative to diID2).
	sbFeatureIncompat = 0x20
	sbRootBlkno       = 0x28
	sbSystemDirBlkno  = 0x30
	sbBlocksizeBits   = 0x38
	sbClustersizeBits = 0x3C
	sbMaxSlots        = 0x40
	sbLabel           = 0x50
	sbUUID            = 0x90
	sbClusterStack    = 0xA0
	sbClusterName     = 0xA8

	// Inode flags (i_flags) and dynamic features (i_dyn_features).
	flagValid       = 0x0001
	flagSystem      = 0x0010
	flagHeartbeat   = 0x0200
	dynInlineData   = 0x0001
	extentBlockList = 0x40 // h_list inside struct ocfs2_extent_block

	// Incompatible feature bits (s_feature_incompat).
	featHeartbeatDev  = 0x0002
	featLocalMount    = 0x0008
	featUserspaceStck = 0x0080
	featClusterInfo   = 0x4000

	// o2hb keeps one slot per node and at most O2NM_MAX_NODES (255) slots.
	maxHeartbeatSlots = 255
	maxTreeDepth      = 8
)

// superblock is what the driver needs from an OCFS2 superblock.
type superblock struct {
	BlockBits, ClusterBits uint32
	RootBlkno              uint64
	SystemDirBlkno         uint64
	MaxSlots               int
	FeatureIncompat        uint32
	Label                  string
	UUID                   [16]byte
	// ClusterStack and ClusterName are set when the filesystem records its cluster
	// (mkfs.ocfs2 --cluster-stack/--cluster-name, or a user-space stack).
	ClusterStack string
	ClusterName  string
}

// BlockSize is the filesystem block size in bytes.
func (s *superblock) BlockSize() int64 { return 1 << s.BlockBits }

// ClusterSize is the filesystem cluster size in bytes.
func (s *superblock) ClusterSize() int64 { return 1 << s.ClusterBits }

// UUIDString is the volume UUID as o2cb and the kernel name the heartbeat region:
// 32 upper-case hex digits.
func (s *superblock) UUIDString() string { return fmt.Sprintf("%X", s.UUID[:]) }

// LocalMount reports a filesystem made with mkfs.ocfs2 -M local.
func (s *superblock) LocalMount() bool { return s.FeatureIncompat&featLocalMount != 0 }

// HeartbeatDevice reports a global heartbeat device (mkfs.ocfs2 -H), not a filesystem.
func (s *superblock) HeartbeatDevice() bool { return s.FeatureIncompat&featHeartbeatDev != 0 }

// UserspaceStack reports a filesystem made for a user-space cluster stack.
func (s *superblock) UserspaceStack() bool { return s.FeatureIncompat&featUserspaceStck != 0 }

// readSuperblock finds the superblock in block 2, trying every block size OCFS2
// allows (512 to 4096 bytes), and checks its signature and block size.
func readSuperblock(r io.ReaderAt) (*superblock, error) {
	for bits := uint32(9); bits <= 12; bits++ {
		bs := int64(1) << bits
		buf := make([]byte, bs)
		if _, err := r.ReadAt(buf, superBlockBlkno*bs); err != nil {
			if errors.Is(err, io.EOF) {
				continue
			}
			return nil, fmt.Errorf("read block %d at block size %d: %w", superBlockBlkno, bs, err)
		}
		if !bytes.HasPrefix(buf, []byte(sigSuperblock)) || le32(buf, diID2+sbBlocksizeBits) != bits {
			continue
		}
		sb := &superblock{
			BlockBits:       bits,
			ClusterBits:     le32(buf, diID2+sbClustersizeBits),
			RootBlkno:       le64(buf, diID2+sbRootBlkno),
			SystemDirBlkno:  le64(buf, diID2+sbSystemDirBlkno),
			MaxSlots:        int(le16(buf, diID2+sbMaxSlots)),
			FeatureIncompat: le32(buf, diID2+sbFeatureIncompat),
			Label:           cString(buf[diID2+sbLabel : diID2+sbLabel+64]),
		}
		copy(sb.UUID[:], buf[diID2+sbUUID:])
		if sb.ClusterBits < 12 || sb.ClusterBits > 20 {
			return nil, fmt.Errorf("superblock at block size %d has cluster size bits %d (want 12 to 20): the superblock is damaged", bs, sb.ClusterBits)
		}
		if sb.FeatureIncompat&(featClusterInfo|featUserspaceStck) != 0 {
			sb.ClusterStack = cString(buf[diID2+sbClusterStack : diID2+sbClusterStack+4])
			sb.ClusterName = cString(buf[diID2+sbClusterName : diID2+sbClusterName+16])
		}
		return sb, nil
	}
	return nil, fmt.Errorf("no OCFS2 superblock: signature %q not found in block %d for block sizes 512, 1024, 2048 and 4096", sigSuperblock, superBlockBlkno)
}

// heartbeatRegion is the o2hb local heartbeat region of a filesystem, in the units
// the kernel's configfs attributes take.
type heartbeatRegion struct {
	// UUID names the region (heartbeat/<UUID>).
	UUID string
	// BlockBytes is the region's block size (a device sector); StartBlock and Blocks
	// are in those units.
	BlockBytes, StartBlock, Blocks int64
	// Blkno and Clusters are the heartbeat file's first extent in filesystem units.
	Blkno    uint64
	Clusters uint32
}

// volume reads the OCFS2 structures of one device or image.
type volume struct {
	r  io.ReaderAt
	sb *superblock
}

// openVolume reads the superblock of r.
func openVolume(r io.ReaderAt) (*volume, error) {
	sb, err := readSuperblock(r)
	if err != nil {
		return nil, err
	}
	return &volume{r: r, sb: sb}, nil
}

// heartbeat finds the "heartbeat" system inode and turns its first extent into the
// o2hb region: start = blkno*blocksize/sector, blocks = min(255, clusters*clustersize/sector).
func (v *volume) heartbeat(sectorSize int64) (*heartbeatRegion, error) {
	if sectorSize < 512 || sectorSize&(sectorSize-1) != 0 || sectorSize > v.sb.BlockSize() {
		return nil, fmt.Errorf("sector size %d: must be a power of two from 512 to the filesystem block size %d", sectorSize, v.sb.BlockSize())
	}
	dir, err := v.inode(v.sb.SystemDirBlkno)
	if err != nil {
		return nil, fmt.Errorf("system directory: %w", err)
	}
	blkno, err := v.lookup(dir, "heartbeat")
	if err != nil {
		return nil, fmt.Errorf("system directory (block %d): %w", v.sb.SystemDirBlkno, err)
	}
	hb, err := v.inode(blkno)
	if err != nil {
		return nil, fmt.Errorf("heartbeat inode: %w", err)
	}
	if le32(hb, diFlags)&(flagSystem|flagHeartbeat) != flagSystem|flagHeartbeat {
		return nil, fmt.Errorf("inode %d named heartbeat is not the heartbeat system file (flags %#x)", blkno, le32(hb, diFlags))
	}
	exts, err := v.extents(hb)
	if err != nil {
		return nil, fmt.Errorf("heartbeat inode %d: %w", blkno, err)
	}
	if len(exts) == 0 || exts[0].clusters == 0 {
		return nil, fmt.Errorf("heartbeat inode %d has no allocated extent", blkno)
	}
	first := exts[0]
	blocks := int64(first.clusters) * v.sb.ClusterSize() / sectorSize
	return &heartbeatRegion{
		UUID:       v.sb.UUIDString(),
		BlockBytes: sectorSize,
		StartBlock: int64(first.blkno) * v.sb.BlockSize() / sectorSize,
		Blocks:     min(blocks, maxHeartbeatSlots),
		Blkno:      first.blkno,
		Clusters:   first.clusters,
	}, nil
}

// block reads filesystem block blkno.
func (v *volume) block(blkno uint64) ([]byte, error) {
	buf := make([]byte, v.sb.BlockSize())
	if _, err := v.r.ReadAt(buf, int64(blkno)<<v.sb.BlockBits); err != nil {
		return nil, fmt.Errorf("read block %d: %w", blkno, err)
	}
	return buf, nil
}

// inode reads the dinode at blkno and checks its signature and valid flag.
func (v *volume) inode(blkno uint64) ([]byte, error) {
	buf, err := v.block(blkno)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(buf, []byte(sigInode)) {
		return nil, fmt.Errorf("block %d holds no inode (signature %q, want %q)", blkno, cString(buf[:8]), sigInode)
	}
	if le32(buf, diFlags)&flagValid == 0 {
		return nil, fmt.Errorf("inode %d is not marked valid", blkno)
	}
	return buf, nil
}

// extent is a leaf extent: clusters starting at filesystem block blkno.
type extent struct {
	blkno    uint64
	clusters uint32
}

// extents returns the leaf extents of an inode in file order, descending the
// extent tree through extent blocks.
func (v *volume) extents(inode []byte) ([]extent, error) {
	return v.extentList(inode[diID2:], 0)
}

func (v *volume) extentList(list []byte, level int) ([]extent, error) {
	if level > maxTreeDepth {
		return nil, fmt.Errorf("extent tree deeper than %d levels", maxTreeDepth)
	}
	depth, count, used := le16(list, 0), int(le16(list, 2)), int(le16(list, 4))
	if used > count || 0x10+used*0x10 > len(list) {
		return nil, fmt.Errorf("extent list claims %d of %d records, more than fit in a block", used, count)
	}
	var out []extent
	for i := 0; i < used; i++ {
		rec := list[0x10+i*0x10:]
		blkno := le64(rec, 8)
		if depth == 0 {
			out = append(out, extent{blkno: blkno, clusters: uint32(le16(rec, 4))})
			continue
		}
		eb, err := v.block(blkno)
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(eb, []byte(sigExtentBlock)) {
			return nil, fmt.Errorf("block %d holds no extent block (signature %q, want %q)", blkno, cString(eb[:8]), sigExtentBlock)
		}
		sub, err := v.extentList(eb[extentBlockList:], level+1)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

// lookup finds name in a directory inode, inline or in directory blocks, and returns
// the entry's inode block number.
func (v *volume) lookup(dir []byte, name string) (uint64, error) {
	size := int64(le64(dir, diSize))
	if le16(dir, diDynFeatures)&dynInlineData != 0 {
		data := dir[diID2+8:]
		if size > int64(len(data)) {
			return 0, fmt.Errorf("inline directory of %d bytes does not fit in its inode", size)
		}
		if ino, ok, err := findEntry(data[:size], name); ok || err != nil {
			return ino, err
		}
		return 0, fmt.Errorf("no entry %q", name)
	}
	exts, err := v.extents(dir)
	if err != nil {
		return 0, err
	}
	perCluster := uint64(1) << (v.sb.ClusterBits - v.sb.BlockBits)
	var read int64
	for _, e := range exts {
		for b := uint64(0); b < uint64(e.clusters)*perCluster && read < size; b++ {
			buf, err := v.block(e.blkno + b)
			if err != nil {
				return 0, err
			}
			read += int64(len(buf))
			if ino, ok, err := findEntry(buf, name); ok || err != nil {
				return ino, err
			}
		}
	}
	return 0, fmt.Errorf("no entry %q in %d bytes of directory blocks", name, read)
}

// findEntry walks the struct ocfs2_dir_entry records of one directory block (inode
// le64, rec_len le16, name_len u8, file_type u8, name). Unused records (inode 0) and
// the block trailer are skipped.
func findEntry(blk []byte, name string) (uint64, bool, error) {
	for off := 0; off+12 <= len(blk); {
		ino, recLen, nameLen := le64(blk, off), int(le16(blk, off+8)), int(blk[off+10])
		if recLen < 12 || off+recLen > len(blk) || 12+nameLen > recLen {
			return 0, false, fmt.Errorf("damaged directory entry at offset %d (rec_len %d, name_len %d)", off, recLen, nameLen)
		}
		if ino != 0 && string(blk[off+12:off+12+nameLen]) == name {
			return ino, true, nil
		}
		off += recLen
	}
	return 0, false, nil
}

func le16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }
func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func le64(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }

// cString returns b up to its first NUL byte.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b))
}
