//go:build linux

package net_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSoak is `make soak` (not part of make test): five member processes
// for $P2P_SOAK (make soak SOAK=10m, the default there), publishing
// records all the time, exchanging direct messages between pairs of
// members that stay up, while two of them are killed with SIGKILL and
// restarted in turn (20 s apart), each killed while it publishes. Every
// $P2P_SOAK_EVERY (default 1m) it prints each member's RSS, open file
// descriptors, threads and goroutines (the Go runtime's scheduler trace,
// GODEBUG=schedtrace,scheddetail, counted from the member's log); at the
// end it requires the figures of the members that stayed up to be flat,
// every direct message to have arrived intact, every member to hold the
// same records, and no acknowledged record (S_OK from
// PeerGroupAddRecord) to be missing anywhere: at the member itself right
// after a restart, and at every member once they converged.
func TestSoak(t *testing.T) {
	spec := os.Getenv("P2P_SOAK")
	if spec == "" {
		t.Skip("the soak runs with make soak (P2P_SOAK=duration)")
	}
	dur, err := time.ParseDuration(spec)
	if err != nil || dur <= 0 {
		t.Fatalf("P2P_SOAK=%q: want a duration such as 10m", spec)
	}
	every := time.Minute
	if s := os.Getenv("P2P_SOAK_EVERY"); s != "" {
		if every, err = time.ParseDuration(s); err != nil || every <= 0 {
			t.Fatalf("P2P_SOAK_EVERY=%q: want a duration", s)
		}
	}
	s := newSoak(t)
	s.run(dur, every)
}

// soakMember is one member of the soak across its restarts.
type soakMember struct {
	name, home string
	p          *Peer
	victim     bool     // killed and restarted in turn
	acked      []string // ids of the records it acknowledged
	restarts   int
}

// soakSample is one member's figures at one moment.
type soakSample struct {
	rss     int64
	fds     int
	threads int
	gs      int // goroutines, from the last scheduler trace; -1 if none yet
}

type soak struct {
	t       *testing.T
	dir     string
	group   string
	members []*soakMember
	rng     *rand.Rand

	transfers int64 // direct messages delivered intact
	kills     int
	samples   [][]soakSample // by sample, by member
}

// soakTrace makes each member's Go runtime print its scheduler state,
// every goroutine included, to its log every 10 s.
const soakTrace = "GODEBUG=schedtrace=10000,scheddetail=1"

func newSoak(t *testing.T) *soak {
	s := &soak{t: t, dir: t.TempDir(), rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))}
	for i := range 5 {
		m := &soakMember{name: fmt.Sprintf("m%d", i), victim: i >= 3}
		m.home = filepath.Join(s.dir, m.name)
		m.p = startPeerAt(t, m.name, m.home, "", "127.0.0.1:0", soakTrace)
		m.p.Identity = m.p.OK("startup %s", m.name)
		s.members = append(s.members, m)
	}
	c := s.members[0].p
	s.group = c.OK("create soak")
	c.OK("connect")
	for _, m := range s.members[1:] {
		invite(t, c, m.p)
		m.p.Send("connect")
	}
	waitAll(t, s.peers(), 90*time.Second, "wait-ready 60")
	return s
}

func (s *soak) peers() []*Peer {
	var out []*Peer
	for _, m := range s.members {
		out = append(out, m.p)
	}
	return out
}

