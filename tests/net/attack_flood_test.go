package net_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAttackHandshakeFlood: a flood of handshakes that never complete,
// from one address (127.0.0.2), against the group's creator: 100 QUIC
// connections kept open that never send a Hello (re-opened as soon as
// the member drops one) and 300 TLS handshakes a second left hanging
// after the member's first answer (so a few thousand half-open at a
// time, each held until the member's 10 s handshake timeout). The
// member's resources stay bounded (RSS below +100 MiB, threads and
// descriptors below +64), its neighbours keep exchanging records, and an
// honest newcomer on another address whose invitation names only the
// flooded member can still connect and synchronise during the flood.
func TestAttackHandshakeFlood(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "attack flood", 2)
	target := g.Creator()
	addr := memberAddress(t, target)
	target.OK("add 20 200")
	newcomer := startPeers(t, t.TempDir(), "newcomer")[0]
	inv := target.OK("invite %s", newcomer.OK("identity-xml"))
	guard := newGuard(t, g.Members, target)
	home := t.TempDir()
	attackerIdentity(t, home)

	base := procUsage(target)
	run := startAttacker(t, "-home", home, "-mode", "flood", "-n", "100", "-rate", "300", "-duration", "120s",
		"-bind", "127.0.0.2", "-addr", addr)
	run.expect("flooding", 30*time.Second)
	flooding := time.Now()
	const minFlood = 12 * time.Second
	stop := make(chan struct{})
	var peak usage
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			peak = peak.max(procUsage(target))
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	run.expect("saturated", 30*time.Second) // the member turns the flood away now: it took all it gives

	// Existing neighbours keep working.
	guard.check(t)
	id := g.Members[2].OK("add-text honest traffic towards the flooded member")
	target.OKWithin(time.Minute, "wait-id %s 45", id)
	guard.before = settle(t, g.Members)

	// A newcomer that can only reach the flooded member.
	start := time.Now()
	newcomer.OK("join %s", inv)
	newcomer.OK("connect")
	_, joinErr := newcomer.Do(60*time.Second, "wait-ready 45")
	joined := time.Since(start)
	floodRunning := !run.exited()
	if joinErr != nil {
		t.Errorf("LIBRARY BUG: an honest newcomer could not connect to the flooded member within %v: %v "+
			"(core/mesh acceptLoop turns every new connection away while the attacker's idle ones hold all %d handshake slots)",
			joined.Round(time.Second), joinErr, 32)
		newcomer.OK("close") // so that it does not join later, during the checks below
	} else {
		guard.peers = append(guard.peers, newcomer)
		guard.before = settle(t, guard.peers) // it synchronised; its member record is honest traffic
		if !floodRunning {
			t.Errorf("the flood ended before the newcomer joined: the test proved nothing")
		}
	}
	// The bounds must hold over more than one handshake timeout (10 s)
	// of flooding, whenever the newcomer got in: nothing to poll.
	if rest := minFlood - time.Since(flooding); rest > 0 && !run.exited() {
		time.Sleep(rest)
	}
	close(stop)
	wg.Wait()
	lines := run.finish(time.Minute)
	stats := fieldsOf(t, lines, "flood")
	opened, _ := strconv.Atoi(stats["idle-opened"])
	failed, _ := strconv.Atoi(stats["idle-dial-failed"])
	if opened+failed < 200 {
		t.Errorf("only %d idle connections were tried: not the flood this test is about", opened+failed)
	}
	if n, _ := strconv.Atoi(stats["hanging"]); n < 1000 {
		t.Errorf("only %d hanging handshakes were started: not the flood this test is about", n)
	}

	if grew := peak.rss - base.rss; grew > 100<<20 {
		t.Errorf("LIBRARY BUG: RSS grew by %d MiB during the flood, want < 100 "+
			"(QUIC/TLS handshakes in progress are not bounded: ~100 KiB each for up to 10 s)", grew>>20)
	}
	if grew := peak.threads - base.threads; grew > 64 {
		t.Errorf("threads grew by %d during the flood, want <= 64", grew)
	}
	if grew := peak.fds - base.fds; grew > 64 {
		t.Errorf("open descriptors grew by %d during the flood, want <= 64", grew)
	}
	guard.traffic(t)
	outcome := fmt.Sprintf("%d idle connections tried (%s opened, %s of them turned away as busy), %s hanging TLS handshakes (%s refused); peak RSS %+d MiB, threads %+d, fds %+d; "+
		"neighbours kept syncing; newcomer joined=%v in %v; traffic flows",
		opened+failed, stats["idle-opened"], stats["idle-busy"], stats["hanging"], stats["hanging-refused"], (peak.rss-base.rss)>>20, peak.threads-base.threads,
		peak.fds-base.fds, joinErr == nil, joined.Round(100*time.Millisecond))
	logAttack(t, "13 flood of handshakes that never complete (no Hello; TLS left hanging)", outcome, "n/a (QUIC close, code 1 busy)")
}

// usage is what a process holds.
type usage struct {
	rss, threads, fds int64
}

func (u usage) max(v usage) usage {
	return usage{rss: max(u.rss, v.rss), threads: max(u.threads, v.threads), fds: max(u.fds, v.fds)}
}

// procUsage reads a peer's RSS, thread count and open descriptors.
func procUsage(p *Peer) usage {
	u := usage{rss: p.RSS()}
	pid := p.cmd.Process.Pid
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "Threads:" {
				u.threads, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		u.fds = int64(len(ents))
	}
	return u
}

// exited reports whether the attacker program has ended.
func (a *attackerRun) exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}
