// SPDX-License-Identifier: Apache-2.0

package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestConsoleLinesAndWait(t *testing.T) {
	var log bytes.Buffer
	c := NewConsole(time.Now(), &log)
	fmt.Fprint(c, "boot\r\nOSR-HOST")
	fmt.Fprint(c, "NAME: node1\r\n/ # ")
	if got := log.String(); got != "boot\r\nOSR-HOSTNAME: node1\r\n/ # " {
		t.Errorf("log = %q", got)
	}
	l, ok := c.Find("OSR-HOSTNAME:")
	if !ok || l.Text != "OSR-HOSTNAME: node1" {
		t.Errorf("Find = %+v, %v", l, ok)
	}
	// The prompt has no newline but is found.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if l, err := c.WaitFor(ctx, "/ # "); err != nil || l.Text != "/ # " {
		t.Errorf("WaitFor prompt = %+v, %v", l, err)
	}
	done := make(chan error)
	go func() {
		_, err := c.WaitFor(context.Background(), "later")
		done <- err
	}()
	fmt.Fprint(c, "echo later\n")
	if err := <-done; err != nil {
		t.Errorf("WaitFor text written later: %v", err)
	}
	go func() {
		_, err := c.WaitFor(context.Background(), "never")
		done <- err
	}()
	c.Close()
	if err := <-done; !errors.Is(err, ErrConsoleClosed) {
		t.Errorf("WaitFor after Close = %v, want ErrConsoleClosed", err)
	}
	if got := c.Tail(2); got != "OSR-HOSTNAME: node1\n/ # echo later" {
		t.Errorf("Tail(2) = %q", got)
	}
}

// fakeQemu writes a script that stands in for qemu: it prints lines on the
// console, then sleeps (a hang) or exits.
func fakeQemu(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-qemu")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func fakeMachine(t *testing.T, name, body string) Machine {
	return Machine{
		Name: name, Kernel: "/nonexistent/vmlinuz", Binary: fakeQemu(t, body),
		LogPath: filepath.Join(t.TempDir(), name+".log"), Timeout: 2 * time.Second,
	}
}

func TestTimeoutKillsHungGuest(t *testing.T) {
	body := "for i in $(seq 1 40); do echo \"line $i\"; done\necho 'waiting forever'\nexec sleep 600"
	start := time.Now()
	results, err := Run(context.Background(), Boot{Machine: fakeMachine(t, "hang", body), Expect: []string{"never"}})
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Errorf("the timeout did not end the boot in time: %v", elapsed)
	}
	if err == nil {
		t.Fatal("a hung guest passed")
	}
	msg := err.Error()
	for _, want := range []string{"hang: boot did not finish within 2s", "last 30 console lines", "waiting forever", "line 40", "line 12"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "line 11\n") {
		t.Errorf("error carries more than 30 lines:\n%s", msg)
	}
	if !results[0].TimedOut {
		t.Error("result not marked as timed out")
	}
	var be *BootError
	if !errors.As(err, &be) || be.Machine != "hang" {
		t.Errorf("error is not a BootError of machine hang: %T", err)
	}
	log, _ := os.ReadFile(results[0].LogPath)
	if !strings.Contains(string(log), "waiting forever") {
		t.Errorf("console log lacks the output:\n%s", log)
	}
}

func TestRunChecksMarkersAndTimes(t *testing.T) {
	ok := fakeMachine(t, "ok", "echo 'OSR-INITRD: start'; sleep 0.3; echo 'OSR-HOSTNAME: node1'")
	bad := fakeMachine(t, "bad", "echo 'OSR-HOSTNAME: node2'; echo 'qemu complains' >&2; exit 3")
	results, err := Run(context.Background(),
		Boot{Machine: ok, Expect: []string{"OSR-HOSTNAME: node1"}},
		Boot{Machine: bad, Expect: []string{"OSR-HOSTNAME: node2"}})
	if err == nil || !strings.Contains(err.Error(), "bad: qemu failed: exit status 3") || !strings.Contains(err.Error(), "qemu complains") {
		t.Fatalf("want the failed qemu reported with its stderr, got %v", err)
	}
	if strings.Contains(err.Error(), "ok:") {
		t.Errorf("the good boot is reported as failed: %v", err)
	}
	at, found := results[0].Marker("OSR-HOSTNAME: node1")
	if !found || at < 300*time.Millisecond || at > results[0].Wall {
		t.Errorf("marker time %v (found %v), wall %v", at, found, results[0].Wall)
	}
	if err := results[0].Expect("OSR-MARKER"); err == nil || !strings.Contains(err.Error(), `console lacks ["OSR-MARKER"]`) {
		t.Errorf("Expect of a missing marker: %v", err)
	}
}

