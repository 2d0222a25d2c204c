// Package net_test runs group members as separate processes on loopback
// and checks what they see: peer.c is a member driven line by line over
// the C API of build/libp2p.so, attacker/ a program that speaks the wire
// protocol itself. Each peer has its own data directory (P2P_HOME),
// listens on 127.0.0.1 only (P2P_LISTEN) and has LAN discovery and the
// DHT off (P2P_DISCOVERY=0, P2P_DHT=0) unless a test turns the DHT on
// with a private swarm of its own. `make build` must have run first; P2P_BUILD_DIR
// points the tests at another build directory.
package net_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// HRESULTs the tests expect (p2p.h).
const (
	hrInvalidArg         = 0x80070057
	hrFail               = 0x80004005
	hrConnectionNotFound = 0x80630103
	hrRecordNotFound     = 0x80630301
	hrNotAuthorized      = 0x80632020
	hrInvalidGroup       = 0x80632093
)

// maxData is wire.MaxData, the largest PeerGroupSendData message.
const maxData = 1 << 20

// tools are the programs the tests run, built once per test binary.
var tools struct {
	dir      string // temporary directory holding them
	once     sync.Once
	peer     string
	err      error
	attOnce  sync.Once
	attacker string
	attErr   error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "p2p-net-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tools.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the module root: the tests run in tests/net.
func repoRoot(t *testing.T) string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// buildDir holds libp2p.so and p2p.h.
func buildDir(t *testing.T) string {
	if d := os.Getenv("P2P_BUILD_DIR"); d != "" {
		return d
	}
	return filepath.Join(repoRoot(t), "build")
}

// peerBinary compiles peer/peer.c against the built library, once.
func peerBinary(t *testing.T) string {
	t.Helper()
	tools.once.Do(func() {
		lib := buildDir(t)
		if _, err := os.Stat(filepath.Join(lib, "libp2p.so")); err != nil {
			tools.err = fmt.Errorf("%s/libp2p.so is missing: run make build first", lib)
			return
		}
		out := filepath.Join(tools.dir, "peer")
		cmd := exec.Command("gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread",
			"-I", lib, filepath.Join("peer", "peer.c"), "-o", out, "-L", lib, "-lp2p", "-Wl,-rpath,"+lib)
		if b, err := cmd.CombinedOutput(); err != nil {
			tools.err = fmt.Errorf("compile peer.c: %v\n%s", err, b)
			return
		}
		tools.peer = out
	})
	if tools.err != nil {
		t.Fatal(tools.err)
	}
	return tools.peer
}

// attackerBinary builds ./attacker, once.
func attackerBinary(t *testing.T) string {
	t.Helper()
	tools.attOnce.Do(func() {
		out := filepath.Join(tools.dir, "attacker")
		cmd := exec.Command("go", "build", "-o", out, "./attacker")
		if b, err := cmd.CombinedOutput(); err != nil {
			tools.attErr = fmt.Errorf("build attacker: %v\n%s", err, b)
			return
		}
		tools.attacker = out
	})
	if tools.attErr != nil {
		t.Fatal(tools.attErr)
	}
	return tools.attacker
}

// ---- one peer process ----

// Peer is one running peer.c process.
type Peer struct {
	t        *testing.T
	Name     string
	Home     string
	Identity string // its identity peer name, after startup

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	log    string
	exited chan struct{}

	mu      sync.Mutex
	pending []chan reply
	dead    error
}

// reply is one answer line, or why none came.
type reply struct {
	line string
	err  error
}

// CmdError is an "err" answer: the HRESULT and the rest of the line.
type CmdError struct {
	HR   uint32
	Text string
}

func (e *CmdError) Error() string { return fmt.Sprintf("err 0x%08x %s", e.HR, e.Text) }

// hrOf returns the HRESULT of a failed command, 0 if err is not one.
func hrOf(err error) uint32 {
	var ce *CmdError
	if errors.As(err, &ce) {
		return ce.HR
	}
	return 0
}

// StartPeer starts peer.c with data directory home (made if needed).
// The process is stopped when the test ends.
func StartPeer(t *testing.T, name, home string) *Peer {
	t.Helper()
	return startPeerAt(t, name, home, "", "127.0.0.1:0")
}

// startPeerAt starts peer.c in network namespace netns (none: "")
// listening on listen, with its extra environment variables env.
func startPeerAt(t *testing.T, name, home, netns, listen string, env ...string) *Peer {
	t.Helper()
	bin := peerBinary(t)
	var cmd *exec.Cmd
	if netns != "" {
		cmd = exec.Command("ip", "netns", "exec", netns, bin)
	} else {
		cmd = exec.Command(bin)
	}
	cmd.Env = append(filteredEnv(), "P2P_HOME="+home, "P2P_LISTEN="+listen, "P2P_DISCOVERY=0", "P2P_LOG=info", "P2P_DHT=0")
	cmd.Env = append(cmd.Env, env...)
	return startCommand(t, name, home, cmd)
}

// startCommand starts cmd, a peer program (peer.c built for this system
// or for Windows under Wine), as the peer name with data directory home
// (made if needed); it is stopped when the test ends.
func startCommand(t *testing.T, name, home string, cmd *exec.Cmd) *Peer {
	t.Helper()
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	p := &Peer{t: t, Name: name, Home: home, exited: make(chan struct{}), cmd: cmd}
	p.log = filepath.Join(home, fmt.Sprintf("peer-%d.log", time.Now().UnixNano()))
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = logf
	p.stdin, err = p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	go p.readLoop(stdout)
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			p.dumpLog()
		}
	})
	return p
}

