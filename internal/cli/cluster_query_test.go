// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// com-queryclusterconf's entry shares the query command: the cluster file from
// $CLUSTERCONF and nothing after an answer unless -S says so, as the original.
func TestComQueryEntry(t *testing.T) {
	conf, err := filepath.Abs(filepath.Join("..", "..", "framework", "cluster", "query", "testdata", "compat.conf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLUSTERCONF", conf)
	t.Setenv("OSR_CLUSTER_CONF", "")
	t.Setenv("QUERYMAPFILE", filepath.Join(t.TempDir(), "none.cfg"))
	tests := []struct {
		args     []string
		want     string
		wantCode int
	}{
		{args: []string{"nodeids"}, want: "1 2"},
		{args: []string{"-S", "\n", "eth_name_mac", "1", "eth0"}, want: "00:0C:29:3B:AA:01\n"},
		{args: []string{"nodename_by_hwid", "00:0C:29:3B:BB:01", "query=scsi_failover", "2", "query=nodeid_by_hwid", "00:0C:29:3B:AA:01"}, want: "n21", wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, queryEntry: comQueryEntry}
			code := e.run(append([]string{"cluster", "query"}, tt.args...), nil)
			if out.String() != tt.want || code != tt.wantCode {
				t.Errorf("output %q exit %d, want %q exit %d (stderr %s)", out.String(), code, tt.want, tt.wantCode, errOut.String())
			}
		})
	}
}

// TestQueryBatchStreams: queries on standard input (-Q -) are answered as each
// line arrives; the next line is written only after the previous answer was read.
func TestQueryBatchStreams(t *testing.T) {
	conf, err := filepath.Abs(filepath.Join("..", "..", "framework", "cluster", "query", "testdata", "compat.conf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("QUERYMAPFILE", filepath.Join(t.TempDir(), "none.cfg"))
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- Run(context.Background(), []string{"cluster", "query", "-c", conf, "-Q", "-"}, inR, outW, io.Discard)
		outW.Close()
	}()
	answers := bufio.NewReader(outR)
	for i, q := range []struct{ line, want string }{
		{"nodeids\n", "1 2\n"},
		{"nodename_by_hwid 00:0C:29:3B:BB:01\n", "n2\n"},
		{"query=nodeids\n", "1 2\n"},
	} {
		if _, err := io.WriteString(inW, q.line); err != nil {
			t.Fatal(err)
		}
		got, err := answers.ReadString('\n')
		if err != nil || got != q.want {
			t.Fatalf("answer %d = %q, %v; want %q", i, got, err, q.want)
		}
	}
	inW.Close()
	if rest, _ := io.ReadAll(answers); len(rest) != 0 {
		t.Errorf("more output after the last query: %q", rest)
	}
	if c := <-code; c != 0 {
		t.Errorf("exit %d", c)
	}
}