func (s *soak) run(dur, every time.Duration) {
	t := s.t
	start := time.Now()
	nextSample := start.Add(every)
	nextKill := start.Add(20 * time.Second)
	victim := 3
	t.Logf("soak: %v, 5 members, figures every %v; m3 and m4 are killed and restarted in turn every 20 s", dur, every)
	for round := 0; time.Since(start) < dur; round++ {
		began := time.Now()
		// A pair of members that stay up exchange direct messages while
		// everything else goes on.
		x, y := s.members[round%3].p, s.members[(round+1)%3].p
		xID, _ := strconv.ParseUint(strings.Fields(s.do(x, "direct-open %s 20", y.Identity))[0], 10, 64)
		yID, _ := strconv.ParseUint(s.do(y, "wait-accept 20"), 10, 64)
		s.do(x, "send-bg %d 200 %d skew 1", xID, 64<<10)
		s.do(y, "send-bg %d 200 %d skew 2", yID, 64<<10)
		// Every member publishes.
		chans := make([]<-chan reply, len(s.members))
		for i, m := range s.members {
			chans[i] = m.p.Send("add-ids 20 300")
		}
		for i, m := range s.members {
			s.ack(m, chans[i], time.Minute)
		}
		if time.Now().After(nextKill) {
			s.churn(s.members[victim])
			victim = 7 - victim // 3, 4, 3, ...
			nextKill = time.Now().Add(20 * time.Second)
		}
		for _, r := range waitAll(t, []*Peer{x, y}, 2*time.Minute, "recv 200 90") {
			if got := field(t, r, "got"); got != 200 {
				t.Fatalf("direct messages %s<->%s: %d of 200 arrived", x.Name, y.Name, got)
			}
			s.transfers += 200
		}
		waitAll(t, []*Peer{x, y}, time.Minute, "send-wait 30")
		s.do(x, "direct-close %d", xID)
		if time.Now().After(nextSample) {
			s.sample(time.Since(start))
			nextSample = nextSample.Add(every)
		}
		time.Sleep(2*time.Second - time.Since(began)) // about one round every 2 s
	}
	s.sample(time.Since(start))
	s.finish()
}

// ack records the ids a member acknowledged in answer to add-ids (on an
// error, those listed as acknowledged before it).
func (s *soak) ack(m *soakMember, ch <-chan reply, timeout time.Duration) {
	out, err := m.p.Await(ch, timeout)
	if err != nil {
		if ce, ok := err.(*CmdError); ok {
			out = strings.TrimPrefix(ce.Text, "PeerGroupAddRecord acknowledged")
		} else {
			return // no answer: nothing acknowledged
		}
	}
	m.acked = append(m.acked, strings.Fields(out)...)
}

// churn kills m while it publishes, then restarts it on its data
// directory, checks that it still holds every record it acknowledged and
// takes it online again.
func (s *soak) churn(m *soakMember) {
	t := s.t
	ch := m.p.Send("add-ids 100 300")
	time.Sleep(time.Duration(s.rng.IntN(40)) * time.Millisecond)
	m.p.Kill()
	s.ack(m, ch, 5*time.Second)
	s.kills++
	time.Sleep(time.Second)
	identity := m.p.Identity
	m.p = startPeerAt(t, m.name, m.home, "", "127.0.0.1:0", soakTrace)
	m.restarts++
	if m.p.Identity = s.do(m.p, "startup"); m.p.Identity != identity {
		t.Fatalf("%s restarted as %s, was %s", m.name, m.p.Identity, identity)
	}
	s.do(m.p, "open %s", s.group)
	if n, first := s.missing(m.p, m.acked); n > 0 {
		t.Fatalf("%s lost %d of the %d records it acknowledged before it was killed (e.g. %s)", m.name, n, len(m.acked), first)
	}
	s.do(m.p, "connect")
}

// do runs one command that must succeed, without logging it.
func (s *soak) do(p *Peer, format string, args ...any) string {
	s.t.Helper()
	out, err := p.Do(time.Minute, format, args...)
	if err != nil {
		s.t.Fatalf("%s: %s: %v", p.Name, short(fmt.Sprintf(format, args...)), err)
	}
	return out
}

