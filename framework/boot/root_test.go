// SPDX-License-Identifier: Apache-2.0

package boot

import (
	"testing"

	"github.com/open-sharedroot/osr/framework/boot/cmdline"
	"github.com/open-sharedroot/osr/framework/boot/netconf"
)

func TestDHCPRootPath(t *testing.T) {
	tests := []struct {
		rootPath, root        string
		wantSrc, wantFS, opts string
	}{
		{"10.0.0.1:/srv/root", "", "10.0.0.1:/srv/root", "nfs4", "vers=4.1"},
		{"nfs:10.0.0.1:/srv/root", "", "10.0.0.1:/srv/root", "nfs", "vers=4.1"},
		{"nfs4:10.0.0.1:/srv/root:vers=4.2,nolock", "", "10.0.0.1:/srv/root", "nfs4", "vers=4.2,nolock"},
		{"[fd00::1]:/srv/root", "", "[fd00::1]:/srv/root", "nfs4", "vers=4.1"},
		{"10.0.0.1:/srv/root", "10.0.0.9:/other", "10.0.0.9:/other", "nfs4", "vers=4.1"},
	}
	for _, tt := range tests {
		t.Run(tt.rootPath, func(t *testing.T) {
			s := &state{cfg: Config{Sysroot: "/sysroot"}, node: Node{Root: "10.0.0.2:/cfg", RootFS: "nfs4", MountOpts: "vers=4.1"}}
			s.params = cmdline.Params{Root: tt.root}
			s.net = netconf.Result{Configured: []netconf.Configured{{RootPath: tt.rootPath}}}
			spec := s.mountSpec()
			if spec.Source != tt.wantSrc || spec.FSType != tt.wantFS || spec.Options != tt.opts {
				t.Errorf("mountSpec = %q %q %q, want %q %q %q", spec.Source, spec.FSType, spec.Options, tt.wantSrc, tt.wantFS, tt.opts)
			}
		})
	}
}
