// SPDX-License-Identifier: Apache-2.0

package initrd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/kmod"
)

// modinfoMemo remembers, between builds, the firmware each module file
// declares, by what stat says of the file (device, inode, size, modification
// and change times): reading the .modinfo of every module of a generic image
// is most of a rebuild's time otherwise. It lives in the build's cache
// directory as modinfo.json; a missing or broken file is an empty memo.
type modinfoMemo struct {
	path string
	mu   sync.Mutex
	old  map[string]modinfoEntry
	seen map[string]modinfoEntry
}

type modinfoEntry struct {
	Dev      uint64   `json:"dev"`
	Ino      uint64   `json:"ino"`
	Size     int64    `json:"size"`
	Mtime    int64    `json:"mtime_ns"`
	Ctime    int64    `json:"ctime_ns"`
	Firmware []string `json:"firmware"`
}

// modinfoSettle is how long a module file must have been unchanged to be
// remembered (a later change could otherwise keep the same times).
const modinfoSettle = 2 * time.Second

func loadModinfoMemo(dir string) *modinfoMemo {
	m := &modinfoMemo{path: filepath.Join(dir, "modinfo.json"), old: map[string]modinfoEntry{}, seen: map[string]modinfoEntry{}}
	if data, err := os.ReadFile(m.path); err == nil && json.Unmarshal(data, &m.old) != nil {
		m.old = map[string]modinfoEntry{}
	}
	return m
}

func modinfoKey(st *unix.Stat_t) modinfoEntry {
	return modinfoEntry{Dev: st.Dev, Ino: st.Ino, Size: st.Size, Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}
}

func (e modinfoEntry) sameFile(o modinfoEntry) bool {
	return e.Dev == o.Dev && e.Ino == o.Ino && e.Size == o.Size && e.Mtime == o.Mtime && e.Ctime == o.Ctime
}

// firmware returns the firmware names the module file at path declares.
func (m *modinfoMemo) firmware(path string) ([]string, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return kmod.ReadFirmwareNames(path)
	}
	now := modinfoKey(&st)
	m.mu.Lock()
	old, ok := m.old[path]
	m.mu.Unlock()
	if ok && old.sameFile(now) {
		m.remember(path, old)
		return old.Firmware, nil
	}
	names, err := kmod.ReadFirmwareNames(path)
	if err != nil {
		return nil, err
	}
	var after unix.Stat_t
	settled := time.Since(time.Unix(0, max(now.Mtime, now.Ctime))) > modinfoSettle
	if settled && unix.Stat(path, &after) == nil && modinfoKey(&after).sameFile(now) {
		now.Firmware = names
		m.remember(path, now)
	}
	return names, nil
}

func (m *modinfoMemo) remember(path string, e modinfoEntry) {
	m.mu.Lock()
	m.seen[path] = e
	m.mu.Unlock()
}

// save writes this build's entries (a temporary file renamed over the memo:
// builds at once each leave a whole one). The memo is only a shortcut, so
// it is not fsynced, and a failure to write it is not the build's.
func (m *modinfoMemo) save() {
	m.mu.Lock()
	data, err := json.Marshal(m.seen)
	m.mu.Unlock()
	if err != nil || len(m.seen) == 0 {
		return
	}
	dir := filepath.Dir(m.path)
	if os.MkdirAll(dir, 0o700) != nil {
		return
	}
	f, err := os.CreateTemp(dir, ".modinfo.json.tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), m.path) != nil {
		os.Remove(f.Name())
	}
}
