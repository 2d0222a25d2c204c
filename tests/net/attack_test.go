package net_test

// The attack suite: every case runs the attacker program (attacker/)
// against live members, each a peer.c process, and asserts three things:
// the attack fails (with the documented refusal where there is one), the
// databases of the honest members are unchanged ("state": every live
// record, the member list and the group name, before == after, except
// honest traffic), and honest traffic keeps flowing (a member publishes a
// record after the attack and every other member receives it). Each case
// logs one line: "ATTACK | attack | outcome | HRESULT".

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// More HRESULTs the attack tests expect (p2p.h).
const (
	hrConnectionRefused = 0x8063010B
	hrInvalidTimePeriod = 0x80630705
)

// hrName names the HRESULTs the attack suite reports.
func hrName(hr uint32) string {
	names := map[uint32]string{
		hrNotAuthorized: "PEER_E_NOT_AUTHORIZED", hrInvalidGroup: "PEER_E_INVALID_GROUP",
		hrConnectionRefused: "PEER_E_CONNECTION_REFUSED", hrInvalidTimePeriod: "PEER_E_INVALID_TIME_PERIOD",
		hrRecordNotFound: "PEER_E_RECORD_NOT_FOUND", 0: "S_OK",
	}
	if n, ok := names[hr]; ok {
		return fmt.Sprintf("0x%08X %s", hr, n)
	}
	return fmt.Sprintf("0x%08X", hr)
}

// logAttack prints the one line of a case.
func logAttack(t *testing.T, attack, outcome, hr string) {
	t.Helper()
	t.Logf("ATTACK | %s | %s | HRESULT %s", attack, outcome, hr)
}

// ---- the attacker process ----

// attackerRun is one running attacker program; its stdout lines arrive
// as they are printed.
type attackerRun struct {
	t     *testing.T
	args  []string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan struct{}

	mu     sync.Mutex
	all    []string
	stderr strings.Builder
	err    error
}

// lockedWriter serialises writes to the run's stderr buffer.
type lockedWriter struct{ a *attackerRun }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.a.mu.Lock()
	defer w.a.mu.Unlock()
	return w.a.stderr.Write(p)
}

// startAttacker starts the attacker program; it is killed when the test
// ends if still running.
func startAttacker(t *testing.T, args ...string) *attackerRun {
	t.Helper()
	return startAttackerIn(t, "", args...)
}

// startAttackerIn is startAttacker in network namespace netns ("": none).
func startAttackerIn(t *testing.T, netns string, args ...string) *attackerRun {
	t.Helper()
	a := &attackerRun{t: t, args: args, lines: make(chan string, 4096), done: make(chan struct{})}
	if netns != "" {
		a.cmd = exec.Command("ip", append([]string{"netns", "exec", netns, attackerBinary(t)}, args...)...)
	} else {
		a.cmd = exec.Command(attackerBinary(t), args...)
	}
	// The flood's sockets are wrapped: quic-go cannot size their buffers.
	a.cmd.Env = append(os.Environ(), "QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING=true")
	a.cmd.Stderr = lockedWriter{a}
	var err error
	if a.stdin, err = a.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := a.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			a.mu.Lock()
			a.all = append(a.all, sc.Text())
			a.mu.Unlock()
			select {
			case a.lines <- sc.Text():
			default: // nobody is reading lines one by one
			}
		}
		err := a.cmd.Wait()
		a.mu.Lock()
		a.err = err
		a.mu.Unlock()
		close(a.lines)
		close(a.done)
	}()
	t.Cleanup(func() {
		select {
		case <-a.done:
		default:
			a.cmd.Process.Kill()
			<-a.done
		}
	})
	return a
}

// expect waits for a line starting with prefix and returns it.
func (a *attackerRun) expect(prefix string, timeout time.Duration) string {
	a.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-a.lines:
			if !ok {
				a.t.Fatalf("attacker %s ended before printing %q:\n%s", a.mode(), prefix, a.output())
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			a.t.Fatalf("attacker %s printed no %q within %v:\n%s", a.mode(), prefix, timeout, a.output())
		}
	}
}

