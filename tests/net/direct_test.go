package net_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// openDirect opens a direct connection from a to b and returns a's and
// b's connection ids for it.
func openDirect(t *testing.T, a, b *Peer) (aID, bID uint64) {
	t.Helper()
	out := a.OK("direct-open %s 20", b.Identity)
	aID, err := strconv.ParseUint(strings.Fields(out)[0], 10, 64)
	if err != nil {
		t.Fatalf("direct-open: %q", out)
	}
	bID, err = strconv.ParseUint(b.OK("wait-accept 20"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return aID, bID
}

// TestDirectBulk sends 10,000 messages of 0 to 1 MiB each way over one
// direct connection, both directions at once: all arrive whole, in
// order and once (peer.c checks every checksum and sequence number),
// including messages of 0 bytes and of exactly 1 MiB.
func TestDirectBulk(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "direct bulk", 1)
	a, b := g.Members[0], g.Members[1]
	ab, ba := openDirect(t, a, b)
	const n = 10000
	start := time.Now()
	a.OK("send-bg %d %d %d skew 1", ab, n, maxData)
	b.OK("send-bg %d %d %d skew 2", ba, n, maxData)
	recvs := waitAll(t, []*Peer{a, b}, 3*time.Minute, "recv %d 150", n)
	sends := waitAll(t, []*Peer{a, b}, time.Minute, "send-wait 30")
	elapsed := time.Since(start)
	var total int64
	for i, r := range recvs {
		if got := field(t, r, "got"); got != n {
			t.Fatalf("%s received %d messages, want %d", []string{"a", "b"}[i], got, n)
		}
		if field(t, r, "zero") == 0 || field(t, r, "max") == 0 {
			t.Errorf("no message of 0 bytes or of exactly %d bytes among %q", maxData, r)
		}
		if sent := field(t, sends[1-i], "bytes"); sent != field(t, r, "bytes") {
			t.Errorf("sent %d bytes, received %d", sent, field(t, r, "bytes"))
		}
		total += field(t, r, "bytes")
	}
	t.Logf("2 x %d messages, %d MiB in all, in %v (%.0f MiB/s)", n, total>>20, elapsed.Round(time.Millisecond),
		float64(total)/(1<<20)/elapsed.Seconds())
}

// TestDirectSlowReceiver: a receiver that does not read makes the sender
// block (back-pressure) instead of its own memory growing; once it reads
// (slowly), everything arrives.
func TestDirectSlowReceiver(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "slow receiver", 1)
	a, b := g.Members[0], g.Members[1]
	ab, _ := openDirect(t, a, b)
	const n = 600 // messages of exactly 1 MiB: 600 MiB offered
	base := b.RSS()

	var mu sync.Mutex
	peak := base
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if r := b.RSS(); r > 0 {
				mu.Lock()
				peak = max(peak, r)
				mu.Unlock()
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	a.OK("send-bg %d %d %d fixed 1", ab, n, maxData)
	time.Sleep(4 * time.Second)
	progress := strings.Fields(a.OK("send-progress"))
	sent, _ := strconv.Atoi(progress[0])
	if progress[1] != "1" || sent >= n/4 {
		t.Fatalf("with a receiver that does not read, the sender sent %d of %d MiB (running senders: %s); it should block",
			sent, n, progress[1])
	}
	t.Logf("sender blocked after %d messages of 1 MiB", sent)

	out := b.OKWithin(2*time.Minute, "recv %d 100 2", n)
	if got := field(t, out, "got"); got != n {
		t.Fatalf("received %d messages, want %d", got, n)
	}
	a.OK("send-wait 30")
	mu.Lock()
	growth := peak - base
	mu.Unlock()
	t.Logf("receiver RSS: %d MiB at start, peak %d MiB (+%d MiB for %d MiB sent)", base>>20, peak>>20, growth>>20, n)
	if growth > 200<<20 {
		t.Errorf("receiver RSS grew by %d MiB while %d MiB were offered: back-pressure does not bound memory", growth>>20, n)
	}
}

// TestDirectPeerKilled: the peer at the other end of a direct connection
// is killed mid-stream; the survivor gets DIRECT_CONNECTION
// (PEER_DISCONNECTED) within deadPeerBound, its blocked sender fails, and
// it can still open a new direct connection to a third member.
// deadPeerBound is how long a member may take to give up on a killed
// peer. QUIC closes a connection after the idle timeout (30 s) without a
// packet from the peer, counted from the first packet sent after the
// last one received. A sender still sending when the peer dies starts
// that count at once: about 30 s. One that waits on flow control (the
// dead peer's queue was full) sends nothing until the keep-alive (10 s
// after the last packet received): about 40 s. Each of the two is
// stretched on a path whose round trips were slow, to 1.5 and 3 probe
// timeouts (RFC 9000 section 10.1), as under a loaded CI machine, where
// 45 s was seen; the margin covers that.
const deadPeerBound = 55 * time.Second

func TestDirectPeerKilled(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "killed mid-stream", 2)
	a, b, c := g.Members[0], g.Members[1], g.Members[2]
	ab, _ := openDirect(t, a, b)
	a.OK("send-bg %d 100000 65536 skew 1", ab)
	b.OK("recv 200 30")
	b.Kill()
	killed := time.Now()
	out := a.OKWithin(80*time.Second, "wait-direct %d disconnected %d", ab, int(deadPeerBound/time.Second)+10)
	took := time.Since(killed)
	t.Logf("DIRECT_CONNECTION DISCONNECTED %v after the kill (%s)", took.Round(time.Millisecond), out)
	if took > deadPeerBound {
		t.Errorf("the survivor learnt of the dead peer after %v, want %v at most", took, deadPeerBound)
	}
	if _, err := a.Do(time.Minute, "send-wait 30"); hrOf(err) == 0 {
		t.Errorf("the sender to the killed peer finished without an error: %v", err)
	}
	// The dead member cannot be reached: CONNECTION_FAILED, not a hang.
	_, err := a.Do(time.Minute, "direct-open %s 30", b.Identity)
	if err == nil || !strings.Contains(err.Error(), "failed") {
		t.Errorf("direct-open to the killed member: %v, want a DIRECT_CONNECTION CONNECTION_FAILED", err)
	}
	t.Logf("direct-open to the killed member: %v", err)
	ac, _ := openDirect(t, a, c)
	a.OK("send %d 200 65536", ac)
	c.OK("recv 200 30")
}

