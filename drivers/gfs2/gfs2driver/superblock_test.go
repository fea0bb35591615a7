// SPDX-License-Identifier: Apache-2.0

package gfs2driver

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

// mkfsImage makes a 256 MiB GFS2 image with mkfs.gfs2 -O and the given options.
func mkfsImage(t *testing.T, args ...string) string {
	t.Helper()
	return dt.MkfsImage(t, "mkfs.gfs2", "gfs2-utils", 256<<20, append([]string{"-O"}, args...)...)
}

// tunegfs2 returns what tunegfs2 -l says: field name → value.
func tunegfs2(t *testing.T, img string) map[string]string {
	t.Helper()
	out, err := exec.Command(dt.Program(t, "tunegfs2", "gfs2-utils"), "-l", img).CombinedOutput()
	if err != nil {
		t.Fatalf("tunegfs2 -l: %v\n%s", err, out)
	}
	facts := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^([^:\n]+):\s*(.*)$`).FindAllStringSubmatch(string(out), -1) {
		facts[m[1]] = strings.TrimSpace(m[2])
	}
	return facts
}

func TestReadSuperblockMatchesTunegfs2(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		proto string
		table string
	}{
		{"lock_nolock", []string{"-p", "lock_nolock", "-t", "c:fs", "-j", "2"}, "lock_nolock", "c:fs"},
		{"lock_dlm", []string{"-p", "lock_dlm", "-t", "osrc:root", "-j", "2"}, "lock_dlm", "osrc:root"},
		{"lock_dlm 1k blocks", []string{"-b", "1024", "-p", "lock_dlm", "-t", "osrc:root", "-j", "1"}, "lock_dlm", "osrc:root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := mkfsImage(t, tt.args...)
			f, err := os.Open(img)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sb, err := readSuperblock(f)
			if err != nil {
				t.Fatalf("readSuperblock() error = %v", err)
			}
			if sb.LockProto != tt.proto || sb.LockTable != tt.table {
				t.Errorf("lock protocol, table = %q, %q; want %q, %q (mkfs.gfs2 %v)", sb.LockProto, sb.LockTable, tt.proto, tt.table, tt.args)
			}
			want := tunegfs2(t, img)
			if sb.UUIDString() != want["File system UUID"] || sb.LockProto != want["Lock protocol"] || sb.LockTable != want["Lock table"] ||
				want["Block size"] != strconv.Itoa(int(sb.BlockSize)) {
				t.Errorf("superblock = %+v (uuid %s); tunegfs2 -l says %v", sb, sb.UUIDString(), want)
			}
		})
	}
}

func TestReadSuperblockRejects(t *testing.T) {
	sb := func(magic, typ, format, bsize uint32) []byte {
		b := make([]byte, 128<<10)
		be := binary.BigEndian
		be.PutUint32(b[sbOffset:], magic)
		be.PutUint32(b[sbOffset+4:], typ)
		be.PutUint32(b[sbOffset+offFSFormat:], format)
		be.PutUint32(b[sbOffset+offBsize:], bsize)
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"zeros", make([]byte, 128<<10), "magic 0x00000000 at 64 KiB"},
		{"too short", make([]byte, 4096), "ends before"},
		{"resource group, not superblock", sb(gfs2Magic, 2, 1802, 4096), "type 2"},
		{"gfs1", sb(gfs2Magic, 1, 1309, 4096), "gfs2_convert"},
		{"unknown format", sb(gfs2Magic, 1, 1700, 4096), "unknown format 1700"},
		{"bad block size", sb(gfs2Magic, 1, 1802, 3000), "block size 3000"},
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
