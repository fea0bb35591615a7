// SPDX-License-Identifier: Apache-2.0

package ocfs2driver

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

// mkfsImage makes a 256 MiB OCFS2 image with mkfs.ocfs2 and the given options.
func mkfsImage(t *testing.T, args ...string) string {
	t.Helper()
	return dt.MkfsImage(t, "mkfs.ocfs2", "ocfs2-tools", 256<<20, append([]string{"-q", "-F"}, args...)...)
}

// debugfsFacts is what debugfs.ocfs2 says about an image.
type debugfsFacts struct {
	uuid                   string
	blockBits, clusterBits uint32
	clusterName            string
	hbClusters             uint32
	hbBlkno                uint64
}

func debugfs(t *testing.T, img string) debugfsFacts {
	t.Helper()
	tool := dt.Program(t, "debugfs.ocfs2", "ocfs2-tools")
	run := func(req string) string {
		out, err := exec.Command(tool, "-R", req, img).CombinedOutput()
		if err != nil {
			t.Fatalf("debugfs.ocfs2 -R %q: %v\n%s", req, err, out)
		}
		return string(out)
	}
	stats := run("stats")
	var f debugfsFacts
	f.uuid = match(t, stats, `UUID:\s+([0-9A-F]+)`)
	f.blockBits = uint32(atoi(t, match(t, stats, `Block Size Bits:\s+(\d+)`)))
	f.clusterBits = uint32(atoi(t, match(t, stats, `Cluster Size Bits:\s+(\d+)`)))
	if m := regexp.MustCompile(`Cluster name:\s+(\S+)`).FindStringSubmatch(stats); m != nil {
		f.clusterName = m[1]
	}
	// "## Offset Clusters Block# Flags" is followed by "0  0  256  273  0x0".
	hb := run("stat //heartbeat")
	_, rest, ok := strings.Cut(hb, "## Offset")
	if !ok {
		t.Fatalf("debugfs.ocfs2 stat //heartbeat has no extent list:\n%s", hb)
	}
	lines := strings.Split(rest, "\n")
	fields := strings.Fields(lines[1])
	if len(fields) < 4 {
		t.Fatalf("debugfs.ocfs2 extent line %q: want 4 fields", lines[1])
	}
	f.hbClusters = uint32(atoi(t, fields[2]))
	f.hbBlkno = uint64(atoi(t, fields[3]))
	return f
}

func match(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("debugfs.ocfs2 output has no %s:\n%s", re, s)
	}
	return m[1]
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

func TestHeartbeatRegionMatchesDebugfs(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		local bool
	}{
		{"o2cb 4k/4k", []string{"-b", "4096", "-C", "4096", "--cluster-stack=o2cb", "--cluster-name=osrc", "-N", "2"}, false},
		{"o2cb 1k/8k", []string{"-b", "1024", "-C", "8192", "--cluster-stack=o2cb", "--cluster-name=osrc", "-N", "4"}, false},
		{"o2cb 512/32k", []string{"-b", "512", "-C", "32768", "--cluster-stack=o2cb", "--cluster-name=c1", "-N", "2"}, false},
		{"o2cb 2k/1M", []string{"-b", "2048", "-C", "1M", "--cluster-stack=o2cb", "--cluster-name=osrc", "-N", "2"}, false},
		{"classic 4k/4k without cluster info", []string{"-b", "4096", "-C", "4096", "-N", "2"}, false},
		{"local 1k/8k", []string{"-M", "local", "-b", "1024", "-C", "8192", "-N", "2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := mkfsImage(t, tt.args...)
			want := debugfs(t, img)
			f, err := os.Open(img)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			v, err := openVolume(f)
			if err != nil {
				t.Fatalf("openVolume() error = %v", err)
			}
			sb := v.sb
			if sb.UUIDString() != want.uuid || sb.BlockBits != want.blockBits || sb.ClusterBits != want.clusterBits {
				t.Errorf("superblock = uuid %s bits %d/%d; debugfs.ocfs2 says %s %d/%d",
					sb.UUIDString(), sb.BlockBits, sb.ClusterBits, want.uuid, want.blockBits, want.clusterBits)
			}
			if sb.ClusterName != want.clusterName {
				t.Errorf("cluster name = %q; debugfs.ocfs2 says %q", sb.ClusterName, want.clusterName)
			}
			if sb.LocalMount() != tt.local {
				t.Errorf("LocalMount() = %v; want %v", sb.LocalMount(), tt.local)
			}
			hb, err := v.heartbeat(512)
			if err != nil {
				t.Fatalf("heartbeat(512) error = %v", err)
			}
			if hb.Blkno != want.hbBlkno || hb.Clusters != want.hbClusters {
				t.Errorf("heartbeat extent = block %d, %d clusters; debugfs.ocfs2 says block %d, %d clusters",
					hb.Blkno, hb.Clusters, want.hbBlkno, want.hbClusters)
			}
			// What o2params.sh computes from the same numbers.
			wantStart := int64(want.hbBlkno) << want.blockBits / 512
			wantBlocks := min(int64(want.hbClusters)<<want.clusterBits/512, 255)
			if hb.UUID != want.uuid || hb.BlockBytes != 512 || hb.StartBlock != wantStart || hb.Blocks != wantBlocks {
				t.Errorf("region = %+v; want uuid %s, 512-byte blocks from %d, %d blocks", hb, want.uuid, wantStart, wantBlocks)
			}
		})
	}
}

func TestReadSuperblockRejects(t *testing.T) {
	zero := make([]byte, 64<<10)
	tiny := []byte("OCFSV2")
	wrongBits := make([]byte, 64<<10)
	copy(wrongBits[2*4096:], sigSuperblock)
	wrongBits[2*4096+diID2+sbBlocksizeBits] = 10 // says 1024 but sits where a 4096 block would
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"zeros", zero, "no OCFS2 superblock"},
		{"too short", tiny, "no OCFS2 superblock"},
		{"block size mismatch", wrongBits, "no OCFS2 superblock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readSuperblock(bytes.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("readSuperblock() error = %v; want %q", err, tt.want)
			}
		})
	}
}

func TestFindEntry(t *testing.T) {
	entry := func(ino uint64, recLen int, name string) []byte {
		b := make([]byte, recLen)
		b[0] = byte(ino)
		b[8], b[9] = byte(recLen), byte(recLen>>8)
		b[10] = byte(len(name))
		copy(b[12:], name)
		return b
	}
	blk := append(append(entry(6, 16, "."), entry(0, 32, "heartbeat")...), entry(10, 32, "heartbeat")...)
	tests := []struct {
		name    string
		blk     []byte
		want    uint64
		found   bool
		wantErr bool
	}{
		{"skips unused entry", blk, 10, true, false},
		{"absent", entry(6, 16, "."), 0, false, false},
		{"zero rec_len", make([]byte, 32), 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := findEntry(tt.blk, "heartbeat")
			if got != tt.want || found != tt.found || (err != nil) != tt.wantErr {
				t.Errorf("findEntry() = %d, %v, %v; want %d, %v, error %v", got, found, err, tt.want, tt.found, tt.wantErr)
			}
		})
	}
}
