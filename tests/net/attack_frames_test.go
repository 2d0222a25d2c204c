package net_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAttackFrames: malformed traffic against a member. Frames with a
// length above wire.MaxFrame (or above the 1 MiB a Hello may have), a
// length that is no varint, and frames cut short (the stream ended or
// the connection closed mid-frame), both instead of the Hello and after
// a genuine Hello was welcomed: before the handshake the member refuses
// with PEER_E_CONNECTION_REFUSED ("expected hello"), after it the member
// closes the connection; nothing of it stays and the member keeps
// working. Then thousands of datagrams of random bytes at its UDP port,
// and as many shaped like QUIC Initial packets: ignored, with bounded
// memory.
func TestAttackFrames(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "attack frames", 2)
	target := g.Members[1]
	addr := memberAddress(t, target)
	home := t.TempDir()
	attacker, xml := attackerIdentity(t, home)
	inv := writeInvitation(t, g.Creator().OK("invite %s", xml))
	guard := newGuard(t, g.Members, target)

	t.Run("11-oversized-and-truncated-frames", func(t *testing.T) {
		rss := target.RSS()
		res := parseAttempts(t, runAttacker(t, "-home", home, "-mode", "frames", "-invitation", inv, "-addr", addr))
		for _, label := range []string{"oversized-hello", "oversized-frame-before-hello", "huge-length-before-hello",
			"bad-varint-before-hello", "truncated-hello"} {
			r := res[label]
			if hr, ok := refusedHR(r.result); !ok || hr != hrConnectionRefused {
				t.Errorf("attempt %s: %q, want refused 0x%08x (expected hello)", label, r.result, hrConnectionRefused)
			}
			if !strings.HasPrefix(r.closed, "closed remote") {
				t.Errorf("attempt %s: connection %q after the refusal, want closed by the member", label, r.closed)
			}
		}
		for _, label := range []string{"oversized-frame-after-welcome", "huge-length-after-welcome",
			"truncated-frame-after-welcome", "malformed-records", "unknown-type"} {
			if r := res[label]; !strings.HasPrefix(r.result, "closed remote") {
				t.Errorf("attempt %s: %q, want the member to close the connection", label, r.result)
			}
		}
		for _, label := range []string{"abandoned-hello", "abandoned-frame-after-welcome"} {
			if r := res[label]; r.result != "abandoned" {
				t.Errorf("attempt %s: %q, want it sent and abandoned", label, r.result)
			}
		}
		waitNoConnection(t, target, attacker)
		grew := target.RSS() - rss
		if grew > 64<<20 {
			t.Errorf("%s grew by %d MiB after the malformed frames", target.Name, grew>>20)
		}
		guard.check(t)
		logAttack(t, "11 oversized (> MaxFrame, > 1 MiB Hello, 2^63, bad varint) and truncated frames, before and after the handshake",
			fmt.Sprintf("before: refused (expected hello) and closed; after: connection closed by the member; RSS %+d KiB; state unchanged; traffic flows", grew>>10),
			hrName(hrConnectionRefused)+" before the handshake; QUIC close after it")
	})

	t.Run("12-random-datagrams", func(t *testing.T) {
		// Random bytes, then garbage that parses as QUIC Initial packets
		// (whose source address nobody has to own: it needs no answer),
		// enough of them that memory kept per datagram shows clearly.
		count := map[string]int64{"random": 5000, "initial": 10000}
		grew := map[string]int64{}
		replies := map[string]string{}
		for _, shape := range []string{"random", "initial"} {
			n := strconv.FormatInt(count[shape], 10)
			rss := target.RSS()
			lines := runAttacker(t, "-home", home, "-mode", "udp", "-n", n, "-shape", shape, "-addr", addr)
			sent := fieldsOf(t, lines, "sent")
			if sent["datagrams"] != n {
				t.Errorf("sent %s %s datagrams, want %s", sent["datagrams"], shape, n)
			}
			grew[shape], replies[shape] = target.RSS()-rss, sent["replies"]
		}
		// The endpoint still answers handshakes, and as before.
		res := parseAttempts(t, runAttacker(t, "-home", home, "-mode", "nocred", "-group", g.Name, "-addr", addr))
		expectRefused(t, res, map[string]uint32{"no-credential": hrNotAuthorized})
		if grew["random"] > 50<<20 {
			t.Errorf("%s grew by %d MiB after %d datagrams of random bytes, want < 50", target.Name, grew["random"]>>20, count["random"])
		}
		if grew["initial"] > 50<<20 {
			t.Errorf("LIBRARY BUG: %s grew by %d MiB after %d garbage datagrams shaped as QUIC Initials (%d KiB each: "+
				"every one starts a server connection, with no limit on handshakes in progress and no Retry), want < 50",
				target.Name, grew["initial"]>>20, count["initial"], grew["initial"]/count["initial"]>>10)
		}
		guard.check(t)
		logAttack(t, fmt.Sprintf("12 garbage datagrams to the UDP port (%d random, %d shaped as QUIC Initials)", count["random"], count["initial"]),
			fmt.Sprintf("ignored (replies: %s, %s); handshakes still answered; RSS %+d KiB (random), %+d KiB (Initial-shaped); state unchanged; traffic flows",
				replies["random"], replies["initial"], grew["random"]>>10, grew["initial"]>>10), "n/a")
	})
}

// waitNoConnection polls until p has no connection with the identity.
func waitNoConnection(t *testing.T, p *Peer, identity string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := p.Do(time.Minute, "connections 3")
		if err != nil {
			t.Fatalf("%s: connections: %v", p.Name, err)
		}
		if !strings.Contains(c, strings.TrimSuffix(identity, ".")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still has a connection with %s: %s", p.Name, identity, c)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