// TestDirectBadInputs: PeerGroupSendData and CloseDirectConnection with an
// unknown, closed or other group's connection id, a NULL type or more
// than 1 MiB of data fail with the documented HRESULT; the limits
// themselves (0 bytes, exactly 1 MiB) work.
func TestDirectBadInputs(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "bad inputs", 1)
	a, b := g.Members[0], g.Members[1]
	ab, ba := openDirect(t, a, b)

	a.Fails(hrConnectionNotFound, "sendone 12345 10")
	a.Fails(hrConnectionNotFound, "direct-close 12345")
	a.Fails(hrInvalidArg, "sendone %d 10 null", ab)
	a.Fails(hrInvalidArg, "sendone %d %d", ab, maxData+1)
	a.OK("sendone %d %d", ab, maxData)
	a.OK("sendone %d 0", ab)
	if out := b.OK("recv 2 20"); field(t, out, "max") != 1 || field(t, out, "zero") != 1 {
		t.Fatalf("want one 1 MiB and one empty message: %s", out)
	}

	// A second group of the same process does not know the first one's
	// connection.
	other := a.OK("create second group")
	a.OK("connect")
	a.OK("use 1")
	a.Fails(hrConnectionNotFound, "sendone %d 10", ab)
	a.Fails(hrConnectionNotFound, "direct-close %d", ab)
	a.OK("use 0")

	a.OK("direct-close %d", ab)
	a.OK("wait-direct %d disconnected 10", ab)
	b.OK("wait-direct %d disconnected 10", ba)
	a.Fails(hrConnectionNotFound, "sendone %d 10", ab)
	a.Fails(hrConnectionNotFound, "direct-close %d", ab)
	b.Fails(hrConnectionNotFound, "sendone %d 10", ba)
	t.Logf("second group %s", other)
}

// TestDirectParallelSenders: four threads send at once, each on its own
// direct connection to the same member; every stream arrives whole and in
// order.
func TestDirectParallelSenders(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "parallel senders", 1)
	a, b := g.Members[0], g.Members[1]
	var ids []string
	for range 4 {
		ab, _ := openDirect(t, a, b)
		ids = append(ids, fmt.Sprint(ab))
	}
	const n = 500
	send := a.Send("send-parallel %d 262144 %s", n, strings.Join(ids, " "))
	out := b.OKWithin(2*time.Minute, "recv %d 100", 4*n)
	if got := field(t, out, "got"); got != 4*n {
		t.Fatalf("received %d, want %d", got, 4*n)
	}
	if _, err := a.Await(send, time.Minute); err != nil {
		t.Fatalf("send-parallel: %v", err)
	}
	conns := b.OK("connections 2")
	if n, _ := strconv.Atoi(strings.Fields(conns)[0]); n != 4 {
		t.Errorf("receiver lists %d direct connections, want 4: %s", n, conns)
	}
}

// TestNeighborConnectionData: PeerGroupSendData also works on a
// neighbour connection id (from PeerGroupEnumConnections); the receiver
// gets INCOMING_DATA under its own id for that neighbour connection.
func TestNeighborConnectionData(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "neighbour data", 1)
	a, b := g.Members[0], g.Members[1]
	conns := strings.Fields(a.OK("connections 1"))
	if len(conns) < 2 {
		t.Fatalf("no neighbour connection: %q", conns)
	}
	id := strings.Split(conns[1], ":")[1]
	a.OK("send %s 100 %d", id, maxData)
	out := b.OK("recv 100 30")
	if got := field(t, out, "got"); got != 100 {
		t.Fatalf("received %d messages on the neighbour connection, want 100", got)
	}
}
