// SPDX-License-Identifier: Apache-2.0

package manpage

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

var update = flag.Bool("update", false, "rewrite the golden pages in testdata")

// tree is a small program: a command with flags, a group with subcommands, a
// hidden command and a hidden flag.
func tree() *cobra.Command {
	root := &cobra.Command{Use: "tool", Short: "a tool", Long: "Tool does things.\n\nIt has two commands."}
	root.PersistentFlags().StringP("config", "C", "", "configuration `FILE`")
	run := &cobra.Command{Use: "run --name NAME [ARG…]", Short: "run something", Long: `Runs NAME.

  tool run --name x    an indented example
.dot at the start, a back\slash and --dashes.`, Run: func(*cobra.Command, []string) {}}
	run.Flags().String("name", "", "the `NAME` to run")
	run.Flags().BoolP("force", "f", false, "do it anyway")
	run.Flags().Int("tries", 3, "how often")
	run.Flags().String("secret", "", "hidden")
	_ = run.Flags().MarkHidden("secret")
	group := &cobra.Command{Use: "group COMMAND", Short: "a group"}
	group.AddCommand(&cobra.Command{Use: "add ID…", Short: "add things", Run: func(*cobra.Command, []string) {}},
		&cobra.Command{Use: "gone", Short: "hidden", Hidden: true, Run: func(*cobra.Command, []string) {}})
	root.AddCommand(run, group)
	return root
}

func TestPages(t *testing.T) {
	pages := Pages(tree(), Options{Section: "8", Manual: "System Administration", Source: "tool",
		Header: "SPDX-License-Identifier: Apache-2.0", SeeAlso: []string{"tool.conf(5)"},
		Extra: []Section{{"EXIT STATUS", "0 on success."}}})
	var names []string
	for n := range pages {
		names = append(names, n)
	}
	sort.Strings(names)
	if want := []string{"tool-group.8", "tool-run.8", "tool.8"}; !cmp.Equal(names, want) {
		t.Fatalf("pages %v, want %v", names, want)
	}
	for _, n := range names {
		golden := filepath.Join("testdata", n)
		if *update {
			if err := os.WriteFile(golden, pages[n], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want), string(pages[n])); d != "" {
			t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", n, golden, d)
		}
	}
	for _, bad := range []string{"secret", "gone"} {
		for n, p := range pages {
			if strings.Contains(string(p), bad) {
				t.Errorf("%s shows the hidden %q", n, bad)
			}
		}
	}
}

// TestGroffAccepts renders every page with groff's warnings on: none may warn.
func TestGroffAccepts(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("no groff")
	}
	for n, p := range Pages(tree(), Options{Section: "8", Source: "tool"}) {
		if msg := Lint(p); msg != "" {
			t.Errorf("groff warns about %s:\n%s", n, msg)
		}
	}
}
