// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// maxRequest bounds what the agent reads from its standard input; dlm_controld's
// argument buffer is 4 KiB.
const maxRequest = 64 << 10

// Request is what dlm_controld asks of the agent.
type Request struct {
	// NodeID is the victim's corosync node id (node=).
	NodeID int
	// FailTime is when dlm_controld saw the node fail (fail_time=, seconds since the
	// epoch); zero when not given.
	FailTime time.Time
	// Action is "off" unless action= says otherwise; dlm_controld sends action=on
	// only to unfence, which osr does not configure.
	Action string
	// Config names the cluster configuration to read instead of ClusterConfigPath (config=).
	Config string
	// Args holds every key as given, the last value of a repeated key.
	Args map[string]string
}

// ParseRequest reads the agent's standard input: key=value lines, blank lines and
// lines starting with '#' ignored. A key given twice keeps its last value (the connect
// line's arguments follow the device line's). node= is required.
func ParseRequest(r io.Reader) (Request, error) {
	req := Request{Action: "off", Args: map[string]string{}}
	sc := bufio.NewScanner(io.LimitReader(r, maxRequest))
	sc.Buffer(make([]byte, 4096), maxRequest)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return req, fmt.Errorf("standard input line %d: %q is not key=value", line, text)
		}
		req.Args[key] = strings.TrimSpace(value)
	}
	if err := sc.Err(); err != nil {
		return req, fmt.Errorf("read standard input: %w", err)
	}
	node, ok := req.Args["node"]
	if !ok {
		return req, fmt.Errorf("standard input has no node=NODEID line; dlm_controld always sends one")
	}
	id, err := strconv.Atoi(node)
	if err != nil || id <= 0 {
		return req, fmt.Errorf("node=%q: want a positive node id", node)
	}
	req.NodeID = id
	if v, ok := req.Args["fail_time"]; ok {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs < 0 {
			return req, fmt.Errorf("fail_time=%q: want seconds since the epoch", v)
		}
		if secs > 0 {
			req.FailTime = time.Unix(secs, 0)
		}
	}
	if v, ok := req.Args["action"]; ok && v != "" {
		req.Action = v
	}
	req.Config = req.Args["config"]
	return req, nil
}
