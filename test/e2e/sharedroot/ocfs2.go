// SPDX-License-Identifier: Apache-2.0

package sharedroot

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// SectorSize is the unit of the o2cb heartbeat region: the device's
// logical sector (512 bytes on virtio-blk), not the filesystem block.
const SectorSize = 512

// maxHeartbeatBlocks is the most heartbeat slots o2hb uses (O2NM_MAX_NODES).
const maxHeartbeatBlocks = 255

// Heartbeat is where the o2cb local heartbeat of an OCFS2 volume lives,
// what mount.ocfs2 and o2cb would tell the kernel through configfs.
type Heartbeat struct {
	Cluster    string
	UUID       string
	BlockBytes int
	StartBlock int64
	Blocks     int64
}

// Param renders h as the lab initrd's osr.o2cb=CLUSTER:UUID:BYTES:START:BLOCKS.
func (h Heartbeat) Param() string {
	return fmt.Sprintf("osr.o2cb=%s:%s:%d:%d:%d", h.Cluster, h.UUID, h.BlockBytes, h.StartBlock, h.Blocks)
}

// ReadHeartbeat reads the heartbeat region of the OCFS2 image offline with
// debugfs.ocfs2 (the superblock's UUID, block and cluster size, cluster
// name, and the extent of the //heartbeat system file).
func ReadHeartbeat(ctx context.Context, image string) (Heartbeat, error) {
	stats, err := debugfs(ctx, image, "stats")
	if err != nil {
		return Heartbeat{}, err
	}
	h := Heartbeat{BlockBytes: SectorSize}
	var blockBits, clusterBits int
	for _, l := range strings.Split(stats, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "UUID:"):
			h.UUID = strings.TrimSpace(strings.TrimPrefix(l, "UUID:"))
		case strings.HasPrefix(l, "Cluster name:") && h.Cluster == "":
			h.Cluster = strings.TrimSpace(strings.TrimPrefix(l, "Cluster name:"))
		case strings.HasPrefix(l, "Block Size Bits:"):
			if _, err := fmt.Sscanf(l, "Block Size Bits: %d Cluster Size Bits: %d", &blockBits, &clusterBits); err != nil {
				return Heartbeat{}, fmt.Errorf("ocfs2 heartbeat of %s: parse %q: %w", image, l, err)
			}
		}
	}
	if h.UUID == "" || h.Cluster == "" || blockBits == 0 || clusterBits == 0 {
		return Heartbeat{}, fmt.Errorf("ocfs2 heartbeat of %s: superblock lacks UUID, cluster name or sizes (is it an o2cb cluster volume?):\n%s", image, stats)
	}
	hb, err := debugfs(ctx, image, "stat //heartbeat")
	if err != nil {
		return Heartbeat{}, err
	}
	clusters, block, err := firstExtent(hb)
	if err != nil {
		return Heartbeat{}, fmt.Errorf("ocfs2 heartbeat of %s: %w", image, err)
	}
	h.StartBlock = block << blockBits / SectorSize
	h.Blocks = min(clusters<<clusterBits/SectorSize, maxHeartbeatBlocks)
	return h, nil
}

func debugfs(ctx context.Context, image, request string) (string, error) {
	out, err := exec.CommandContext(ctx, "debugfs.ocfs2", "-R", request, image).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("debugfs.ocfs2 -R %q %s: %w\n%s", request, image, err, out)
	}
	return string(out), nil
}

// firstExtent parses the first row after "## Offset Clusters Block# Flags"
// in debugfs.ocfs2's stat output.
func firstExtent(stat string) (clusters, block int64, err error) {
	sc := bufio.NewScanner(strings.NewReader(stat))
	for sc.Scan() {
		if !strings.HasPrefix(strings.TrimSpace(sc.Text()), "## Offset") {
			continue
		}
		if !sc.Scan() {
			break
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			return 0, 0, fmt.Errorf("short extent row %q", sc.Text())
		}
		if clusters, err = strconv.ParseInt(f[2], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("extent clusters in %q: %w", sc.Text(), err)
		}
		if block, err = strconv.ParseInt(f[3], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("extent block in %q: %w", sc.Text(), err)
		}
		return clusters, block, nil
	}
	return 0, 0, fmt.Errorf("no extent list in the //heartbeat inode:\n%s", stat)
}
