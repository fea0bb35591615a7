// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/initrd/image"
)

func init() {
	registerNamed(func(e *env) *cobra.Command {
		var o inspectFlags
		c := &cobra.Command{
			Use: `inspect IMAGE [--long] [--json]
        | inspect IMAGE --cat PATH | inspect IMAGE --extract DIR`,
			Short: "list, print or extract the contents of any initrd",
			Long: `Reads any initrd (osr's, dracut's, initramfs-tools'): uncompressed cpio or cpio
compressed with zstd, gzip, xz, lzma, lz4 (legacy format) or bzip2, including
images made of several archives, such as an uncompressed early archive with CPU
microcode followed by the compressed main archive.

Lists the image's entries as it reads them, then a summary of its segments;
--long lists the entries like ls -l.
--cat prints one file's content (the last entry of that name, as the kernel
would leave it). --extract unpacks everything into DIR (created if missing)
without following symlinks or writing outside DIR; entries that cannot be
extracted safely are reported and make the exit status 1.`,
			RunE: func(_ *cobra.Command, pos []string) error { return runInspect(e, &o, pos) },
		}
		fs := c.Flags()
		fs.BoolVarP(&o.long, "long", "l", false, "list entries with mode, links, owner, size, mtime and link target")
		fs.BoolVar(&o.asJSON, "json", false, "print segments and entries as JSON")
		fs.StringVar(&o.cat, "cat", "", "print the content of the file at `PATH` in the image")
		fs.StringVar(&o.extract, "extract", "", "unpack the image into `DIR`")
		return c
	}, "inspect")
}

type inspectFlags struct {
	long, asJSON bool
	cat, extract string
}

func runInspect(e *env, o *inspectFlags, pos []string) error {
	long, asJSON, cat, extract := &o.long, &o.asJSON, &o.cat, &o.extract
	switch {
	case len(pos) == 0:
		return usagef("no image given")
	case len(pos) > 1:
		return usagef("one image at a time (got %d arguments)", len(pos))
	case *cat != "" && *extract != "":
		return usagef("--cat and --extract exclude each other")
	case (*cat != "" || *extract != "") && (*long || *asJSON):
		return usagef("--long and --json apply to the listing, not to --cat or --extract")
	}
	im, err := image.OpenStream(pos[0])
	if err != nil {
		return err
	}
	defer im.Close()
	switch {
	case *cat != "":
		err := im.Cat(e.ctx, *cat, e.stdout)
		if errors.Is(err, image.ErrNotFound) {
			return fmt.Errorf("%s has no entry %q (list it with: osr inspect %s)", pos[0], *cat, pos[0])
		}
		return err
	case *extract != "":
		return inspectExtract(e, im, *extract)
	case *asJSON:
		return writeInspectJSON(e.stdout, pos[0], im, e)
	}
	// Entries are printed as they are read, the summary once the image has been read.
	w := bufio.NewWriterSize(e.stdout, 64<<10)
	entries := 0
	segs, err := im.List(e.ctx, func(h *image.Header) error {
		entries++
		if *long {
			_, err := fmt.Fprintln(w, longLine(h))
			return err
		}
		_, err := fmt.Fprintln(w, printableName(h.Name))
		return err
	})
	if err != nil {
		w.Flush()
		return err
	}
	writeSegments(w, pos[0], im.Size(), segs, entries)
	return w.Flush()
}

func inspectExtract(e *env, im *image.Stream, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	st, err := im.Extract(e.ctx, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "extracted %d files, %d hardlinks, %d directories, %d symlinks, %d devices to %s\n",
		st.Files, st.Hardlinks, st.Dirs, st.Symlinks, st.Devices, dir)
	for _, s := range st.Skipped {
		fmt.Fprintf(e.stderr, "osr inspect: skipped %s\n", s)
	}
	if len(st.Skipped) > 0 {
		return exitError{1}
	}
	return nil
}

