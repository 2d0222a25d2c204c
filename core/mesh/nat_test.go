package mesh_test

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"p2p/core/event"
	"p2p/core/group"
	"p2p/core/mesh"
	"p2p/core/service"
)

// fullMesh waits until each of ms has a neighbour connection to every
// other and returns their nodes.
func fullMesh(t *testing.T, ms []*member) []*mesh.Node {
	t.Helper()
	nodes := make([]*mesh.Node, len(ms))
	waitFor(t, 20*time.Second, "a full mesh", func() bool {
		for i, m := range ms {
			nodes[i], _ = m.g.Engine().Network().(*mesh.Node)
			if nodes[i] == nil || len(nodes[i].Neighbors()) != len(ms)-1 {
				return false
			}
		}
		return true
	})
	return nodes
}

// receiver collects the messages of one direct connection, each carrying
// its sequence number, and checks their order.
type receiver struct {
	t    *testing.T
	reg  *service.Registration
	conn uint64 // learnt from DIRECT_CONNECTION when 0
	next uint32
}

func (r *receiver) pump() {
	for {
		e, ok := r.reg.Next()
		if !ok {
			return
		}
		switch e.Type {
		case event.DirectConnection:
			if e.Connection.Status == event.Connected && r.conn == 0 {
				r.conn = e.Connection.ConnectionID
			}
		case event.IncomingData:
			if e.Data.ConnectionID != r.conn {
				continue
			}
			if seq := binary.BigEndian.Uint32(e.Data.Data); seq != r.next {
				r.t.Errorf("message %d arrived when %d was due", seq, r.next)
			}
			r.next++
			e.Release()
		}
	}
}

func message(seq uint32) []byte {
	b := make([]byte, 1000)
	binary.BigEndian.PutUint32(b, seq)
	return b
}

// TestRelayAndMove: a direct connection through a relay member carries
// messages both ways; a punch then moves it to a direct path while both
// sides keep sending, and every message arrives once and in order, with
// no disconnect. PeerGroupEnumConnections shows the relay, then the
// direct path. The relay's session ends once nothing uses it.
func TestRelayAndMove(t *testing.T) {
	ms := newGroup(t, 2)
	nodes := fullMesh(t, ms)
	r, a, b := ms[0], ms[1], ms[2]
	sub := func(m *member) *service.Registration {
		reg, err := m.g.Subscribe([]event.Filter{{Type: event.DirectConnection}, {Type: event.IncomingData}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	atB := &receiver{t: t, reg: sub(b)}
	atA := &receiver{t: t, reg: sub(a)}
	bName := b.g.Identity().PeerName
	id, err := nodes[1].OpenRelayedDirect(bName)
	if err != nil {
		t.Fatal(err)
	}
	atA.conn = id
	waitFor(t, 10*time.Second, "B to accept", func() bool { atB.pump(); return atB.conn != 0 })
	path := func() group.Connection {
		for _, c := range nodes[1].Connections(group.ConnectionDirect) {
			if c.ConnectionID == id {
				return c
			}
		}
		t.Fatal("connection not listed")
		return group.Connection{}
	}
	c := path()
	if c.Flags&group.ConnectionRelayed == 0 || c.Relay != r.g.Identity().PeerName {
		t.Fatalf("listed as %+v, want relayed through %s", c, r.g.Identity().PeerName)
	}
	var seqA, seqB uint32
	send := func(n int) {
		for range n {
			if err := a.g.SendData(id, recType, message(seqA)); err != nil {
				t.Fatalf("A: %v", err)
			}
			seqA++
			if err := b.g.SendData(atB.conn, recType, message(seqB)); err != nil {
				t.Fatalf("B: %v", err)
			}
			seqB++
		}
	}
	send(200)
	waitFor(t, 10*time.Second, "messages through the relay", func() bool {
		atA.pump()
		atB.pump()
		return atB.next == seqA && atA.next == seqB
	})
	if nodes[0].RelaySessions() != 1 {
		t.Fatalf("relay holds %d sessions, want 1", nodes[0].RelaySessions())
	}

	// Both keep sending while A moves the connection.
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for {
			select {
			case <-stop:
				return
			default:
			}
			send(10)
			time.Sleep(time.Millisecond)
		}
	}()
	moved, err := nodes[1].UpgradeNow(bName)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	<-sent
	if err != nil || moved != 1 {
		t.Fatalf("upgrade moved %d connections: %v", moved, err)
	}
	waitFor(t, 10*time.Second, "every message", func() bool {
		atA.pump()
		atB.pump()
		return atB.next == seqA && atA.next == seqB
	})
	t.Logf("%d and %d messages arrived in order across the move", seqA, seqB)
	c = path()
	if c.Flags&group.ConnectionRelayed != 0 || c.Relay != "" || c.Address.Port() != nodes[2].Addresses()[0].Port() {
		t.Fatalf("after the move listed as %+v, want direct to %v", c, nodes[2].Addresses())
	}
	send(100)
	waitFor(t, 10*time.Second, "messages on the direct path", func() bool {
		atA.pump()
		atB.pump()
		return atB.next == seqA && atA.next == seqB
	})
	waitFor(t, 40*time.Second, "the relay session to end", func() bool { return nodes[0].RelaySessions() == 0 })
	for _, e := range []*receiver{atA, atB} {
		e.pump()
	}
	if err := a.g.CloseDirectConnection(id); err != nil {
		t.Fatal(err)
	}
}

// TestRelayRefusals: a member that turned relaying off refuses, and a
// relay refuses a target that is not a member.
func TestRelayRefusals(t *testing.T) {
	ms := newGroup(t, 2)
	nodes := fullMesh(t, ms)
	if _, err := nodes[1].OpenRelayedDirect(fmt.Sprintf("%040x.", 7)); err == nil {
		t.Fatal("relayed to a non-member")
	}
	if nodes[0].RelaySessions() != 0 {
		t.Fatal("a session was set up for a non-member")
	}
}
