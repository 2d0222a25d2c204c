// Package harness runs the processes of a multi-process benchmark and
// reports its figures. A benchmark binary re-executes itself (or runs
// another program) as a child with a role; parent and child talk in lines
// over the child's stdin and stdout. It also holds the small statistics
// (min / median / max) and the summary lines bench/run.sh collects.
package harness

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RoleEnv names the environment variable that tells a re-executed
// benchmark binary which role to play.
const RoleEnv = "P2PBENCH_ROLE"

// Quick reports whether QUICK=1 asks for fewer runs and smaller sizes.
func Quick() bool { return os.Getenv("QUICK") == "1" }

// Proc is a child process driven over stdin/stdout lines.
type Proc struct {
	Name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	log   string // the child's stderr goes here

	mu   sync.Mutex
	done bool
}

// Spawn starts path with args and extra environment; the child's stderr
// goes to a log file in logDir, named after the process.
func Spawn(name, logDir, path string, args []string, env []string) (*Proc, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	logPath := filepath.Join(logDir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("child log: %w", err)
	}
	cmd.Stderr = logf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	logf.Close() // the child holds its own descriptor
	p := &Proc{Name: name, cmd: cmd, stdin: stdin, lines: make(chan string, 1024), log: logPath}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	return p, nil
}

// SpawnSelf re-executes the running binary with role.
func SpawnSelf(name, logDir, role string, env ...string) (*Proc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return Spawn(name, logDir, exe, []string{"-test.run=^$"}, append([]string{RoleEnv + "=" + role}, env...))
}

// Send writes one command line.
func (p *Proc) Send(format string, args ...any) error {
	_, err := fmt.Fprintf(p.stdin, format+"\n", args...)
	if err != nil {
		return fmt.Errorf("%s: send: %w", p.Name, err)
	}
	return nil
}

// Read returns the next line, or an error after timeout or if the child
// exited; an "err ..." line is an error too.
func (p *Proc) Read(timeout time.Duration) (string, error) {
	select {
	case l, ok := <-p.lines:
		if !ok {
			return "", fmt.Errorf("%s exited: %s", p.Name, p.tail())
		}
		if strings.HasPrefix(l, "err") {
			return "", fmt.Errorf("%s: %s", p.Name, l)
		}
		return l, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("%s: no answer in %v: %s", p.Name, timeout, p.tail())
	}
}

// Call sends a command and reads its answer line.
func (p *Proc) Call(timeout time.Duration, format string, args ...any) (string, error) {
	if err := p.Send(format, args...); err != nil {
		return "", err
	}
	return p.Read(timeout)
}

// Lines is the channel of the child's output lines, for callers that wait
// on several children at once.
func (p *Proc) Lines() <-chan string { return p.lines }

// tail is the end of the child's log, for error messages.
func (p *Proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return strings.TrimSpace(string(b))
}

// Close asks the child to quit, then kills it if it has not exited
// within a few seconds.
func (p *Proc) Close() {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return
	}
	p.done = true
	p.mu.Unlock()
	p.Send("quit")
	p.stdin.Close()
	exited := make(chan struct{})
	go func() { p.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-exited
	}
}

// Pid is the child's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Serve runs a child's command loop: each stdin line is split into
// fields and handed to handle, which answers on out. It returns at EOF
// or on "quit".
func Serve(handle func(out *Out, f []string) error) error {
	out := &Out{w: bufio.NewWriter(os.Stdout)}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if f[0] == "quit" {
			return nil
		}
		if err := handle(out, f); err != nil {
			out.Println("err %s: %v", f[0], err)
		}
	}
	return sc.Err()
}

// Out writes a child's answer lines; it is safe for concurrent use.
type Out struct {
	mu sync.Mutex
	w  *bufio.Writer
}

// Println writes one line and flushes it.
func (o *Out) Println(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, format+"\n", args...)
	o.w.Flush()
}

// Escape puts a string (XML with spaces and newlines) in one word of a
// line: base64.
func Escape(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// Unescape undoes Escape.
func Unescape(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err
}

// RSS is this process's resident set size in bytes, from /proc/self/status.
func RSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/self/status")
}

// Stats are min / median / max of a series of runs.
type Stats struct{ Min, Median, Max float64 }

// Summarize returns the min, median and max of xs (the lower middle for
// an even count).
func Summarize(xs []float64) Stats {
	if len(xs) == 0 {
		return Stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Stats{s[0], s[(len(s)-1)/2], s[len(s)-1]}
}

// Format prints the stats with a printf verb per value.
func (s Stats) Format(verb string) string {
	return fmt.Sprintf(verb+" / "+verb+" / "+verb, s.Min, s.Median, s.Max)
}

// Summary prints one row of the table bench/run.sh collects: the figure,
// ours, the anchor, the ratio and the target with whether it was met.
// Fields must not contain '|'.
func Summary(figure, ours, anchor, ratio, target string, met bool) {
	verdict := "MISSED"
	if met {
		verdict = "met"
	}
	if target == "" {
		target, verdict = "-", "-"
	}
	fmt.Printf("SUMMARY|%s|%s|%s|%s|%s|%s\n", figure, ours, anchor, ratio, target, verdict)
}

// WithTimeout is context.WithTimeout on the background context.
func WithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
