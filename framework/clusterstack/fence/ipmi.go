// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/bougou/go-ipmi/pkg/client"
	"github.com/bougou/go-ipmi/pkg/command/chassis"
	"github.com/bougou/go-ipmi/pkg/types"
)

// IPMIRunner powers the victim off through its BMC over the LAN (IPMI 2.0 RMCP+,
// "lanplus", unless the device says lanplus=0) and succeeds only when the chassis then
// reports power off. A chassis already off counts as fenced. With action=reboot it
// powers the node on again once off is confirmed; a failing power on is logged, the
// fencing still succeeded.
type IPMIRunner struct{}

// Fence powers the victim off.
func (IPMIRunner) Fence(ctx context.Context, job Job, d Device) error {
	cfg := d.ipmi
	if cfg == nil {
		return errors.New("device has no IPMI configuration")
	}
	password := cfg.password
	if cfg.passwdScript != "" {
		p, err := runPasswordScript(ctx, cfg.passwdScript)
		if err != nil {
			return err
		}
		job.Log.Secret(p)
		password = p
	}
	host, portText, err := net.SplitHostPort(cfg.addr)
	if err != nil {
		return fmt.Errorf("BMC address %q: %w", cfg.addr, err)
	}
	port, _ := strconv.Atoi(portText)
	c, err := client.NewClient(host, port, cfg.user, password)
	if err != nil {
		return fmt.Errorf("BMC %s: %w", cfg.addr, err)
	}
	c.WithInterface(client.InterfaceLanplus)
	if !cfg.lanplus {
		c.WithInterface(client.InterfaceLan)
	}
	c.WithTimeout(cfg.timeout).WithRetry(2)
	c.WithMaxPrivilegeLevel(privilegeLevel(cfg.privilege))
	if cfg.cipher >= 0 {
		c.WithCipherSuiteID(types.CipherSuiteID(cfg.cipher))
	}
	if err := c.Connect(ctx); err != nil {
		return fmt.Errorf("log in to BMC %s as %q: %w", cfg.addr, cfg.user, err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = c.Close(closeCtx)
	}()
	on, err := powerIsOn(ctx, c)
	if err != nil {
		return fmt.Errorf("BMC %s: chassis status: %w", cfg.addr, err)
	}
	if on {
		if _, err := c.ChassisControl(ctx, chassis.ChassisControlPowerDown); err != nil {
			return fmt.Errorf("BMC %s: power off: %w", cfg.addr, err)
		}
		job.Log.Printf("BMC %s: power off requested; waiting up to %s for the chassis to report off", cfg.addr, cfg.powerTimeout)
		if err := waitPowerOff(ctx, c, cfg.powerTimeout); err != nil {
			return fmt.Errorf("BMC %s: %w", cfg.addr, err)
		}
		job.Log.Printf("BMC %s: chassis power is off", cfg.addr)
	} else {
		job.Log.Printf("BMC %s: chassis power is already off", cfg.addr)
	}
	if cfg.reboot {
		if _, err := c.ChassisControl(ctx, chassis.ChassisControlPowerUp); err != nil {
			job.Log.Printf("BMC %s: power on after the fence failed: %v (the node is fenced; power it on by hand)", cfg.addr, err)
		} else {
			job.Log.Printf("BMC %s: power on requested (action=reboot)", cfg.addr)
		}
	}
	return nil
}

func privilegeLevel(name string) types.PrivilegeLevel {
	switch name {
	case "operator":
		return types.PrivilegeLevelOperator
	case "user":
		return types.PrivilegeLevelUser
	}
	return types.PrivilegeLevelAdministrator
}

func powerIsOn(ctx context.Context, c *client.Client) (bool, error) {
	st, err := c.GetChassisStatus(ctx)
	if err != nil {
		return false, err
	}
	return st.PowerIsOn, nil
}

func waitPowerOff(ctx context.Context, c *client.Client, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		on, err := powerIsOn(ctx, c)
		if err == nil && !on {
			return nil
		}
		last = err
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("power state unknown %s after power off: %w", timeout, last)
			}
			return fmt.Errorf("chassis power still on %s after power off", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// runPasswordScript runs a passwd_script and returns its first output line.
func runPasswordScript(ctx context.Context, script string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, script).Output()
	if err != nil {
		return "", fmt.Errorf("passwd_script %s: %w", script, err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		if sc.Scan() {
			line = sc.Text()
		}
	}
	if line == "" {
		return "", fmt.Errorf("passwd_script %s printed no password", script)
	}
	return line, nil
}
