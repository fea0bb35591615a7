// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/internal/cli"
	"github.com/open-sharedroot/osr/internal/manpage"
)

// updateDocs rewrites the man pages and completion scripts under packaging/
// from the command tree: go test ./internal/drivercli -run 'TestManPages|TestCompletions' -update
// (make man does it).
var updateDocs = flag.Bool("update", false, "rewrite packaging/man/*.8 and packaging/completion/* from the command tree")

// manOptions are the settings of osr's generated pages; osr.hcl(5) and
// osr-cmdline(7) are written by hand.
var manOptions = manpage.Options{
	Section:  "8",
	Manual:   "System Administration",
	Source:   "osr",
	Header:   "SPDX-License-Identifier: Apache-2.0; generated from the command tree by make man: do not edit",
	Synopsis: cli.Synopsis,
	Skip:     func(c *cobra.Command) bool { return c.Name() == "help" || c.Name() == "completion" },
	SeeAlso:  []string{"osr.hcl(5)", "osr-cmdline(7)"},
	Extra: []manpage.Section{
		{Title: "EXIT STATUS", Text: `0 when the command did what was asked; 1 when it failed (the message names the
file, line and what to do); 2 for a wrong command line (an unknown command or
flag, a missing argument), with a suggestion when a known name is close. Some
commands count: osr cluster query exits with the number of queries that failed,
osr cdsl check with the number of differences left.`},
		{Title: "ENVIRONMENT", Text: `  OSR_CONFIG          osr.hcl to read when --config is not given
  OSR_LOG_LEVEL       log level when --log-level, -q and -v are not given
  OSR_DRIVER_PATH     colon-separated driver directories, after --driver-dir
  OSR_CLUSTER_CONF    the cluster configuration when --cluster is not given
  OSR_LISTFILE_PATH   listfile directories of osr listfiles without --listfile-dir
  OSR_ROOT            the root filesystem osr listfiles resolves against
  OSR_RPM             the rpm command used to query rpm-based roots
  SOURCE_DATE_EPOCH   the modification time of every file in a built image`},
		{Title: "MESSAGES", Text: `Messages on standard error are plain lines: "osr build: …" for the error that
ended a command, "osr: warning: …" for warnings, which are shown by default.
-q (--quiet) leaves only errors, -v (--verbose) adds what osr does, -vv debug
messages; --log-level sets the level by name.`},
		{Title: "SHELL COMPLETION", Text: `make install puts completion scripts for bash, zsh and fish in their standard
places under DATADIR; osr completion bash|zsh|fish|powershell prints them.`},
		{Title: "FILES", Text: `  /etc/osr/osr.hcl, /etc/osr/conf.d/*.hcl     osr's configuration
  /etc/cluster/cluster.conf                   the default cluster configuration
  /usr/libexec/osr/drivers/osr-driver-NAME    the filesystem drivers
  /usr/share/osr/listfiles, /etc/osr/listfiles.d
                                              what images take from the system
  /boot/initrd_sr-VERSION.img                 the default image of osr build

The directories follow make install's PREFIX, SYSCONFDIR, LIBEXECDIR and
DATADIR; osr version --paths prints them.`},
	},
}

func docsTree() *cobra.Command {
	var out bytes.Buffer
	return cli.Tree(&out)
}

// TestManPages fails when packaging/man/*.8 differ from the pages the command
// tree gives, or when a page no command gives is left there.
func TestManPages(t *testing.T) {
	dir := filepath.Join("..", "..", "packaging", "man")
	pages := manpage.Pages(docsTree(), manOptions)
	for name, page := range pages {
		if msg := manpage.Lint(page); msg != "" {
			t.Errorf("groff warns about %s:\n%s", name, msg)
		}
		compareGolden(t, filepath.Join(dir, name), page)
	}
	have, err := filepath.Glob(filepath.Join(dir, "*.8"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range have {
		if _, ok := pages[filepath.Base(p)]; !ok {
			if *updateDocs {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("%s is no command's page any more; make man removes it", p)
		}
	}
	for _, want := range []string{"osr.8", "osr-build.8", "osr-cdsl.8", "osr-cluster.8", "osr-config.8", "osr-drivers.8", "osr-inspect.8"} {
		if _, ok := pages[want]; !ok {
			t.Errorf("no page %s", want)
		}
	}
}

// TestCompletions fails when packaging/completion/* differ from what
// osr completion prints.
func TestCompletions(t *testing.T) {
	dir := filepath.Join("..", "..", "packaging", "completion")
	for shell, file := range map[string]string{"bash": "osr.bash", "zsh": "_osr", "fish": "osr.fish"} {
		var out, errOut bytes.Buffer
		if code := cli.Run(context.Background(), []string{"completion", shell}, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("osr completion %s: exit %d: %s", shell, code, errOut.String())
		}
		compareGolden(t, filepath.Join(dir, file), out.Bytes())
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateDocs {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%v; make man writes it", err)
		return
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s is not what the command tree gives (make man rewrites it):\n%s", path, d)
	}
}