// filteredEnv is the test's environment without the variables a peer
// gets its own values of.
func filteredEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "P2P_HOME", "P2P_LISTEN", "P2P_DISCOVERY", "P2P_LOG", "P2P_RELAY", "P2P_RELAY_RATE", "P2P_PORTMAP", "P2P_DEGREE",
			"P2P_DHT", "P2P_DHT_BOOTSTRAP":
			continue
		}
		out = append(out, kv)
	}
	return out
}

func (p *Peer) readLoop(stdout io.Reader) {
	br := bufio.NewReaderSize(stdout, 1<<16)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			p.mu.Lock()
			p.dead = fmt.Errorf("peer %s exited", p.Name)
			for _, ch := range p.pending {
				ch <- reply{err: p.dead}
			}
			p.pending = nil
			p.mu.Unlock()
			p.cmd.Wait()
			close(p.exited)
			return
		}
		p.mu.Lock()
		if len(p.pending) > 0 {
			ch := p.pending[0]
			p.pending = p.pending[1:]
			ch <- reply{line: strings.TrimRight(line, "\r\n")}
		}
		p.mu.Unlock()
	}
}

// Send writes one command and returns where its answer will arrive.
// Answers come in command order.
func (p *Peer) Send(format string, args ...any) <-chan reply {
	line := fmt.Sprintf(format, args...)
	ch := make(chan reply, 1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead != nil {
		ch <- reply{err: p.dead}
		return ch
	}
	p.pending = append(p.pending, ch)
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.pending = p.pending[:len(p.pending)-1]
		ch <- reply{err: fmt.Errorf("peer %s: write %q: %w", p.Name, short(line), err)}
	}
	return ch
}

// Await waits for an answer from Send: the text after "ok", or a
// *CmdError for "err".
func (p *Peer) Await(ch <-chan reply, timeout time.Duration) (string, error) {
	select {
	case r := <-ch:
		if r.err != nil {
			return "", r.err
		}
		return parseReply(r.line)
	case <-time.After(timeout):
		return "", fmt.Errorf("peer %s: no answer within %v", p.Name, timeout)
	}
}

func parseReply(line string) (string, error) {
	switch {
	case line == "ok":
		return "", nil
	case strings.HasPrefix(line, "ok "):
		return line[3:], nil
	case strings.HasPrefix(line, "err 0x") && len(line) >= 14:
		hr, err := strconv.ParseUint(line[6:14], 16, 32)
		if err == nil {
			return "", &CmdError{HR: uint32(hr), Text: strings.TrimSpace(line[14:])}
		}
	}
	return "", fmt.Errorf("malformed answer %q", short(line))
}

// Do runs one command and waits up to timeout for its answer.
func (p *Peer) Do(timeout time.Duration, format string, args ...any) (string, error) {
	return p.Await(p.Send(format, args...), timeout)
}

// OK runs one command that must succeed within a minute.
func (p *Peer) OK(format string, args ...any) string {
	p.t.Helper()
	return p.OKWithin(time.Minute, format, args...)
}

// OKWithin runs one command that must succeed within timeout.
func (p *Peer) OKWithin(timeout time.Duration, format string, args ...any) string {
	p.t.Helper()
	start := time.Now()
	out, err := p.Do(timeout, format, args...)
	cmd := short(fmt.Sprintf(format, args...))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.Name, cmd, err)
	}
	p.t.Logf("%s: %s -> %s (%v)", p.Name, cmd, short(out), time.Since(start).Round(time.Millisecond))
	return out
}

// Fails runs one command that must fail with HRESULT hr.
func (p *Peer) Fails(hr uint32, format string, args ...any) {
	p.t.Helper()
	_, err := p.Do(time.Minute, format, args...)
	if got := hrOf(err); got != hr {
		p.t.Fatalf("%s: %s: got %v, want HRESULT 0x%08x", p.Name, short(fmt.Sprintf(format, args...)), err, hr)
	}
}