// send writes one line to the attacker's stdin.
func (a *attackerRun) send(line string) {
	a.t.Helper()
	if _, err := io.WriteString(a.stdin, line+"\n"); err != nil {
		a.t.Fatalf("attacker %s: write stdin: %v", a.mode(), err)
	}
}

// finish waits for the program to end (closing its stdin first) and
// returns every line it printed; it must exit 0.
func (a *attackerRun) finish(timeout time.Duration) []string {
	a.t.Helper()
	a.stdin.Close()
	select {
	case <-a.done:
	case <-time.After(timeout):
		a.cmd.Process.Kill()
		<-a.done
		a.t.Fatalf("attacker %s did not finish within %v:\n%s", a.mode(), timeout, a.output())
	}
	a.t.Logf("attacker %s:\n%s", a.mode(), a.output())
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		a.t.Fatalf("attacker %s: %v", a.mode(), a.err)
	}
	return append([]string(nil), a.all...)
}

func (a *attackerRun) mode() string {
	for i, s := range a.args {
		if s == "-mode" && i+1 < len(a.args) {
			return a.args[i+1]
		}
	}
	return "?"
}

func (a *attackerRun) output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.all, "\n") + "\n" + a.stderr.String()
}

// runAttacker runs the attacker program to its end and returns its lines.
func runAttacker(t *testing.T, args ...string) []string {
	t.Helper()
	return startAttacker(t, args...).finish(2 * time.Minute)
}

// attemptResult is what the attacker printed for one connection attempt.
type attemptResult struct {
	result     string // "refused 0x... reason", "welcome ...", "closed ...", "error ..."
	after      string // "frames=0 records=0 streams=0"
	challenged string // password attempts: "yes" or "no"
	closed     string // frames before the Hello: "closed remote code=<n>" or "open"
}

// parseAttempts groups the attacker's output by attempt label.
func parseAttempts(t *testing.T, lines []string) map[string]attemptResult {
	t.Helper()
	out := make(map[string]attemptResult)
	label := ""
	for _, l := range lines {
		key, rest, _ := strings.Cut(l, " ")
		if key == "attempt" {
			label = rest
			out[label] = attemptResult{}
			continue
		}
		r := out[label]
		switch key {
		case "result":
			r.result = rest
		case "after":
			r.after = rest
		case "challenged":
			r.challenged = rest
		case "closed":
			r.closed = rest
		default:
			continue
		}
		out[label] = r
	}
	return out
}

// refusedHR returns the HRESULT of a "refused 0x..." result, or false.
func refusedHR(result string) (uint32, bool) {
	f := strings.Fields(result)
	if len(f) < 2 || f[0] != "refused" {
		return 0, false
	}
	hr, err := strconv.ParseUint(f[1], 0, 32)
	return uint32(hr), err == nil
}

// expectRefused checks that each attempt was refused with its HRESULT and
// that the member sent nothing after its refusal.
func expectRefused(t *testing.T, results map[string]attemptResult, want map[string]uint32) {
	t.Helper()
	for label, hr := range want {
		r, ok := results[label]
		if !ok {
			t.Errorf("attempt %s did not run", label)
			continue
		}
		got, ok := refusedHR(r.result)
		if !ok {
			t.Errorf("attempt %s: %s, want a refusal with 0x%08x", label, r.result, hr)
			continue
		}
		if got != hr {
			t.Errorf("attempt %s refused with 0x%08x, want 0x%08x", label, got, hr)
		}
		if r.after != "" && r.after != "frames=0 records=0 streams=0" {
			t.Errorf("attempt %s: after the refusal the member sent %s, want nothing", label, r.after)
		}
	}
}

// fieldsOf parses "key=value" words of the first line starting with
// prefix.
func fieldsOf(t *testing.T, lines []string, prefix string) map[string]string {
	t.Helper()
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, prefix+" "); ok {
			out := map[string]string{}
			for _, f := range strings.Fields(rest) {
				if k, v, ok := strings.Cut(f, "="); ok {
					out[k] = v
				}
			}
			return out
		}
	}
	t.Fatalf("the attacker printed no %q line: %q", prefix, lines)
	return nil
}

