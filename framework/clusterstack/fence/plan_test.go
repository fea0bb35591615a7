// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/open-sharedroot/osr/framework/cluster"
)

func load(t *testing.T, name string) *cluster.Cluster {
	t.Helper()
	c, err := cluster.Load("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Request
		wantErr string
	}{
		{
			name: "fence_all as dlm_controld sends it",
			in:   "node=2\nfail_time=1764643200\n",
			want: Request{NodeID: 2, FailTime: time.Unix(1764643200, 0), Action: "off", Args: map[string]string{"node": "2", "fail_time": "1764643200"}},
		},
		{
			name: "device and connect arguments, the connect line's win",
			in:   "config=/etc/osr/other.conf\nport=1\nport=7\nnode=3\nfail_time=5\n",
			want: Request{NodeID: 3, FailTime: time.Unix(5, 0), Action: "off", Config: "/etc/osr/other.conf",
				Args: map[string]string{"config": "/etc/osr/other.conf", "port": "7", "node": "3", "fail_time": "5"}},
		},
		{
			name: "unfencing asks for on",
			in:   "action=on\nnode=1\n",
			want: Request{NodeID: 1, Action: "on", Args: map[string]string{"action": "on", "node": "1"}},
		},
		{
			name: "blank and comment lines, no fail_time",
			in:   "\n# by hand\n  node = 4 \n\n",
			want: Request{NodeID: 4, Action: "off", Args: map[string]string{"node": "4"}},
		},
		{name: "no node", in: "fail_time=5\n", wantErr: "no node=NODEID line"},
		{name: "node not a number", in: "node=node2\n", wantErr: `node="node2": want a positive node id`},
		{name: "node zero", in: "node=0\n", wantErr: "want a positive node id"},
		{name: "not key=value", in: "node=1\nreboot\n", wantErr: `line 2: "reboot" is not key=value`},
		{name: "bad fail_time", in: "node=1\nfail_time=yesterday\n", wantErr: `fail_time="yesterday"`},
		{name: "empty", in: "", wantErr: "no node=NODEID line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRequest(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v; want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	c := load(t, "two-node.conf")
	type dev struct {
		Name, Agent string
		Kind        Kind
		Port        string
	}
	tests := []struct {
		id          int
		wantVictim  Victim
		wantMethods map[string][]dev
		wantOrder   []string
	}{
		{1, Victim{1, "node1"}, map[string][]dev{
			"power": {{"bmc1", "fence_ipmilan", KindIPMI, ""}},
			"admin": {{"human", "fence_manual", KindManual, ""}},
		}, []string{"power", "admin"}},
		{2, Victim{2, "node2"}, map[string][]dev{
			"pdu":   {{"pdu-a", "fence_osr_ssh", KindSSH, "7"}, {"pdu-b", "fence_osr_ssh", KindSSH, "7"}},
			"admin": {{"human", "fence_manual", KindManual, ""}},
		}, []string{"pdu", "admin"}},
	}
	for _, tc := range tests {
		v, ms, err := Plan(c, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if v != tc.wantVictim {
			t.Errorf("victim %d = %+v", tc.id, v)
		}
		var order []string
		got := map[string][]dev{}
		for _, m := range ms {
			order = append(order, m.Name)
			for _, d := range m.Devices {
				port, _ := d.Param("port")
				got[m.Name] = append(got[m.Name], dev{d.Name, d.Agent, d.Kind, port})
			}
		}
		if diff := cmp.Diff(tc.wantOrder, order); diff != "" {
			t.Errorf("node %d method order (-want +got):\n%s", tc.id, diff)
		}
		if diff := cmp.Diff(tc.wantMethods, got); diff != "" {
			t.Errorf("node %d methods (-want +got):\n%s", tc.id, diff)
		}
	}

	// The node's parameters are laid over the device's, {port} and {node} filled in.
	_, ms, _ := Plan(c, 2)
	a, b := ms[0].Devices[0].ssh, ms[0].Devices[1].ssh
	if a.command != "off 7" || a.statusCommand != "status 7" || a.addr != "10.9.0.10:22" || a.user != "root" || a.knownHosts != KnownHostsPath {
		t.Errorf("pdu-a = %+v", *a)
	}
	if b.command != "olOff 7" || b.addr != "10.9.0.11:2222" || b.user != "apc" || b.password != "pdu-s3cret" {
		t.Errorf("pdu-b = %+v", *b)
	}
	if w := ms[1].Devices[0].manual.wait; w != 5*time.Second {
		t.Errorf("manual wait of node2 = %s, want the node's timeout=5", w)
	}
	_, ms, _ = Plan(c, 1)
	ip := ms[0].Devices[0].ipmi
	if ip.addr != "10.9.0.1:623" || !ip.lanplus || ip.privilege != "administrator" || ip.reboot || ip.powerTimeout != 20*time.Second {
		t.Errorf("bmc1 = %+v", *ip)
	}
	if got := ms[0].Devices[0].Secrets(); !cmp.Equal(got, []string{"ipmi-s3cret"}) {
		t.Errorf("secrets = %q", got)
	}
	if w := ms[1].Devices[0].manual.wait; w != DefaultManualWait {
		t.Errorf("manual wait of node1 = %s, want the default", w)
	}

	if _, _, err := Plan(c, 9); err == nil || !strings.Contains(err.Error(), "no node has id 9") {
		t.Errorf("Plan(9) = %v", err)
	}
	if v, _, err := PlanByName(c, "node2"); err != nil || v.ID != 2 {
		t.Errorf("PlanByName(node2) = %+v, %v", v, err)
	}
	if v, _, err := PlanByName(c, "1"); err != nil || v.Name != "node1" {
		t.Errorf("PlanByName(1) = %+v, %v", v, err)
	}
	if _, _, err := PlanByName(c, "node7"); err == nil || !strings.Contains(err.Error(), "the nodes are node1, node2") {
		t.Errorf("PlanByName(node7) = %v", err)
	}
}

// Validate reports every problem with its file and line.
func TestValidateReportsEveryProblem(t *testing.T) {
	err := Validate(load(t, "bad.hcl"))
	if err == nil {
		t.Fatal("Validate accepted bad.hcl")
	}
	for _, want := range []string{
		`testdata/bad.hcl:5: node "node1", fence method "1" names device "nosuch", which is not among the fence devices (bmc, pdu, old)`,
		`testdata/bad.hcl:9: node "node1", fence device "bmc" (fence_ipmilan, defined at testdata/bad.hcl:33): ipaddr is required`,
		`testdata/bad.hcl:9: node "node1", fence device "bmc" (fence_ipmilan, defined at testdata/bad.hcl:33): unknown parameter pasword; fence_ipmilan takes`,
		`testdata/bad.hcl:17: node "node2" has no fence method`,
		`testdata/bad.hcl:24: node "node3", fence device "pdu" (fence_osr_ssh, defined at testdata/bad.hcl:40): give identity_file (a private key) or passwd to log in`,
		`command uses {port} but neither the device nor the node gives port=`,
		`testdata/bad.hcl:48: fence device "old" has agent "fence_apc", which osr does not carry out; use one of fence_ack_manual, fence_idrac,`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestValidateParameters(t *testing.T) {
	base := func(agent string, dev, ref []cluster.Attr) *cluster.Cluster {
		return &cluster.Cluster{
			Nodes:        []*cluster.Node{{ID: 1, Name: "n1", Fence: []cluster.FenceMethod{{Name: "1", Devices: []cluster.FenceDeviceRef{{Name: "d", Attrs: ref}}}}}},
			FenceDevices: []cluster.FenceDevice{{Name: "d", Agent: agent, Attrs: dev}},
		}
	}
	a := func(kv ...string) []cluster.Attr {
		var out []cluster.Attr
		for i := 0; i < len(kv); i += 2 {
			out = append(out, cluster.Attr{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name    string
		c       *cluster.Cluster
		wantErr string
	}{
		{"ipmi minimal", base("fence_ipmilan", a("ipaddr", "bmc.example"), nil), ""},
		{"ipmi all", base("fence_idrac", a("ip", "fd00::1", "ipport", "6230", "username", "u", "password", "p", "lanplus", "0",
			"cipher", "17", "privlvl", "OPERATOR", "action", "reboot", "power_timeout", "30", "timeout", "2.5", "delay", "5"), nil), ""},
		{"ipmi bad port", base("fence_ipmilan", a("ipaddr", "b", "ipport", "70000"), nil), `ipport="70000": want a port number`},
		{"ipmi bad lanplus", base("fence_ipmilan", a("ipaddr", "b", "lanplus", "maybe"), nil), `lanplus="maybe": want 1 or 0`},
		{"ipmi bad privlvl", base("fence_ipmilan", a("ipaddr", "b", "privlvl", "root"), nil), `privlvl="root"`},
		{"ipmi bad action", base("fence_ipmilan", a("ipaddr", "b"), a("action", "on")), `action="on": this device can do off or reboot`},
		{"ipmi both passwords", base("fence_ipmilan", a("ipaddr", "b", "passwd", "x", "passwd_script", "/bin/pw"), nil), "not both"},
		{"ipmi relative script", base("fence_ipmilan", a("ipaddr", "b", "passwd_script", "pw.sh"), nil), "want an absolute path"},
		{"ipmi bad delay", base("fence_ipmilan", a("ipaddr", "b", "delay", "soon"), nil), `delay="soon": want a number of seconds`},
		{"ssh relative key", base("fence_osr_ssh", a("ipaddr", "h", "identity_file", "id", "command", "off"), nil), `identity_file="id": want an absolute path`},
		{"ssh no command", base("fence_osr_ssh", a("ipaddr", "h", "passwd", "x"), nil), "command is required"},
		{"ssh status uses port", base("fence_osr_ssh", a("ipaddr", "h", "passwd", "x", "command", "off", "status_command", "st {port}"), nil), "status_command uses {port}"},
		{"ssh reboot refused", base("fence_osr_ssh", a("ipaddr", "h", "passwd", "x", "command", "off"), a("action", "reboot")), "this device can do off"},
		{"manual with nodename", base("fence_manual", nil, a("nodename", "n1", "timeout", "120")), ""},
		{"manual unknown", base("fence_ack_manual", nil, a("ipaddr", "x")), "unknown parameter ipaddr"},
		{"method without devices", &cluster.Cluster{Nodes: []*cluster.Node{{ID: 1, Name: "n1", Fence: []cluster.FenceMethod{{Name: "1"}}}}}, `fence method "1" names no device`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.c)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate = %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate = %v; want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestDLMConf(t *testing.T) {
	got, err := DLMConf(load(t, "two-node.conf"), "/usr/sbin/fence_osr")
	if err != nil {
		t.Fatal(err)
	}
	want := "# a failed node is fenced by osr's agent, which runs the node's fence methods from /etc/osr/cluster.conf\nfence_all /usr/sbin/fence_osr\n"
	if got != want {
		t.Errorf("DLMConf =\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(got, "s3cret") {
		t.Error("dlm.conf carries a password")
	}

	// A node without a method: refused, never silently unfenced.
	bad := load(t, "two-node.conf")
	bad.Nodes[1].Fence = nil
	if _, err := DLMConf(bad, "/usr/sbin/fence_osr"); err == nil || !strings.Contains(err.Error(), `node "node2" has no fence method`) {
		t.Errorf("DLMConf without node2's methods = %v", err)
	}
	if _, err := DLMConf(load(t, "two-node.conf"), "fence_osr"); err == nil {
		t.Error("a relative agent path was accepted")
	}
	if _, err := DLMConf(&cluster.Cluster{Name: "empty"}, "/usr/sbin/fence_osr"); err == nil {
		t.Error("a cluster without nodes was accepted")
	}
}

func TestDLMConfDisabledOnlyByTheConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name, text, want, wantErr string
	}{
		{"cluster.conf", `<cluster name="t"><dlm enable_fencing="0"/><clusternodes><clusternode name="a" nodeid="1"/></clusternodes></cluster>`,
			"enable_fencing=0\n", ""},
		{"hcl", "cluster \"t\" {\n  extra \"dlm\" {\n    attributes = {\n      enable_fencing = \"0\"\n    }\n  }\n  node \"a\" {\n    id = 1\n  }\n}\n",
			"enable_fencing=0\n", ""},
		{"enabled explicitly, no methods", `<cluster name="t"><dlm enable_fencing="1"/><clusternodes><clusternode name="a" nodeid="1"/></clusternodes></cluster>`,
			"", `node "a" has no fence method`},
		{"garbage", `<cluster name="t"><dlm enable_fencing="no"/><clusternodes><clusternode name="a" nodeid="1"/></clusternodes></cluster>`,
			"", `t.conf:1: <dlm enable_fencing="no">: want 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := cluster.Parse("t.conf", []byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			got, err := DLMConf(c, "/usr/sbin/fence_osr")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("DLMConf = %q, %v; want error %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(got, tc.want) || !strings.Contains(got, "fencing is disabled by <dlm enable_fencing=\"0\"> at t.conf") {
				t.Errorf("DLMConf = %q", got)
			}
		})
	}
}

func TestFiles(t *testing.T) {
	got, err := Files(load(t, "two-node.conf"))
	if err != nil {
		t.Fatal(err)
	}
	// pdu-a names a key and relies on the default known_hosts; pdu-b logs in by password.
	if want := []string{KnownHostsPath, "/etc/osr/pdu_id"}; !cmp.Equal(got, want) {
		t.Errorf("Files = %q, want %q", got, want)
	}
	c := load(t, "two-node.conf")
	for i, a := range c.FenceDevices[0].Attrs {
		if a.Name == "passwd" {
			c.FenceDevices[0].Attrs[i] = cluster.Attr{Name: "passwd_script", Value: "/usr/local/sbin/ipmi-pw"}
		}
	}
	if got, err := Files(c); err != nil || !cmp.Equal(got, []string{KnownHostsPath, "/etc/osr/pdu_id", "/usr/local/sbin/ipmi-pw"}) {
		t.Errorf("Files with a passwd_script = %q, %v", got, err)
	}
	c.FenceDevices[0].Attrs = c.FenceDevices[0].Attrs[1:] // ipaddr dropped: invalid
	if _, err := Files(c); err == nil {
		t.Error("Files accepted an invalid fence configuration")
	}
	off, err := cluster.Parse("t.conf", []byte(`<cluster name="t"><dlm enable_fencing="0"/><clusternodes><clusternode name="a" nodeid="1"/></clusternodes></cluster>`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Files(off); err != nil || len(got) != 0 {
		t.Errorf("Files with fencing disabled = %q, %v", got, err)
	}
}
