// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
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
