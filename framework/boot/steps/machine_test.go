// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/open-sharedroot/osr/framework/boot/bootlog"
)

// fakeShell records what it was opened for; onOpen runs inside Open.
type fakeShell struct {
	available bool
	events    *[]string
	onOpen    func()
}

func (f *fakeShell) Available() bool { return f.available }

func (f *fakeShell) Open(ctx context.Context, banner string) error {
	first, _, _ := strings.Cut(banner, "\n")
	*f.events = append(*f.events, "shell: "+first)
	if f.onOpen != nil {
		f.onOpen()
	}
	return nil
}

func TestMachine(t *testing.T) {
	errFlaky := errors.New("no carrier")
	tests := []struct {
		name       string
		breaks     []string
		breakAll   bool
		shell      bool
		failures   int // how often step b fails before it works
		wantEvents []string
		wantErr    error
	}{
		{
			name:       "straight through",
			wantEvents: []string{"run a", "run b", "run c"},
		},
		{
			name:   "break before b",
			breaks: []string{"b", "nosuch"},
			shell:  true,
			wantEvents: []string{"run a", `shell: osr: break before step "b". Steps still to run:`,
				"run b", "run c"},
		},
		{
			name:     "step mode",
			breakAll: true,
			shell:    true,
			wantEvents: []string{
				`shell: osr: break before step "a". Steps still to run:`, "run a",
				`shell: osr: break before step "b". Steps still to run:`, "run b",
				`shell: osr: break before step "c". Steps still to run:`, "run c"},
		},
		{
			name:       "break without a shell goes on",
			breaks:     []string{"b"},
			wantEvents: []string{"run a", "run b", "run c"},
		},
		{
			name:     "failure, rescue shell, retry",
			shell:    true,
			failures: 2,
			wantEvents: []string{"run a",
				"run b", `shell: osr: step "b" failed: bring up eth0: no carrier`,
				"run b", `shell: osr: step "b" failed: bring up eth0: no carrier`,
				"run b", "run c"},
		},
		{
			name:       "failure without a shell waits and gives up",
			failures:   1,
			wantEvents: []string{"run a", "run b"},
			wantErr:    ErrGaveUp,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var events []string
			failures := tt.failures
			step := func(name string) Step {
				return Step{Name: name, Doc: "do " + name, Run: func(context.Context) error {
					events = append(events, "run "+name)
					if name == "b" && failures > 0 {
						failures--
						return Fail(errFlaky, "bring up eth0", []string{"eth0 (52:54:00:00:01:71): waited 10s for carrier"}, "check the cable")
					}
					return nil
				}}
			}
			saves := 0
			m := &Machine{
				Steps:     []Step{step("a"), step("b"), step("c")},
				Breaks:    tt.breaks,
				BreakAll:  tt.breakAll,
				Log:       bootlog.New(nil),
				Shell:     &fakeShell{available: tt.shell, events: &events},
				AfterStep: func() { saves++ },
			}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			err := m.Run(ctx)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Run = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && !errors.Is(err, errFlaky) {
				t.Errorf("Run's error %v does not wrap the step's error", err)
			}
			if diff := cmp.Diff(tt.wantEvents, events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if saves == 0 {
				t.Error("AfterStep never ran")
			}
			var timed int
			for _, e := range m.Log.Entries() {
				if strings.HasPrefix(e.Msg, "done in ") {
					timed++
				}
			}
			if tt.wantErr == nil && timed != 3 {
				t.Errorf("%d steps timed in the log, want 3", timed)
			}
		})
	}
}

func TestUnknownBreaks(t *testing.T) {
	m := &Machine{Steps: []Step{{Name: "network"}, {Name: "mount"}}, Breaks: []string{"mount", "netwrk"}}
	if diff := cmp.Diff([]string{"netwrk"}, m.UnknownBreaks()); diff != "" {
		t.Error(diff)
	}
}

func TestReport(t *testing.T) {
	s := Step{Name: "mount", Doc: "mount the root filesystem"}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "failure",
			err:  Fail(errors.New("no such device"), "mount /dev/vda on /sysroot", []string{"ext3, 3 times 1s apart"}, "check root="),
			want: "FAILED step \"mount\" (mount /dev/vda on /sysroot)\n  error: no such device\n  tried:\n    - ext3, 3 times 1s apart\n  what to do: check root=\n",
		},
		{
			name: "plain error",
			err:  errors.New("boom"),
			want: "FAILED step \"mount\" (mount the root filesystem)\n  error: boom\n  what to do: read the boot log above; boot with osr.break=mount to get a shell before this step and try it by hand\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Report(s, tt.err)); diff != "" {
				t.Error(diff)
			}
		})
	}
}