// missing asks p how many of ids it lacks.
func (s *soak) missing(p *Peer, ids []string) (int, string) {
	total, first := 0, ""
	for len(ids) > 0 {
		k := min(len(ids), 60)
		f := strings.Fields(s.do(p, "missing %s", strings.Join(ids[:k], " ")))
		ids = ids[k:]
		n, _ := strconv.Atoi(f[0])
		if n > 0 && first == "" {
			first = f[1]
		}
		total += n
	}
	return total, first
}

// sample prints each member's figures.
func (s *soak) sample(at time.Duration) {
	row := make([]soakSample, len(s.members))
	var line []string
	records := 0
	for i, m := range s.members {
		row[i] = figures(m.p)
		records += len(m.acked)
		line = append(line, fmt.Sprintf("%s %5.1f MB %3d fds %2d thr %4d gor", m.name, mb(row[i].rss), row[i].fds, row[i].threads, row[i].gs))
	}
	s.samples = append(s.samples, row)
	s.t.Logf("soak %5s: %s | %d records acknowledged, %d direct messages, %d kills",
		at.Round(time.Second), strings.Join(line, " | "), records, s.transfers, s.kills)
}

var goroutineRe = regexp.MustCompile(`(?m)^  G\d+: status=(\d+)`)

// figures reads a member's RSS, descriptors and threads from /proc and
// counts the live goroutines of the last scheduler trace in its log.
func figures(p *Peer) soakSample {
	pid := p.cmd.Process.Pid
	f := soakSample{rss: p.RSS(), gs: -1}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		f.fds = len(ents)
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "Threads:"); ok {
				f.threads, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
	}
	if b, err := os.ReadFile(p.log); err == nil {
		if i := strings.LastIndex(string(b), "\nSCHED "); i >= 0 {
			f.gs = 0
			for _, m := range goroutineRe.FindAllStringSubmatch(string(b[i:]), -1) {
				if m[1] != "6" { // 6: _Gdead, a goroutine kept for reuse
					f.gs++
				}
			}
		}
	}
	return f
}

// finish waits until every member holds the same records, then checks
// that none of the acknowledged ones is missing anywhere and that the
// members that stayed up kept flat figures.
func (s *soak) finish() {
	t := s.t
	var all []string
	for _, m := range s.members {
		all = append(all, m.acked...)
	}
	start := time.Now()
	var digests []string
	for {
		digests = waitAll(t, s.peers(), time.Minute, "digest")
		same := true
		for _, d := range digests {
			same = same && strings.Fields(d)[0] == strings.Fields(digests[0])[0]
		}
		if same {
			break
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("the members did not converge within 2 minutes after the soak: %q", digests)
		}
		time.Sleep(time.Second)
	}
	held, _ := strconv.Atoi(strings.Fields(digests[0])[1])
	t.Logf("soak: converged on %d records %v after the last round (%d acknowledged; the rest were stored by members killed before they answered)",
		held, time.Since(start).Round(time.Millisecond), len(all))
	for _, m := range s.members {
		if n, first := s.missing(m.p, all); n > 0 {
			t.Errorf("%s lacks %d of the %d acknowledged records (e.g. %s)", m.name, n, len(all), first)
		}
	}
	if len(s.samples) < 3 {
		t.Logf("soak: %d samples, too few to judge whether the figures stay flat (run longer)", len(s.samples))
		return
	}
	// The first sample is the warm-up; from the second on the figures of
	// the members that were never restarted must stay flat.
	first, last := s.samples[1], s.samples[len(s.samples)-1]
	for i, m := range s.members {
		if m.victim {
			continue
		}
		a, b := first[i], last[i]
		if b.rss > a.rss*3/2+32<<20 || b.fds > a.fds+16 || b.threads > a.threads+8 || (a.gs >= 0 && b.gs > a.gs*3/2+40) {
			t.Errorf("%s grew: %.1f -> %.1f MB, %d -> %d fds, %d -> %d threads, %d -> %d goroutines",
				m.name, mb(a.rss), mb(b.rss), a.fds, b.fds, a.threads, b.threads, a.gs, b.gs)
		}
	}
}
