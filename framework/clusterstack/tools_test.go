// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"os"
	"slices"
	"testing"
)

func TestParseQuorum(t *testing.T) {
	waiting, err := os.ReadFile("testdata/quorumtool-s-waitforall.txt")
	if err != nil {
		t.Fatal(err)
	}
	quorate := `Quorum information
------------------
Date:             Wed Dec  2 02:55:30 2026
Quorum provider:  corosync_votequorum
Nodes:            2
Node ID:          2
Ring ID:          1.9
Quorate:          Yes

Votequorum information
----------------------
Expected votes:   2
Highest expected: 2
Total votes:      2
Quorum:           1
Flags:            2Node Quorate WaitForAll

Membership information
----------------------
    Nodeid      Votes Name
         1          1 node1
         2          1 node2 (local)
`
	tests := []struct {
		name    string
		out     string
		quorate bool
		members []int
		total   int
		flags   string
	}{
		{"a two-node cluster's first node alone (corosync 3.1.7)", string(waiting), false, []int{1}, 1, "2Node WaitForAll"},
		{"both nodes", quorate, true, []int{1, 2}, 2, "2Node Quorate WaitForAll"},
		{"no output", "", false, nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := ParseQuorum(tt.out)
			if q.Quorate != tt.quorate || !slices.Equal(q.Members, tt.members) || q.TotalVotes != tt.total || q.Flags != tt.flags {
				t.Errorf("ParseQuorum = %+v; want quorate %v members %v total %d flags %q", q, tt.quorate, tt.members, tt.total, tt.flags)
			}
			if q.ExpectedVotes != 2 && tt.out != "" {
				t.Errorf("expected votes = %d; want 2", q.ExpectedVotes)
			}
		})
	}
}

func TestParseDLMStatus(t *testing.T) {
	for out, want := range map[string]bool{
		"cluster nodeid 1 quorate 1 ring seq 8 8\ndaemon now 12 fence_pid 0\n": true,
		"cluster nodeid 1 quorate 0 ring seq 4 4\n":                            false,
		"": false,
	} {
		if got := ParseDLMStatus(out).Quorate; got != want {
			t.Errorf("ParseDLMStatus(%q).Quorate = %v; want %v", out, got, want)
		}
	}
}
