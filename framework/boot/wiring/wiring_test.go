// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/manifest"
)

// imageFiles writes a manifest (and the cluster configuration it names, when
// conf is not empty) into a fresh directory and returns the manifest's path.
func imageFiles(t *testing.T, conf string, edit ...func(*manifest.Manifest)) string {
	t.Helper()
	dir := t.TempDir()
	m := testManifest(t)
	for _, e := range edit {
		e(m)
	}
	if conf != "" {
		m.Cluster = filepath.Join(dir, "cluster.conf")
		write(t, dir, "cluster.conf", conf)
	}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "manifest.json", string(data))
	return filepath.Join(dir, "manifest.json")
}

func TestImage(t *testing.T) {
	path := imageFiles(t, threeNodes)
	cfg := Image(Options{Args: []string{"single"}, Log: bootlog.New(nil), Manifest: path, ModulesRoot: "/nonexistent/modules"})
	if cfg.Args[0] != "single" || cfg.Log == nil || cfg.Reaper == nil || cfg.CDSL == nil {
		t.Errorf("config %+v", cfg)
	}
	ns, ok := cfg.Nodes.(nodes)
	if !ok || ns.c == nil {
		t.Fatalf("Nodes = %#v; want the cluster's", cfg.Nodes)
	}
	rm, ok := cfg.Root.(*rootMounter)
	if !ok {
		t.Fatalf("Root = %T", cfg.Root)
	}
	// The cluster configuration is read once: node lookup and mount share it.
	if rm.cluster != ns.c {
		t.Error("the root mount has its own copy of the cluster configuration")
	}
	if n, err := cfg.Nodes.NodeByID(2); err != nil || n.Name != "n2" {
		t.Errorf("NodeByID(2) = %+v, %v", n, err)
	}
	ml, ok := cfg.Modules.(*moduleLoader)
	if !ok || ml.dir != "/nonexistent/modules/6.1.0-test" {
		t.Errorf("Modules = %#v", cfg.Modules)
	}
	if _, err := cfg.Modules.LoadHardware(context.Background(), t.TempDir()); err == nil || !strings.Contains(err.Error(), "/nonexistent/modules/6.1.0-test") {
		t.Errorf("LoadHardware without a module index: error = %v; want one naming the dir", err)
	}
	if strings.Join(cfg.DriverModules, " ") != "" {
		t.Errorf("DriverModules = %v", cfg.DriverModules)
	}
}

// An image with a cluster stack starts it from the same cluster
// configuration the node lookup and the mount use.
func TestImageClusterStack(t *testing.T) {
	path := imageFiles(t, threeNodes, func(m *manifest.Manifest) { m.ClusterStack = "/etc/osr/clusterstack" })
	cfg := Image(Options{Log: bootlog.New(nil), Manifest: path})
	st, ok := cfg.Cluster.(*clusterstack.Stack)
	if !ok {
		t.Fatalf("Cluster = %#v; want the cluster stack", cfg.Cluster)
	}
	if st.Cluster != cfg.Nodes.(nodes).c || st.Image != "/etc/osr/clusterstack" || st.Runner != cfg.Reaper {
		t.Errorf("stack %+v", st)
	}
	if cfg := Image(Options{Log: bootlog.New(nil), Manifest: imageFiles(t, threeNodes)}); cfg.Cluster != nil {
		t.Errorf("an image without a stack got %#v", cfg.Cluster)
	}
}

func TestImageWithoutCluster(t *testing.T) {
	cfg := Image(Options{Log: bootlog.New(nil), Manifest: imageFiles(t, "")})
	if cfg.Nodes != nil {
		t.Errorf("Nodes = %#v; want none (the node is what the command line says)", cfg.Nodes)
	}
	if rm, ok := cfg.Root.(*rootMounter); !ok || rm.cluster != nil || rm.err != nil {
		t.Errorf("Root = %#v", cfg.Root)
	}
}

func TestImageBrokenCluster(t *testing.T) {
	log := bootlog.New(nil)
	cfg := Image(Options{Log: log, Manifest: imageFiles(t, "<cluster name=\"sr\"><clusternodes>\n")})
	if cfg.Nodes == nil {
		t.Fatal("a broken cluster configuration was taken as none")
	}
	_, err := cfg.Nodes.NodeByID(1)
	if err == nil || !strings.Contains(err.Error(), "cluster.conf") {
		t.Errorf("NodeByID: error = %v; want the file named", err)
	}
	if es := log.Entries(); len(es) != 1 || es[0].Level != bootlog.Error {
		t.Errorf("boot log %v; want the error once", es)
	}
}

func TestImageWithoutManifest(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "manifest.json")
	cfg := Image(Options{Log: bootlog.New(nil), Manifest: missing})
	if cfg.Modules != nil || cfg.Nodes != nil || cfg.Root == nil || cfg.CDSL == nil {
		t.Errorf("config %+v", cfg)
	}
	err := cfg.Root.MountRoot(context.Background(), boot.MountSpec{})
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "osr build") {
		t.Errorf("MountRoot: error = %v; want the manifest named and advice", err)
	}
	if err := os.WriteFile(missing, []byte(`{"manifest_version": 99}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg = Image(Options{Log: bootlog.New(nil), Manifest: missing})
	if err := cfg.Root.MountRoot(context.Background(), boot.MountSpec{}); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("MountRoot: error = %v; want the version named", err)
	}
}
