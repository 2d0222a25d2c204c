package net_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// recordSize is the data size of the records the mesh tests publish.
const recordSize = 300

// TestTwoProcessFlow is the plain C flow between two processes: create,
// invite, join, connect, publish; the other side gets RECORD_CHANGED and
// reads the record with PeerGroupGetRecord, both ways.
func TestTwoProcessFlow(t *testing.T) {
	t.Parallel()
	peers := startPeers(t, t.TempDir(), "alice", "bob")
	alice, bob := peers[0], peers[1]
	name := alice.OK("create two processes")
	alice.OK("connect")
	inv := alice.OK("invite %s", bob.OK("identity-xml"))
	if got := bob.OK("join %s", inv); got != name {
		t.Fatalf("bob joined %q, alice created %q", got, name)
	}
	bob.OK("connect")
	bob.OKWithin(time.Minute, "wait-ready 45")

	id := alice.OK("add-text hello from alice")
	got := strings.SplitN(bob.OKWithin(time.Minute, "wait-record 30"), " ", 3)
	if len(got) != 3 || got[0] != id || got[1] != alice.Identity || got[2] != "hello from alice" {
		t.Fatalf("bob read %q, want record %s by %s saying %q", got, id, alice.Identity, "hello from alice")
	}

	id = bob.OK("add-text hello from bob")
	got = strings.SplitN(alice.OKWithin(time.Minute, "wait-record 30"), " ", 3)
	if len(got) != 3 || got[0] != id || got[1] != bob.Identity || got[2] != "hello from bob" {
		t.Fatalf("alice read %q, want record %s by %s saying %q", got, id, bob.Identity, "hello from bob")
	}
	members := alice.OK("members")
	if !strings.Contains(members, alice.Identity) || !strings.Contains(members, bob.Identity) {
		t.Fatalf("alice's members %q lack alice or bob", members)
	}
}

// TestConvergence has a creator and four joiners publish 200 records
// each at the same time; every member must end with the same 1000
// records (same ids, versions and data).
func TestConvergence(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "convergence", 4)
	start := time.Now()
	waitAll(t, g.Members, 2*time.Minute, "add 200 %d", recordSize)
	t.Logf("1000 records published in %v", time.Since(start).Round(time.Millisecond))
	converge(t, g.Members, 1000, 60*time.Second)
}

// TestKillRestart kills a member with SIGKILL while everyone publishes,
// restarts it on the same data directory (open + connect) and requires
// it to catch up: every member ends with the same records, including
// what the victim stored before it died and publishes after.
func TestKillRestart(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "kill and restart", 4)
	victim := g.Members[2]
	survivors := append(append([]*Peer{}, g.Members[:2]...), g.Members[3:]...)

	var chans []<-chan reply
	for _, p := range survivors {
		chans = append(chans, p.Send("add 200 %d", recordSize))
	}
	victim.Send("add 200 %d", recordSize)
	time.Sleep(400 * time.Millisecond)
	victim.Kill()
	for i, p := range survivors {
		if _, err := p.Await(chans[i], 2*time.Minute); err != nil {
			t.Fatalf("%s: add: %v", p.Name, err)
		}
	}

	back := StartPeer(t, "victim-restarted", victim.Home)
	if id := back.OK("startup"); id != victim.Identity {
		t.Fatalf("restarted with identity %s, was %s", id, victim.Identity)
	}
	back.OK("open %s", g.Name)
	own := ownCount(t, back)
	t.Logf("the victim had stored %d of its 200 records when killed", own)
	back.OK("connect")
	back.OKWithin(time.Minute, "wait-ready 45")
	back.OK("add 50 %d", recordSize)
	converge(t, append(survivors, back), 4*200+own+50, 90*time.Second)
}

// TestOfflineCatchUp takes a member offline (close, then the process
// quits); the others add records and delete some, the creator (an
// administrator) also deletes records of the absent member. Back online
// it must converge, deletions included, and see each change once.
func TestOfflineCatchUp(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "offline catch-up", 4)
	waitAll(t, g.Members, 2*time.Minute, "add 200 %d", recordSize)
	converge(t, g.Members, 1000, 60*time.Second)

	away := g.Members[4]
	away.OK("close")
	away.OK("quit")
	<-away.exited
	present := g.Members[:4]
	// Deletions first, so that every deleted record is one the absent
	// member holds: it must then see exactly 140 RECORD_DELETED and 400
	// RECORD_ADDED events. (A record added and deleted while it was away
	// arrives as a tombstone only and raises no event.)
	for _, p := range present {
		if n := p.OK("delete 30 own"); n != "30" {
			t.Fatalf("%s deleted %s records, want 30", p.Name, n)
		}
	}
	if n := g.Creator().OK("delete 20 %s", away.Identity); n != "20" {
		t.Fatalf("creator deleted %s of %s's records, want 20", n, away.Identity)
	}
	waitAll(t, present, 2*time.Minute, "add 100 %d", recordSize)
	want := 1000 + 4*100 - 4*30 - 20
	converge(t, present, want, 60*time.Second)

	back := StartPeer(t, "away-returned", away.Home)
	back.OK("startup")
	back.OK("open %s", g.Name)
	if n := ownCount(t, back); n != 200 {
		t.Fatalf("offline member holds %d own records, want 200 (the deletions happened while it was away)", n)
	}
	back.OK("connect")
	converge(t, append(present, back), want, 60*time.Second)
	ev := back.OK("events")
	if a, d := field(t, ev, "added"), field(t, ev, "deleted"); a != 400 || d != 4*30+20 {
		t.Fatalf("returning member saw %d RECORD_ADDED and %d RECORD_DELETED events, want 400 and 140 (%s)", a, d, short(ev))
	}
}

// ownCount is how many live test records the peer created itself.
func ownCount(t *testing.T, p *Peer) int {
	t.Helper()
	out := p.OK("count")
	n, err := strconv.Atoi(strings.TrimPrefix(strings.Fields(out)[1], "own="))
	if err != nil {
		t.Fatalf("count: %q", out)
	}
	return n
}

// TestPropertiesReplicate: the creator (an administrator) renames the
// group; a joined member sees the new friendly name and a
// PROPERTY_CHANGED event.
func TestPropertiesReplicate(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "before", 1)
	j := g.Members[1]
	g.Creator().OK("set-name after the rename")
	j.OKWithin(time.Minute, "wait-name 20 after the rename")
	if ev := j.OK("events"); !strings.Contains(ev, "property") {
		t.Errorf("no PROPERTY_CHANGED event at the joiner: %s", short(ev))
	}
}
