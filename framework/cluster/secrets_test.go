// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A cluster file with passwords anywhere (fence devices, <rm> resources) that
// others may read is loaded with a warning naming the file and the fix.
func TestLoadWarnsExposedSecrets(t *testing.T) {
	docs := map[string]string{
		"fence": `<cluster name="c"><clusternodes><clusternode name="a" nodeid="1"/></clusternodes>
<fencedevices><fencedevice name="ipmi" agent="fence_ipmilan" passwd="x"/></fencedevices></cluster>`,
		"rm": `<cluster name="c"><clusternodes><clusternode name="a" nodeid="1"/></clusternodes>
<rm><resources><netfs name="d" password="x"/></resources><service name="s"><script name="x" Password="y"/></service></rm></cluster>`,
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cluster.conf")
			for _, tt := range []struct {
				mode os.FileMode
				warn bool
			}{{0o644, true}, {0o640, true}, {0o600, false}} {
				if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
				c, err := Load(path)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, w := range c.Warnings() {
					if strings.Contains(w.Error(), "secrets") {
						got = append(got, w.Error())
					}
				}
				if !tt.warn {
					if len(got) != 0 {
						t.Errorf("mode %04o: warnings %q; want none", tt.mode, got)
					}
					continue
				}
				if len(got) != 1 || !strings.Contains(got[0], path) || !strings.Contains(got[0], "chmod 600 "+path) {
					t.Errorf("mode %04o: warnings %q; want one naming %s and chmod 600", tt.mode, got, path)
				}
			}
		})
	}
}

func TestSecretsInRM(t *testing.T) {
	c, err := ReadClusterConf("c.conf", []byte(`<cluster name="c"><rm><resources><netfs name="d" password="x" passwd_script="/p"/></resources>
<service name="s"><netfs name="e"><fs name="f" snmp_priv_passwd="z"/></netfs></service></rm></cluster>`))
	if err != nil {
		t.Fatal(err)
	}
	var where []string
	for _, s := range c.Secrets() {
		where = append(where, s.Where)
	}
	if strings.Join(where, "|") != "rm <netfs> password|rm <fs> snmp_priv_passwd" {
		t.Errorf("secrets %q; want the netfs password and the nested fs snmp_priv_passwd", where)
	}
}