// hasLine reports whether the attacker printed exactly line.
func hasLine(lines []string, line string) bool {
	for _, l := range lines {
		if l == line {
			return true
		}
	}
	return false
}

// memberAddress is the first address peer p announces (host:port).
func memberAddress(t *testing.T, p *Peer) string {
	t.Helper()
	addrs := strings.Fields(p.OK("addr"))
	if len(addrs) == 0 {
		t.Fatalf("%s announces no address", p.Name)
	}
	return addrs[0]
}

// attackerIdentity makes the attacker's identity in home and returns its
// peer name and identity XML (escaped for peer.c).
func attackerIdentity(t *testing.T, home string) (name, xml string) {
	t.Helper()
	for _, l := range runAttacker(t, "-home", home, "-mode", "identity") {
		if f := strings.SplitN(l, " ", 3); len(f) == 3 && f[0] == "identity" {
			return f[1], f[2]
		}
	}
	t.Fatal("attacker printed no identity")
	return "", ""
}

// writeInvitation stores an invitation from peer.c (escaped) as XML.
func writeInvitation(t *testing.T, escaped string) string {
	t.Helper()
	xml := strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r").Replace(escaped)
	f, err := os.CreateTemp(t.TempDir(), "invitation-*.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(xml); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// ---- the databases of the honest members ----

// guard holds the state of the honest members before an attack.
type guard struct {
	peers  []*Peer
	from   *Peer // publishes the honest traffic (the member attacked)
	before string
}

// newGuard waits until every peer holds the same state and remembers it;
// from is the member whose honest traffic later proves the group works.
func newGuard(t *testing.T, peers []*Peer, from *Peer) *guard {
	t.Helper()
	g := &guard{peers: peers, from: from}
	g.before = settle(t, peers)
	return g
}

// settle polls until every peer reports the same state (exclude: record
// ids left out) and returns it.
func settle(t *testing.T, peers []*Peer, exclude ...string) string {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		states := stateOf(t, peers, exclude...)
		same := true
		for _, s := range states[1:] {
			same = same && s == states[0]
		}
		if same {
			return states[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("members do not settle on one state: %q", states)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stateOf returns each peer's state (exclude: record ids left out).
func stateOf(t *testing.T, peers []*Peer, exclude ...string) []string {
	t.Helper()
	out := waitAll(t, peers, time.Minute, "state %s", strings.Join(exclude, " "))
	for i, s := range out {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

// unchanged requires every peer's state (but the legitimately added
// records of exclude) to be what it was before the attack.
func (g *guard) unchanged(t *testing.T, exclude ...string) {
	t.Helper()
	for i, s := range stateOf(t, g.peers, exclude...) {
		if s != g.before {
			t.Errorf("%s's state changed: %s, was %s", g.peers[i].Name, s, g.before)
		}
	}
}

// traffic has the guard's member publish a record and every other peer
// receive it; then every peer must hold the state before the attack plus
// that record (and the records of exclude). The state with the new
// record becomes the next "before".
func (g *guard) traffic(t *testing.T, exclude ...string) {
	t.Helper()
	id := g.from.OK("add-text honest traffic after an attack at %s", time.Now().Format(time.StampMilli))
	waitAll(t, g.peers, time.Minute, "wait-id %s 45", id)
	g.unchanged(t, append(exclude, id)...)
	g.before = settle(t, g.peers, exclude...)
}

// check is unchanged then traffic: the usual end of a case.
func (g *guard) check(t *testing.T, exclude ...string) {
	t.Helper()
	g.unchanged(t, exclude...)
	g.traffic(t, exclude...)
}

// ---- cases 1, 2 and 4: connecting without a valid credential ----

// TestAttackHandshake: connections that must be refused at the
// handshake, each with PEER_E_NOT_AUTHORIZED (or PEER_E_INVALID_GROUP for
// a Hello naming another group) and nothing about the group sent back:
// a non-member (valid identity, no credential), forged credentials and a
// genuine credential of another group.
func TestAttackHandshake(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "attack handshake", 2)
	target := g.Members[1]
	addr := memberAddress(t, target)
	g.Creator().OK("add 5 100")
	guard := newGuard(t, g.Members, target)

	home := t.TempDir()
	attacker, xml := attackerIdentity(t, home)
	// A genuine invitation the attacker never uses to join: it raises its
	// roles and lends it to another identity.
	genuine := writeInvitation(t, g.Creator().OK("invite %s", xml))
	// A second group, whose creator invites the attacker: a genuine
	// credential, but for the wrong group.
	other := startPeers(t, t.TempDir(), "other-creator")[0]
	other.OK("create another group")
	foreignInv := writeInvitation(t, other.OK("invite %s", xml))

	t.Run("1-non-member", func(t *testing.T) {
		lines := runAttacker(t, "-home", home, "-mode", "nocred", "-group", g.Name, "-addr", addr)
		res := parseAttempts(t, lines)
		expectRefused(t, res, map[string]uint32{
			"no-credential":             hrNotAuthorized,
			"garbage-credential":        hrNotAuthorized,
			"no-credential-direct-only": hrNotAuthorized,
			"password-flag-gmc-group":   hrNotAuthorized, // the group takes no passwords
			"records-before-welcome":    hrNotAuthorized, // records pipelined behind the Hello are never read
		})
		if r := res["no-identity-certificate"]; !strings.HasPrefix(r.result, "error") {
			t.Errorf("a certificate that is no identity certificate: %s, want the TLS handshake to fail", r.result)
		}
		pipelined := fieldsOf(t, lines, "sent")["pipelined"]
		for _, p := range g.Members {
			p.Fails(hrRecordNotFound, "get %s", pipelined)
			if m := p.OK("members"); strings.Contains(m, attacker) {
				t.Errorf("%s lists the attacker %s as a member: %s", p.Name, attacker, m)
			}
		}
		guard.check(t)
		logAttack(t, "1 non-member (valid identity, no/garbage credential, direct-only, password flag, records before Welcome; non-identity TLS cert)",
			"refused at the handshake, nothing sent back; TLS refused the non-identity certificate; state unchanged; traffic flows",
			hrName(hrNotAuthorized))
	})

	t.Run("2-forged-credential", func(t *testing.T) {
		res := parseAttempts(t, runAttacker(t, "-home", home, "-mode", "forge", "-group", g.Name, "-addr", addr,
			"-invitation", genuine))
		expectRefused(t, res, map[string]uint32{
			"forged-root":       hrNotAuthorized, // root signed by a key that is not the group's
			"own-group-root":    hrNotAuthorized, // genuine root of a group of the attacker's own
			"raised-roles":      hrNotAuthorized, // genuine chain, roles raised: signature broken
			"stolen-credential": hrNotAuthorized, // genuine chain of another identity
		})
		guard.check(t)
		logAttack(t, "2 forged credential (root signed by a foreign key, own group's root, roles raised, stolen chain)",
			"refused at the handshake, nothing sent back; state unchanged; traffic flows", hrName(hrNotAuthorized))
	})

	t.Run("4-other-groups-credential", func(t *testing.T) {
		res := parseAttempts(t, runAttacker(t, "-home", home, "-mode", "foreign",
			"-invitation", foreignInv, "-group", g.Name, "-addr", addr))
		expectRefused(t, res, map[string]uint32{
			"foreign-credential": hrNotAuthorized,
			"foreign-group-name": hrInvalidGroup, // names a group this member is not in
		})
		guard.check(t)
		logAttack(t, "4 credential of another group (naming this group / its own group)",
			"refused at the handshake, nothing sent back; state unchanged; traffic flows",
			hrName(hrNotAuthorized)+" / "+hrName(hrInvalidGroup))
	})
}

// capturePath is where a test keeps records the attacker captured.
func capturePath(t *testing.T) string { return filepath.Join(t.TempDir(), "captured.bin") }
