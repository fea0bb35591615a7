// SPDX-License-Identifier: Apache-2.0

// Package manifest is the record a build leaves inside an initrd for the init: the
// driver to start (with its hash and configuration), the kernel, the cluster
// configuration. The build writes it; the init reads it and trusts nothing else.
package manifest

import (
	"encoding/json"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/open-sharedroot/osr/framework/driver"
)

// Path is where the manifest lives inside an image.
const Path = "/etc/osr/manifest.json"

// FormatVersion is the version of the manifest's format.
const FormatVersion = 1

// Manifest is what the build tells the init: which driver to start (and its hash),
// with which configuration, for which kernel, with which cluster configuration. The
// init trusts nothing else: it never scans for drivers.
type Manifest struct {
	Version    int    `json:"manifest_version"`
	OSRVersion string `json:"osr_version"`
	Kernel     string `json:"kernel"`
	Created    int64  `json:"created"`
	Driver     Driver `json:"driver"`
	// Cluster is the image path of the embedded cluster configuration, "" when none.
	Cluster string `json:"cluster,omitempty"`
	// FSType is the root filesystem type the image was built for.
	FSType string `json:"fstype"`
	// Modules are the modules the driver asked for (names as the index knows them),
	// loaded by the init before the mount; hardware modules are found at boot.
	Modules []string `json:"modules"`
	// OptionalModules are the modules the driver marked optional: the init
	// loads them after Modules, and one that fails is a warning, not a failed
	// boot.
	OptionalModules []string `json:"optional_modules,omitempty"`
	// Listfiles are the listfiles the image was built from.
	Listfiles []string `json:"listfiles,omitempty"`
	// Cmdline holds default kernel parameters for the init (osr.hcl's
	// initrd { cmdline }); the kernel command line follows them, so its
	// parameters win.
	Cmdline string `json:"cmdline,omitempty"`
	// ClusterStack is the image path of the cluster stack's chroot tree (corosync
	// and dlm_controld, started before the mount), "" when the root needs none.
	ClusterStack string `json:"cluster_stack,omitempty"`
}

// Driver describes the driver in the image.
type Driver struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Path     string `json:"path,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Protocol int    `json:"protocol"`
	// BuiltIn says the driver is built into the image's /init (osr-init), which
	// calls it in its own process; Path and SHA256 are then empty. Otherwise
	// Path is the driver program in the image and SHA256 its digest.
	BuiltIn bool `json:"built_in,omitempty"`
	// ConfigType and Config are the decoded driver block as cty JSON (type and
	// value), so the init can hand it to the driver without the HCL.
	ConfigType json.RawMessage `json:"config_type"`
	Config     json.RawMessage `json:"config"`
}

// EncodeConfig stores a driver configuration in the manifest.
func (d *Driver) EncodeConfig(cfg driver.Config) error {
	v := cfg.Value
	if v == cty.NilVal {
		v = cty.EmptyObjectVal
	}
	t, err := ctyjson.MarshalType(v.Type())
	if err != nil {
		return fmt.Errorf("encode driver config type: %w", err)
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return fmt.Errorf("encode driver config: %w", err)
	}
	d.ConfigType, d.Config = t, b
	return nil
}

// DecodeConfig returns the driver configuration stored in the manifest.
func (d *Driver) DecodeConfig() (driver.Config, error) {
	t, err := ctyjson.UnmarshalType(d.ConfigType)
	if err != nil {
		return driver.Config{}, fmt.Errorf("manifest: driver config type: %w", err)
	}
	v, err := ctyjson.Unmarshal(d.Config, t)
	if err != nil {
		return driver.Config{}, fmt.Errorf("manifest: driver config: %w", err)
	}
	return driver.Config{Value: v}, nil
}

// Parse reads a manifest written by a build.
func Parse(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.Version != FormatVersion {
		return nil, fmt.Errorf("manifest: format version %d, this osr reads version %d; rebuild the image with this osr", m.Version, FormatVersion)
	}
	return &m, nil
}

// Marshal renders the manifest, indented for people reading it with osr inspect.
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return append(b, '\n'), nil
}
