package net_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAttackNAT: a genuine member abuses hole punching and relaying
// through the member it is connected to (the coordinator and relay):
//
//   - it asks for a relay to somebody who is not a member: refused with
//     PEER_E_NOT_AUTHORIZED, and no session is set up;
//   - it asks for punches to an honest member naming a third party's
//     address as its own: unsigned, signed by another key (both refused
//     with PEER_E_NOT_AUTHORIZED by the target), and signed by itself
//     while the coordinator sees it elsewhere (answered, but no probe is
//     sent: a member probes only an address the coordinator saw AND the
//     other side signed); then a flood of them, mostly refused;
//   - it asks for a dozen relay sessions at once: at most 4 (the
//     per-member bound) are set up, the rest refused.
//
// The third party receives nothing at all; every member's database is
// unchanged; honest records and direct connections keep flowing.
func TestAttackNAT(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "attack nat", 2)
	coord, victim, other := g.Creator(), g.Members[1], g.Members[2]
	addr := memberAddress(t, coord)
	home := t.TempDir()
	attacker, xml := attackerIdentity(t, home)
	inv := writeInvitation(t, coord.OK("invite %s", xml))
	runAttacker(t, "-home", home, "-mode", "enroll", "-invitation", inv, "-addr", addr)
	for _, p := range g.Members {
		waitMember(t, p, attacker)
	}
	guard := newGuard(t, g.Members, coord)

	lines := runAttacker(t, "-home", home, "-mode", "nat", "-invitation", inv, "-addr", addr, "-victim", victim.Identity)
	results := map[string]string{}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "result "); ok {
			k, v, _ := strings.Cut(rest, " ")
			results[k] = v
		}
	}
	refused := "refused 0x" + strconv.FormatUint(hrNotAuthorized, 16)
	for k, want := range map[string]string{
		"relay-non-member": refused, "punch-unsigned": refused, "punch-forged": refused, "punch-unpublished": "reply",
	} {
		if results[k] != want {
			t.Errorf("%s: %q, want %q", k, results[k], want)
		}
	}
	pf := fieldsOf(t, lines, "punch-flood")
	if r, _ := strconv.Atoi(pf["replies"]); r > 3 {
		t.Errorf("a flood of 40 punches from one member: %s answered, want at most 3 (rate limits)", pf["replies"])
	}
	rf := fieldsOf(t, lines, "relay-flood")
	if r, _ := strconv.Atoi(rf["ready"]); r > 4 {
		t.Errorf("one member got %s relay sessions at once, want at most 4", rf["ready"])
	}
	if n, _ := strconv.Atoi(rf["refused"]); n < 8 {
		t.Errorf("of 12 relay sessions asked at once, %s refused, want at least 8", rf["refused"])
	}
	if tp := fieldsOf(t, lines, "third-party"); tp["packets"] != "0" {
		t.Errorf("the third party received %s packets (%s bytes), want none", tp["packets"], tp["bytes"])
	}
	guard.check(t)
	// Honest direct connections still open and carry data.
	xID, _ := openDirect(t, other, victim)
	other.OK("send %d 200 4096", xID)
	if out := victim.OK("recv 200 30"); field(t, out, "got") != 200 {
		t.Fatalf("honest direct traffic: %q", out)
	}
	logAttack(t, "5 relay to a non-member; punches naming an address the member never published (unsigned, forged, "+
		"unobserved) and a flood of them; relay exhaustion by one member",
		"refused or answered without a probe; third party got 0 packets; "+rf["ready"]+" of 12 relay sessions granted; "+
			"state unchanged; records and direct traffic flow", hrName(hrNotAuthorized))
}

// TestAttackNATRelay: in the NAT lab, the only member willing to relay
// between A and C (behind the port-preserving and the port-randomising
// NAT) is the attacker: P refuses to relay (P2P_RELAY=0, published in its
// presence). The attacker changes one byte of every 5th datagram it
// relays and sends every 7th again later. QUIC, authenticated end to end
// between A and C, drops both: 1,000 messages each way arrive whole, in
// order and once, and records keep flowing.
func TestAttackNATRelay(t *testing.T) {
	l := newLab(t)
	peers := natGroup(t, l, "P2P_RELAY=0")
	p, a, c := peers[0], peers[1], peers[3]
	public := labHosts["public"]
	home := t.TempDir()
	attacker, xml := attackerIdentity(t, home)
	inv := writeInvitation(t, p.OK("invite %s", xml))
	startAttackerIn(t, l.name("public"), "-home", home, "-mode", "enroll", "-invitation", inv,
		"-addr", memberAddress(t, p), "-bind", public).finish(time.Minute)
	for _, q := range peers {
		waitMember(t, q, attacker)
	}
	relay := startAttackerIn(t, l.name("public"), "-home", home, "-mode", "relay", "-invitation", inv, "-bind", public)
	listen := strings.Fields(relay.expect("listening ", 30*time.Second))[1]
	ip, port, _ := strings.Cut(listen, ":")
	a.OK("connect-addr %s %s", ip, port)
	c.OK("connect-addr %s %s", ip, port)
	relay.expect("member ", 30*time.Second)
	relay.expect("member ", 30*time.Second)

	ac, ca, ms := openPair(t, a, c)
	path := a.OK("path %d", ac)
	if !strings.HasPrefix(path, "relayed "+public+":") || strings.HasSuffix(path, ":"+port) {
		t.Fatalf("A -> C runs %s, want relayed through the attacker's session port", path)
	}
	relay.expect("relaying ", 10*time.Second)
	sa := a.Send("send %d 1000 4096", ac)
	sc := c.Send("send %d 1000 4096", ca)
	for i, ch := range []<-chan reply{c.Send("recv 1000 90"), a.Send("recv 1000 90")} {
		q := []*Peer{c, a}[i]
		out, err := q.Await(ch, 2*time.Minute)
		if err != nil || field(t, out, "got") != 1000 {
			t.Fatalf("%s received %q through the tampering relay: %v", q.Name, out, err)
		}
	}
	for i, ch := range []<-chan reply{sa, sc} {
		if _, err := []*Peer{a, c}[i].Await(ch, time.Minute); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	lines := relay.finish(30 * time.Second)
	st := fieldsOf(t, lines, "relay-stats")
	if st["tampered"] == "0" || st["replayed"] == "0" {
		t.Fatalf("the relay changed %s and replayed %s datagrams: the attack did not run", st["tampered"], st["replayed"])
	}
	id := p.OK("add-text honest traffic after a tampering relay")
	waitAll(t, peers, time.Minute, "wait-id %s 45", id)
	logAttack(t, "5 a relay that changes one datagram in 5 and replays one in 7 (connected after "+fmt.Sprint(ms)+" ms)",
		fmt.Sprintf("QUIC dropped them (%s changed, %s replayed of %s): 1,000 messages each way whole and in order; records flow",
			st["tampered"], st["replayed"], st["forwarded"]), hrName(0))
}
