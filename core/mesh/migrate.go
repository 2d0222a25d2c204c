package mesh

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quic-go/quic-go"

	"p2p/core/peererr"
	"p2p/core/wire"
)

// Moving a direct connection from a relayed link to a direct one, without
// the application seeing a disconnect. QUIC's own connection migration
// cannot do it: quic-go migrates a client to another local socket but
// never to another remote address, and the relayed and direct paths reach
// the other member at different addresses. So the move is done one level
// up, at a message boundary, on each direction independently:
//
//	mover:    DirectOpen{DirectResume, Resume: the other side's id} on a new stream of the new link
//	accepter: DirectOpen answer on it
//	each side: finishes writing on the old stream, writes DirectMoved there, writes later messages on the new one
//	each reader: reads the old stream up to DirectMoved, then the new one
//
// so every message arrives once and in order.

// upgrade punches, a few times, toward the member a relayed link
// reaches, and moves the link's direct connections onto the first direct
// link a punch opens.
func (n *Node) upgrade(relayed *neighbor, peer string) {
	if !relayed.natCap {
		return
	}
	for _, wait := range upgradeAfter {
		select {
		case <-time.After(wait):
		case <-relayed.conn.Context().Done():
			return
		case <-n.ctx.Done():
			return
		}
		link, err := n.punch(n.ctx, peer, 0)
		if err != nil {
			n.log.Debug("punch to leave the relay failed", "peer", peer, "err", err)
			continue
		}
		moved := n.moveDirects(relayed, link)
		n.log.Info("moved off the relay", "peer", peer, "addr", link.addr, "connections", moved)
		n.releaseLink(link) // the punch's own reference; moved connections hold theirs
		return
	}
}

// moveDirects moves every direct connection on from to to and returns
// how many moved.
func (n *Node) moveDirects(from, to *neighbor) int {
	n.mu.Lock()
	var ds []*direct
	for _, d := range n.directs {
		if d.link == from {
			ds = append(ds, d)
		}
	}
	n.mu.Unlock()
	moved := 0
	for _, d := range ds {
		if err := n.migrate(d, to); err != nil {
			n.log.Info("direct connection not moved", "conn", d.id, "err", err)
			continue
		}
		moved++
	}
	return moved
}

// migrate moves d onto link to.
func (n *Node) migrate(d *direct, to *neighbor) error {
	ctx, cancel := context.WithTimeout(n.ctx, directTimeout)
	defer cancel()
	s, err := to.conn.OpenStreamSync(ctx)
	if err != nil {
		return fmt.Errorf("open stream: %v: %w", err, peererr.ErrConnectionFailed)
	}
	s.SetDeadline(time.Now().Add(directTimeout))
	br := bufio.NewReader(s)
	err = wire.WriteFrame(s, wire.TDirectOpen, (&wire.DirectOpen{ConnectionID: d.id, Flags: wire.DirectResume, Resume: d.peerID}).Encode())
	var t wire.Type
	var payload []byte
	if err == nil {
		t, payload, err = wire.ReadFrame(br, 64)
	}
	if err == nil && t != wire.TDirectOpen {
		err = errors.New("unexpected answer")
	}
	if err == nil {
		_, err = wire.DecodeDirectOpen(payload)
	}
	if err != nil {
		s.CancelRead(0)
		s.CancelWrite(0)
		return fmt.Errorf("resume refused: %v: %w", err, peererr.ErrConnectionRefused)
	}
	s.SetDeadline(time.Time{})
	return n.switchStream(d, s, br, to)
}

// resumeDirect accepts a connection moved onto link: the stream s names
// it by this side's id.
func (n *Node) resumeDirect(link *neighbor, s *quic.Stream, br *bufio.Reader, open *wire.DirectOpen) {
	n.mu.Lock()
	d := n.directs[open.Resume]
	ok := d != nil && !d.neighborData && d.link.peer == link.peer && link.natCap
	n.mu.Unlock()
	if !ok {
		s.CancelRead(0)
		s.CancelWrite(0)
		return
	}
	if err := wire.WriteFrame(s, wire.TDirectOpen, (&wire.DirectOpen{ConnectionID: d.id}).Encode()); err != nil {
		s.CancelRead(0)
		s.CancelWrite(0)
		return
	}
	s.SetDeadline(time.Time{})
	if err := n.switchStream(d, s, br, link); err != nil {
		n.log.Info("direct connection not resumed", "conn", d.id, "err", err)
	}
}

// switchStream makes s d's stream: once no flush runs, DirectMoved ends
// the old stream, later sends go to s, and d's reader continues on br
// when it reaches DirectMoved.
func (n *Node) switchStream(d *direct, s *quic.Stream, br *bufio.Reader, to *neighbor) error {
	d.wmu.Lock()
	for d.flushing != nil {
		f := d.flushing
		d.wmu.Unlock()
		<-f
		d.wmu.Lock()
	}
	if d.closed || d.werr != nil {
		d.wmu.Unlock()
		s.CancelRead(0)
		s.CancelWrite(0)
		return fmt.Errorf("connection %d closed: %w", d.id, peererr.ErrConnectionNotFound)
	}
	old := d.stream
	old.SetWriteDeadline(time.Now().Add(directTimeout))
	wire.WriteFrame(old, wire.TDirectMoved, nil)
	old.Close()
	d.stream = s
	d.wmu.Unlock()
	n.mu.Lock()
	from := d.link
	d.link = to
	if to.directOnly && to.dialed {
		to.refs++
	}
	n.mu.Unlock()
	select {
	case d.moved <- br:
	default:
	}
	n.releaseLink(from)
	return nil
}

// awaitMove returns the reader of the stream d moved to, once its reader
// met DirectMoved on the old one; nil if none comes.
func (d *direct) awaitMove() *bufio.Reader {
	t := time.NewTimer(directTimeout)
	defer t.Stop()
	select {
	case br := <-d.moved:
		return br
	case <-t.C:
		return nil
	case <-d.n.ctx.Done():
		return nil
	}
}