// writeSegments prints a summary line for the image and one per segment.
func writeSegments(w io.Writer, path string, size int64, segs []image.Segment, entries int) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s: %d bytes, %d segment%s, %d entries\n", path, size, len(segs), plural(len(segs)), entries)
	for _, s := range segs {
		fmt.Fprintf(w, "segment %d: %s at offset %d, %d bytes (%d uncompressed), %d entries\n",
			s.Index, s.Compression, s.Offset, s.Length, s.RawBytes, s.Entries)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// longLine formats an entry like ls -l (numeric owners, UTC times).
func longLine(h *image.Header) string {
	size := fmt.Sprintf("%d", h.Size)
	if h.Kind == image.CharDevice || h.Kind == image.BlockDevice {
		size = fmt.Sprintf("%d, %d", h.Major, h.Minor)
	}
	line := fmt.Sprintf("%s %3d %-5d %-5d %10s %s %s", modeString(h), h.Links, h.UID, h.GID, size,
		h.ModTime.Format("2006-01-02 15:04"), printableName(h.Name))
	if h.Kind == image.Symlink {
		line += " -> " + printableName(h.Linkname)
	}
	return line
}

// modeString renders type and permission bits as ls does ("drwxr-sr-x").
func modeString(h *image.Header) string {
	t := map[image.Kind]byte{image.File: '-', image.Dir: 'd', image.Symlink: 'l',
		image.CharDevice: 'c', image.BlockDevice: 'b', image.Fifo: 'p'}[h.Kind]
	if t == 0 {
		t = '?'
	}
	b := []byte{t}
	const rwx = "rwxrwxrwx"
	for i := range 9 {
		if h.Mode&(1<<(8-i)) != 0 {
			b = append(b, rwx[i])
		} else {
			b = append(b, '-')
		}
	}
	special := func(set bool, at int, lower, upper byte) {
		if !set {
			return
		}
		if b[at] == '-' {
			b[at] = upper
		} else {
			b[at] = lower
		}
	}
	special(h.Mode&os.ModeSetuid != 0, 3, 's', 'S')
	special(h.Mode&os.ModeSetgid != 0, 6, 's', 'S')
	special(h.Mode&os.ModeSticky != 0, 9, 't', 'T')
	return string(b)
}

type entryJSON struct {
	Name    string    `json:"name"`
	Type    string    `json:"type"`
	Mode    string    `json:"mode"`
	UID     int       `json:"uid"`
	GID     int       `json:"gid"`
	Size    int64     `json:"size"`
	Links   int       `json:"links"`
	ModTime time.Time `json:"mtime"`
	Target  string    `json:"target,omitempty"`
	Major   *uint32   `json:"major,omitempty"`
	Minor   *uint32   `json:"minor,omitempty"`
	Segment int       `json:"segment"`
}

// writeInspectJSON streams {"image", "size", "entries": […], "segments": […]}: the
// entries as they are read, the segments once the whole image has been read.
func writeInspectJSON(out io.Writer, path string, im *image.Stream, e *env) error {
	w := bufio.NewWriterSize(out, 64<<10)
	head, _ := json.Marshal(path)
	fmt.Fprintf(w, "{\n  \"image\": %s,\n  \"size\": %d,\n  \"entries\": [", head, im.Size())
	n := 0
	segs, err := im.List(e.ctx, func(h *image.Header) error {
		j := entryJSON{Name: h.Name, Type: strings.ReplaceAll(h.Kind.String(), " ", "-"),
			Mode: fmt.Sprintf("%04o", h.Perm()), UID: h.UID, GID: h.GID, Size: h.Size,
			Links: h.Links, ModTime: h.ModTime, Target: h.Linkname, Segment: h.Segment}
		if h.Kind == image.CharDevice || h.Kind == image.BlockDevice {
			j.Major, j.Minor = &h.Major, &h.Minor
		}
		b, err := json.MarshalIndent(j, "    ", "  ")
		if err != nil {
			return err
		}
		if n > 0 {
			w.WriteByte(',')
		}
		n++
		w.WriteString("\n    ")
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		w.Flush()
		return err
	}
	if n > 0 {
		w.WriteString("\n  ")
	}
	b, err := json.MarshalIndent(segs, "  ", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "],\n  \"segments\": %s\n}\n", b)
	return w.Flush()
}

// printableName is an entry name as the listing shows it: as it is when it is
// valid UTF-8 without control characters, Go-quoted otherwise, so a crafted
// name can neither break a line nor send escape sequences to the terminal.
func printableName(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) < 0 && !strings.HasPrefix(s, `"`) {
		return s
	}
	return strconv.Quote(s)
}
