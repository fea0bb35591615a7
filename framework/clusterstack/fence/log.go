// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Log writes the agent's lines, with a time stamp, and never the secrets it was told
// about: each is replaced by "***" wherever it appears.
type Log struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string
}

// NewLog returns a Log writing to w; nil discards.
func NewLog(w io.Writer) *Log {
	if w == nil {
		w = io.Discard
	}
	return &Log{w: w}
}

// Secret registers values that must never be written.
func (l *Log) Secret(values ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range values {
		if v != "" {
			l.secrets = append(l.secrets, v)
		}
	}
}

// Printf writes one line.
func (l *Log) Printf(format string, args ...any) { l.write(AgentName, format, args...) }

// Alertf writes one line an administrator must see: in the kernel log it has
// critical priority, so the console shows it even when booted with "quiet".
func (l *Log) Alertf(format string, args ...any) { l.write(alertTag, format, args...) }

// alertTag marks alert lines; kmsgWriter turns it into a priority.
const alertTag = AgentName + "[alert]"

func (l *Log) write(tag, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.secrets {
		msg = strings.ReplaceAll(msg, s, "***")
	}
	msg = strings.ReplaceAll(strings.TrimRight(msg, "\n"), "\n", " | ")
	fmt.Fprintf(l.w, "%s %s: %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), tag, msg)
}

// SystemLog opens where the agent logs when dlm_controld runs it: the kernel log
// (/dev/kmsg: the console and dmesg, where an administrator sees a manual fencing
// request) and the file logPath (created 0600, appended). What cannot be opened is
// left out; the returned closer closes what was opened.
func SystemLog(logPath string) io.WriteCloser { return systemLog("/dev/kmsg", logPath) }

func systemLog(kmsgPath, logPath string) io.WriteCloser {
	var sinks multiSink
	if f, err := os.OpenFile(kmsgPath, os.O_WRONLY, 0); err == nil {
		sinks = append(sinks, kmsgWriter{w: f})
	}
	if logPath != "" {
		if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err == nil {
			if f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
				sinks = append(sinks, f)
			}
		}
	}
	return sinks
}

type multiSink []io.WriteCloser

func (m multiSink) Write(p []byte) (int, error) {
	for _, w := range m {
		_, _ = w.Write(p) // a log sink that fails must not stop the fencing
	}
	return len(p), nil
}

func (m multiSink) Close() error {
	var first error
	for _, w := range m {
		if err := w.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// kmsgWriter writes each line as one kernel log record without the time stamp (the
// kernel adds its own): alert lines at critical priority, the others at notice.
type kmsgWriter struct{ w io.Writer }

func (k kmsgWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		prio := "<5>"
		if _, rest, ok := strings.Cut(line, " "); ok {
			switch {
			case strings.HasPrefix(rest, alertTag+":"):
				prio, line = "<2>", AgentName+strings.TrimPrefix(rest, alertTag)
			case strings.HasPrefix(rest, AgentName+":"):
				line = rest
			}
		}
		if len(line) > 900 {
			line = line[:900]
		}
		if _, err := k.w.Write([]byte(prio + line + "\n")); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (k kmsgWriter) Close() error {
	if c, ok := k.w.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
