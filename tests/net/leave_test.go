package net_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// leaveVisible is how soon the others must see a clean leave (issue 13:
// MEMBER_CHANGED and EnumMembers within 5 s; the presence record alone
// would keep a member PRESENT for its 300 s lifetime).
const leaveVisible = 5 * time.Second

// TestLeaveSeenPromptly: members that leave cleanly, by PeerGroupClose
// and by PeerGroupShutdown with the group open, are no longer present at
// the others within 5 s, with MEMBER_CHANGED DISCONNECTED, and nobody
// dials them any more; a member that was offline when another left
// learns it within 5 s of coming back; members that come back are
// present again within 5 s.
func TestLeaveSeenPromptly(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "leave", 3)
	creator, j1, j2, j3 := g.Members[0], g.Members[1], g.Members[2], g.Members[3]
	for _, p := range g.Members {
		for _, q := range g.Members {
			if p != q {
				p.OK("wait-member %s present 30", q.Identity)
			}
		}
		p.OK("events") // start the event logs afresh
	}

	// seen waits until each watcher sees who present or absent, within
	// limit of the call, and returns the slowest time.
	seen := func(watchers []*Peer, who *Peer, state string, limit time.Duration) time.Duration {
		t.Helper()
		outs := waitAll(t, watchers, limit+10*time.Second, "wait-member %s %s %d", who.Identity, state, int(limit/time.Second))
		var worst time.Duration
		for _, o := range outs {
			ms, _ := strconv.Atoi(strings.Fields(o)[0])
			worst = max(worst, time.Duration(ms)*time.Millisecond)
		}
		return worst
	}
	// disconnected checks that each watcher got MEMBER_CHANGED
	// DISCONNECTED (2) for who.
	disconnected := func(watchers []*Peer, who *Peer) {
		t.Helper()
		for _, p := range watchers {
			if ev := p.OK("events"); !strings.Contains(ev, "member:2:"+who.Identity[:12]) {
				t.Errorf("%s: no MEMBER_CHANGED DISCONNECTED for %s: %s", p.Name, who.Name, short(ev))
			}
		}
	}

	// j3 closes its group (PeerGroupClose while online) and stays away.
	start := time.Now()
	j3.OK("close")
	closed := time.Since(start)
	took := seen([]*Peer{creator, j1, j2}, j3, "absent", leaveVisible)
	t.Logf("PeerGroupClose took %v; the leave was visible at every member %v after it began (at most %v after it returned)",
		closed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), took.Round(time.Millisecond))
	disconnected([]*Peer{creator, j1, j2}, j3)

	// j1 leaves while j3 is away: j3 holds j1's presence, live.
	j1.OK("close")
	seen([]*Peer{creator, j2}, j1, "absent", leaveVisible)
	disconnected([]*Peer{creator, j2}, j1)

	// j3 comes back: it learns j1's leave from the others, and they see
	// it present again.
	j3.OK("open %s", g.Name)
	j3.OK("wait-member %s present 1", j1.Identity) // its last word on j1
	start = time.Now()
	j3.OK("connect")
	seen([]*Peer{j3}, j1, "absent", leaveVisible)
	seen([]*Peer{creator, j2}, j3, "present", leaveVisible)
	t.Logf("the returning member learned the leave it missed and was present again after %v",
		time.Since(start).Round(time.Millisecond))

	// j2 leaves by PeerGroupShutdown with its group open, then its
	// process ends.
	port := ownPort(t, j2)
	start = time.Now()
	j2.OK("shutdown")
	seen([]*Peer{creator, j3}, j2, "absent", leaveVisible)
	t.Logf("PeerGroupShutdown: the leave was visible after %v", time.Since(start).Round(time.Millisecond))
	disconnected([]*Peer{creator, j3}, j2)
	j2.OK("quit")
	<-j2.exited

	// Nobody dials the member that left: its old port gets no packets.
	if port != 0 {
		if pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err != nil {
			t.Logf("port %d of the member that left is taken (%v): not checking for redials", port, err)
		} else {
			time.Sleep(time.Second) // a dial already under way may still arrive
			pc.SetReadDeadline(time.Now().Add(6 * time.Second))
			buf := make([]byte, 2048)
			got := 0
			for {
				if _, _, err := pc.ReadFrom(buf); err != nil {
					break
				}
				got++
			}
			pc.Close()
			if got > 0 {
				t.Errorf("%d datagrams reached the port of the member that left, in 6 s: it is still being dialled", got)
			}
		}
	}

	// j1 comes back: present again at the others within 5 s.
	j1.OK("open %s", g.Name)
	j1.OK("connect")
	seen([]*Peer{creator, j3}, j1, "present", leaveVisible)
}

// ownPort is the UDP port the peer's group listens on (its first
// address), 0 if it has none.
func ownPort(t *testing.T, p *Peer) int {
	t.Helper()
	addrs := strings.Fields(p.OK("addr"))
	if len(addrs) == 0 {
		return 0
	}
	_, port, err := net.SplitHostPort(addrs[0])
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(port)
	return n
}