// Kill ends the process with SIGKILL and waits for it.
func (p *Peer) Kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Stop asks the peer to quit, killing it after a few seconds.
func (p *Peer) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.Send("quit")
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.Kill()
	}
}

// Exited reports whether the process has ended.
func (p *Peer) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// RSS is the process's resident set size in bytes.
func (p *Peer) RSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (p *Peer) dumpLog() {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	p.t.Logf("--- last log lines of %s ---\n%s", p.Name, strings.Join(lines, "\n"))
}

func short(s string) string {
	if len(s) > 160 {
		return s[:160] + "..."
	}
	return s
}

// field returns the value of key=value in an answer.
func field(t *testing.T, out, key string) int64 {
	t.Helper()
	for _, f := range strings.Fields(out) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			n, err := strconv.ParseInt(v, 0, 64)
			if err != nil {
				t.Fatalf("%s in %q: %v", key, out, err)
			}
			return n
		}
	}
	t.Fatalf("no %s= in %q", key, out)
	return 0
}

// ---- groups of peers ----

// Group is a started group: its creator first, then the joiners.
type Group struct {
	Name    string
	Members []*Peer
}

// Creator is the member that created the group.
func (g *Group) Creator() *Peer { return g.Members[0] }

// startPeers starts n peers with data directories under dir, and runs
// "startup" on each.
func startPeers(t *testing.T, dir string, names ...string) []*Peer {
	t.Helper()
	peers := make([]*Peer, len(names))
	chans := make([]<-chan reply, len(names))
	for i, n := range names {
		peers[i] = StartPeer(t, n, filepath.Join(dir, n))
		chans[i] = peers[i].Send("startup %s", n)
	}
	for i, p := range peers {
		out, err := p.Await(chans[i], time.Minute)
		if err != nil {
			t.Fatalf("%s: startup: %v", p.Name, err)
		}
		p.Identity = out
	}
	return peers
}

// newGroup starts a creator and joiners, creates a group, takes it
// online, invites and joins every joiner and waits until all are ready.
func newGroup(t *testing.T, friendly string, joiners int) *Group {
	t.Helper()
	names := []string{"creator"}
	for i := 1; i <= joiners; i++ {
		names = append(names, fmt.Sprintf("joiner%d", i))
	}
	peers := startPeers(t, t.TempDir(), names...)
	g := &Group{Members: peers}
	c := peers[0]
	g.Name = c.OK("create %s", friendly)
	c.OK("connect")
	invite(t, c, peers[1:]...)
	for _, p := range peers[1:] {
		p.Send("connect")
	}
	waitAll(t, peers[1:], 60*time.Second, "wait-ready 45")
	return g
}

// invite has inviter invite each joiner, which joins (offline).
func invite(t *testing.T, inviter *Peer, joiners ...*Peer) {
	t.Helper()
	for _, p := range joiners {
		xml := p.OK("identity-xml")
		inv := inviter.OK("invite %s", xml)
		p.OK("join %s", inv)
	}
}

// waitAll runs one command on every peer at once; all must succeed.
func waitAll(t *testing.T, peers []*Peer, timeout time.Duration, format string, args ...any) []string {
	t.Helper()
	chans := make([]<-chan reply, len(peers))
	for i, p := range peers {
		chans[i] = p.Send(format, args...)
	}
	outs := make([]string, len(peers))
	var errs []string
	for i, p := range peers {
		out, err := p.Await(chans[i], timeout)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", p.Name, err))
		}
		outs[i] = out
	}
	if len(errs) > 0 {
		t.Fatalf("%s: %s", short(fmt.Sprintf(format, args...)), strings.Join(errs, "; "))
	}
	return outs
}

// converge waits until every peer holds want live test records and then
// requires one digest for all; it returns that digest.
func converge(t *testing.T, peers []*Peer, want int, timeout time.Duration) string {
	t.Helper()
	start := time.Now()
	secs := int(timeout / time.Second)
	waitAll(t, peers, timeout+30*time.Second, "wait-count %d %d", want, secs)
	digests := waitAll(t, peers, time.Minute, "digest")
	first := strings.Fields(digests[0])[0]
	for i, d := range digests {
		if strings.Fields(d)[0] != first {
			t.Fatalf("%s's digest %s differs from %s's %s (both hold %d records)",
				peers[i].Name, d, peers[0].Name, digests[0], want)
		}
	}
	t.Logf("%d peers converged on %d records in %v: %s", len(peers), want, time.Since(start).Round(time.Millisecond), first[:16])
	return first
}
