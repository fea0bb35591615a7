// SPDX-License-Identifier: Apache-2.0

package guestssh

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommand(t *testing.T) {
	tests := []struct {
		name       string
		target     Target
		wantPrefix []string
		wantDest   string
	}{
		{name: "in a namespace", target: Target{NetNS: "lab1", Addr: "192.168.122.101", Key: "/k"},
			wantPrefix: []string{"ip", "netns", "exec", "lab1", "ssh"}, wantDest: "root@192.168.122.101"},
		{name: "here, other user", target: Target{Addr: "10.0.0.1", Key: "/k", User: "admin"},
			wantPrefix: []string{"ssh"}, wantDest: "admin@10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := tt.target.Command(context.Background(), "echo hi; hostname")
			args := cmd.Args
			if strings.Join(args[:len(tt.wantPrefix)], " ") != strings.Join(tt.wantPrefix, " ") {
				t.Errorf("command starts %q, want %q", args[:len(tt.wantPrefix)], tt.wantPrefix)
			}
			n := len(args)
			if args[n-3] != tt.wantDest || args[n-2] != "--" || args[n-1] != "echo hi; hostname" {
				t.Errorf("command ends %q, want %s -- script", args[n-3:], tt.wantDest)
			}
			joined := strings.Join(args, " ")
			for _, opt := range []string{"-i /k", "BatchMode=yes", "UserKnownHostsFile=/dev/null", "-F /dev/null"} {
				if !strings.Contains(joined, opt) {
					t.Errorf("command %q lacks %q", joined, opt)
				}
			}
		})
	}
}

func TestNewKey(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen is missing (openssh-client)")
	}
	dir := t.TempDir()
	k, err := NewKey(context.Background(), dir, "osr-test@host")
	if err != nil {
		t.Fatal(err)
	}
	if k.Private != filepath.Join(dir, "id_ed25519") {
		t.Errorf("Private = %s", k.Private)
	}
	if !strings.HasPrefix(k.Public, "ssh-ed25519 ") || !strings.HasSuffix(k.Public, " osr-test@host") {
		t.Errorf("Public = %q, want an ssh-ed25519 line commented osr-test@host", k.Public)
	}
	st, err := os.Stat(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("private key mode %v, want no access for group and others", st.Mode().Perm())
	}
}