func TestWaitForSendAndKill(t *testing.T) {
	m := fakeMachine(t, "shell", "echo '/ # '; read line; echo \"got $line\"; exec sleep 600")
	m.Timeout = time.Minute
	in, err := Start(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := in.WaitFor(ctx, "/ # "); err != nil {
		t.Fatal(err)
	}
	if err := in.Send("hello\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := in.WaitFor(ctx, "got hello"); err != nil {
		t.Fatal(err)
	}
	pid := in.PID()
	in.Kill()
	_, err = in.Wait()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Wait after Kill = %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("qemu stand-in pid %d still exists after Kill: %v", pid, err)
	}
	if _, err := in.WaitFor(ctx, "never"); err == nil || !strings.Contains(err.Error(), "got hello") {
		t.Errorf("WaitFor on an ended guest should fail with the console tail: %v", err)
	}
}

func TestMeasure(t *testing.T) {
	m := fakeMachine(t, "bench", "sleep 0.2; echo 'OSR-INITRD: switch_root'; sleep 0.1")
	ts, err := Measure(context.Background(), m, "switch_root", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 3 {
		t.Fatalf("timings = %v", ts)
	}
	for i, tm := range ts {
		if tm.ToMarker < 200*time.Millisecond || tm.Wall < tm.ToMarker+100*time.Millisecond {
			t.Errorf("run %d: %+v", i+1, tm)
		}
		if _, err := os.Stat(strings.TrimSuffix(m.LogPath, ".log") + fmt.Sprintf(".%d.log", i+1)); err != nil {
			t.Errorf("run %d log: %v", i+1, err)
		}
	}
	if !(ts.Min() <= ts.Median() && ts.Median() <= ts.Max()) || !strings.HasPrefix(ts.String(), "3 boots: min ") {
		t.Errorf("summary %s", ts)
	}
	if _, err := Measure(context.Background(), m, "never shown", 2); err == nil || !strings.Contains(err.Error(), `console lacks ["never shown"]`) {
		t.Errorf("a missing marker: %v", err)
	}
}

func TestTimingsStats(t *testing.T) {
	ts := Timings{{ToMarker: 3 * time.Second}, {ToMarker: time.Second}, {ToMarker: 2 * time.Second}, {ToMarker: 4 * time.Second}}
	if ts.Min() != time.Second || ts.Median() != 2*time.Second || ts.Max() != 4*time.Second {
		t.Errorf("min %v median %v max %v", ts.Min(), ts.Median(), ts.Max())
	}
	if (Timings{}).Median() != 0 {
		t.Error("median of nothing")
	}
}

func TestStopAfter(t *testing.T) {
	m := fakeMachine(t, "stop", "echo 'OSR-INIT-DONE'; exec sleep 600")
	m.StopAfter = "OSR-INIT-DONE"
	m.Timeout = time.Minute
	start := time.Now()
	results, err := Run(context.Background(), Boot{Machine: m, Expect: []string{"OSR-INIT-DONE"}})
	if err != nil {
		t.Fatal(err)
	}
	if !results[0].Stopped || time.Since(start) > 10*time.Second {
		t.Errorf("not stopped at the marker: %+v after %v", results[0], time.Since(start))
	}
	// Without the text, the boot still ends on its timeout, as a failure.
	m = fakeMachine(t, "nostop", "echo 'booting'; exec sleep 600")
	m.StopAfter = "OSR-INIT-DONE"
	if _, err := Run(context.Background(), Boot{Machine: m}); err == nil || !strings.Contains(err.Error(), "did not finish within") {
		t.Errorf("a boot that never showed StopAfter: %v", err)
	}
}
