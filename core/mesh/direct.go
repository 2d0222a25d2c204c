package mesh

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/quic-go/quic-go"

	"p2p/core/event"
	"p2p/core/group"
	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/wire"
)

// Direct connections are QUIC streams between two members, over a
// neighbour connection when there is one to that member and otherwise
// over a connection opened for direct traffic only (authenticated the same
// way). Each PeerGroupSendData call is one Data frame on the stream:
// delivered whole, once and in order.
//
// SendData frames the message into the connection's send buffer and
// returns (a small message on an idle stream goes straight to QUIC's own
// buffer); a goroutine hands the buffer to the stream, so an application
// thread never waits on QUIC for each message and many small messages go
// out in one write. A slow receiver stops reading (its event queue is
// bounded), QUIC flow control fills, the send buffer fills, and SendData
// waits: memory stays bounded on both sides.

// MaxPendingDirects bounds the direct connections a group is opening at
// once (PeerGroupOpenDirectConnection calls whose DIRECT_CONNECTION event
// has not come yet). A call beyond it fails at once with E_OUTOFMEMORY,
// the code Windows documents for the function, instead of each holding
// dials, punches and relay requests to a member that may never answer.
// Attempts to the same member share one search for a path to it.
const MaxPendingDirects = 64

const (
	directTimeout = 10 * time.Second
	maxLinks      = 64 // direct-only connections

	// sendBuffer is how many framed bytes a direct connection holds for
	// the stream before SendData waits.
	sendBuffer = 1 << 20
	// keptBuffer is the largest send buffer kept once a connection goes
	// quiet.
	keptBuffer = 64 << 10
	// directWriteMax is the largest message SendData writes to an idle
	// stream itself.
	directWriteMax = 8 << 10
)

// direct is one direct connection.
type direct struct {
	n            *Node
	id           uint64
	peerID       uint64             // the other side's id for it, when known
	link         *neighbor          // Node.mu; changes when the connection moves (migrate.go)
	stream       *quic.Stream       // wmu; changes when the connection moves
	neighborData bool               // carries SendData on a neighbour connection
	moved        chan *bufio.Reader // the stream to read once the old one ended with DirectMoved

	wmu      sync.Mutex
	pending  []byte        // framed messages not yet given to the stream
	spare    []byte        // the buffer the stream had last, for reuse
	flushing chan struct{} // while a flush runs; closed when it ends
	room     chan struct{} // while a sender waits; closed when pending is taken
	werr     error         // the stream's write error, once it failed
	lastSend time.Time     // when send last gave a message to the stream itself
	closed   bool

	once sync.Once
}

// OpenDirect starts opening a direct connection to a member and returns
// its id at once; DIRECT_CONNECTION reports CONNECTED or
// CONNECTION_FAILED for that id. addr, if valid, is where to reach it.
func (n *Node) OpenDirect(peerName string, addr netip.AddrPort) (uint64, error) {
	if _, _, err := peername.Parse(peerName); err != nil {
		return 0, fmt.Errorf("open direct connection: %v: %w", err, peererr.ErrInvalidArg)
	}
	if peerName == n.e.Identity().PeerName {
		return 0, fmt.Errorf("open direct connection to itself: %w", peererr.ErrConnectSelf)
	}
	select {
	case n.opening <- struct{}{}:
	default:
		return 0, fmt.Errorf("open direct connection: %d attempts pending: %w", MaxPendingDirects, peererr.ErrOutOfMemory)
	}
	id := n.connIDs.Add(1)
	n.run(func() {
		d, err := n.establish(id, peerName, addr)
		<-n.opening // free before the event, so that its handler may open again
		if err != nil {
			n.log.Info("direct connection failed", "peer", peerName, "conn", id, "err", err)
			n.e.Bus().Publish(event.Event{Type: event.DirectConnection, Connection: event.ConnectionChange{
				Status: event.ConnectionFailedStatus, ConnectionID: id, FailedReason: peererr.HResult(err)}})
			return
		}
		n.raiseDirect(event.Connected, d)
	})
	return id, nil
}

// establish opens the stream of direct connection id.
func (n *Node) establish(id uint64, peerName string, addr netip.AddrPort) (*direct, error) {
	link, err := n.linkTo(peerName, addr)
	if err != nil {
		return nil, err
	}
	return n.openStream(link, id, 0)
}

// openStream opens a direct stream on link and waits for the peer's
// answer.
func (n *Node) openStream(link *neighbor, id uint64, flags uint32) (*direct, error) {
	ctx, cancel := context.WithTimeout(n.ctx, directTimeout)
	defer cancel()
	s, err := link.conn.OpenStreamSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("open stream: %v: %w", err, peererr.ErrConnectionFailed)
	}
	s.SetDeadline(time.Now().Add(directTimeout))
	br := bufio.NewReader(s)
	if err := wire.WriteFrame(s, wire.TDirectOpen, (&wire.DirectOpen{ConnectionID: id, Flags: flags}).Encode()); err != nil {
		s.CancelRead(0)
		s.CancelWrite(0)
		return nil, fmt.Errorf("open direct connection: %v: %w", err, peererr.ErrConnectionFailed)
	}
	t, payload, err := wire.ReadFrame(br, 64)
	if err == nil && t != wire.TDirectOpen {
		err = errors.New("unexpected answer")
	}
	var answer *wire.DirectOpen
	if err == nil {
		answer, err = wire.DecodeDirectOpen(payload)
	}
	if err != nil {
		s.CancelRead(0)
		s.CancelWrite(0)
		return nil, fmt.Errorf("direct connection refused: %v: %w", err, peererr.ErrConnectionRefused)
	}
	s.SetDeadline(time.Time{})
	d := &direct{n: n, id: id, peerID: answer.ConnectionID, link: link, stream: s,
		neighborData: flags&wire.DirectNeighborData != 0, moved: make(chan *bufio.Reader, 1)}
	if !n.addDirect(d) {
		s.CancelRead(0)
		s.CancelWrite(0)
		return nil, fmt.Errorf("group going offline: %w", peererr.ErrConnectionFailed)
	}
	n.run(func() { d.readLoop(br) })
	return d, nil
}

// acceptStreams takes the direct streams a member opens on link.
func (n *Node) acceptStreams(link *neighbor) {
	for {
		s, err := link.conn.AcceptStream(n.ctx)
		if err != nil {
			return
		}
		n.run(func() { n.acceptDirect(link, s) })
	}
}

func (n *Node) acceptDirect(link *neighbor, s *quic.Stream) {
	s.SetDeadline(time.Now().Add(directTimeout))
	br := bufio.NewReader(s)
	t, payload, err := wire.ReadFrame(br, 64)
	var open *wire.DirectOpen
	if err == nil && t == wire.TDirectOpen {
		open, err = wire.DecodeDirectOpen(payload)
	}
	if err != nil || open == nil {
		s.CancelRead(0)
		s.CancelWrite(0)
		return
	}
	if open.Flags&wire.DirectResume != 0 {
		n.resumeDirect(link, s, br, open)
		return
	}
	d := &direct{n: n, peerID: open.ConnectionID, link: link, stream: s,
		neighborData: open.Flags&wire.DirectNeighborData != 0, moved: make(chan *bufio.Reader, 1)}
	if d.neighborData {
		d.id = link.id
	} else {
		d.id = n.connIDs.Add(1)
	}
	if err := wire.WriteFrame(s, wire.TDirectOpen, (&wire.DirectOpen{ConnectionID: d.id}).Encode()); err != nil {
		s.CancelRead(0)
		return
	}
	s.SetDeadline(time.Time{})
	if !n.addDirect(d) {
		s.CancelRead(0)
		s.CancelWrite(0)
		return
	}
	n.raiseDirect(event.Connected, d)
	d.readLoop(br)
}

func (n *Node) addDirect(d *direct) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	if d.neighborData {
		return true // inbound: reads only; outbound: kept by neighborStream
	}
	n.directs[d.id] = d
	return true
}

func (n *Node) raiseDirect(status uint32, d *direct) {
	if d.neighborData {
		return
	}
	n.e.Bus().Publish(event.Event{Type: event.DirectConnection, Connection: event.ConnectionChange{
		Status: status, ConnectionID: d.id, NodeID: d.link.nodeID}})
}

// readLoop delivers each Data frame as an INCOMING_DATA event, waiting
// while the application's queues are full.
func (d *direct) readLoop(br *bufio.Reader) {
	for {
		t, payload, err := wire.ReadFrameInto(br, wire.MaxFrame, d.n.payloads.get)
		if err != nil {
			d.close(false)
			return
		}
		switch t {
		case wire.TData:
			m, err := wire.DecodeData(payload)
			if err != nil {
				d.close(false)
				return
			}
			ev := event.NewIncomingData(d.id, uuid.UUID(m.Type), m.Data, payload, d.n.payloads.put)
			if d.n.e.Bus().PublishData(d.n.ctx, ev) != nil {
				d.close(false)
				return
			}
		case wire.TDirectClose:
			d.close(false)
			return
		case wire.TDirectMoved:
			if br = d.awaitMove(); br == nil {
				d.close(false)
				return
			}
		default:
			d.close(false)
			return
		}
	}
}

// send frames one message into the send buffer, waiting while the buffer
// is full, and starts a flush if none is running.
func (d *direct) send(typ uuid.UUID, data []byte) error {
	woke, err := d.enqueue(typ, data)
	if woke {
		// The message woke the connection's sender goroutine, which the
		// Go scheduler queues on this thread's P to run next. A caller
		// that is a C thread returns to C and leaves it there, and
		// another thread takes it only after a wait (runqgrab's 3 us
		// sleep, 50 us and more with Linux's timer slack): a ping-pong
		// paid that on every message. Yielding runs it now.
		runtime.Gosched()
	}
	return err
}

// senderIdle is how long a connection must have sent nothing for a small
// message to yield after it. After such a pause the sender goroutine is
// asleep and, on an idle machine, waiting for the scheduler to steal it
// costs more than the yield (bench/direct, idle: ping-pong p50 156 ->
// 72 us). Messages closer together find it awake or just woken, as in an
// exchange on a busy machine (p50 about 45 us either way) or a stream of
// messages, for which yielding after each would cost most of its rate.
const senderIdle = 60 * time.Microsecond

// enqueue is send but the yield: it reports whether the message went to
// the stream after it had been idle for senderIdle. data may be the
// application's memory, whose read can fault (a panic the C boundary
// recovers), so wmu is released by defer.
func (d *direct) enqueue(typ uuid.UUID, data []byte) (woke bool, err error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	for !d.closed && d.werr == nil && len(d.pending) >= sendBuffer {
		if d.room == nil {
			d.room = make(chan struct{})
		}
		room := d.room
		d.wmu.Unlock()
		<-room
		d.wmu.Lock()
	}
	if d.closed || d.werr != nil {
		return false, fmt.Errorf("send on connection %d: closed: %w", d.id, peererr.ErrConnectionNotFound)
	}
	if d.flushing == nil && len(data) <= directWriteMax {
		// Nothing queued before it: a small message goes to the stream at
		// once if flow control allows, without waking a flush.
		d.spare = wire.AppendDataFrame(d.spare[:0], typ, data)
		err := d.stream.TryWriteAll(d.spare)
		if err == nil {
			now := time.Now()
			woke = now.Sub(d.lastSend) > senderIdle
			d.lastSend = now
			return woke, nil
		}
		if !errors.Is(err, quic.ErrWouldBlock) {
			d.werr = err
			d.n.run(func() { d.close(false) }) // close takes wmu
			return false, fmt.Errorf("send on connection %d: %v: %w", d.id, err, peererr.ErrConnectionNotFound)
		}
	}
	d.pending = wire.AppendDataFrame(d.pending, typ, data)
	if d.flushing == nil {
		d.flushing = make(chan struct{})
		d.n.run(d.flush)
	}
	return false, nil
}

// flush writes the send buffer to the stream until it stays empty; a
// write error closes the connection.
func (d *direct) flush() {
	d.wmu.Lock()
	for len(d.pending) > 0 {
		buf := d.pending
		d.pending, d.spare = d.spare[:0], nil
		d.wakeSenders()
		s := d.stream
		d.wmu.Unlock()
		_, err := s.Write(buf)
		d.wmu.Lock()
		d.spare = buf[:0]
		if err != nil {
			d.werr = err
			d.pending = nil
			break
		}
	}
	if cap(d.pending) > keptBuffer || cap(d.spare) > keptBuffer {
		d.pending, d.spare = nil, nil
	}
	failed := d.werr != nil
	close(d.flushing)
	d.flushing = nil
	d.wakeSenders()
	d.wmu.Unlock()
	if failed {
		d.close(false)
	}
}

// wakeSenders lets senders waiting for room try again. d.wmu is held.
func (d *direct) wakeSenders() {
	if d.room != nil {
		close(d.room)
		d.room = nil
	}
}

// close ends the direct connection once; local closes send what is
// buffered, then tell the peer.
func (d *direct) close(local bool) {
	d.once.Do(func() {
		d.wmu.Lock()
		d.closed = true
		flushing := d.flushing
		d.wakeSenders()
		s := d.stream
		d.wmu.Unlock()
		if local {
			s.SetWriteDeadline(time.Now().Add(directTimeout))
			if flushing != nil {
				<-flushing
			}
			wire.WriteFrame(s, wire.TDirectClose, nil)
			s.Close()
		} else {
			s.CancelWrite(0)
		}
		s.CancelRead(0)
		n := d.n
		n.mu.Lock()
		if n.directs[d.id] == d {
			delete(n.directs, d.id)
		}
		link := d.link
		if link.dataOut == d {
			link.dataOut = nil
		}
		n.mu.Unlock()
		n.raiseDirect(event.Disconnected, d)
		n.releaseLink(link)
	})
}

// SendData sends one message on a direct or neighbour connection.
func (n *Node) SendData(id uint64, typ uuid.UUID, data []byte) error {
	if len(data) > group.MaxData {
		return fmt.Errorf("%d bytes exceed the %d-byte message limit: %w", len(data), group.MaxData, peererr.ErrInvalidArg)
	}
	n.mu.Lock()
	d := n.directs[id]
	nb := n.neighbors[id]
	n.mu.Unlock()
	if d == nil && nb != nil {
		var err error
		if d, err = n.neighborStream(nb); err != nil {
			return err
		}
	}
	if d == nil {
		return fmt.Errorf("connection %d: %w", id, peererr.ErrConnectionNotFound)
	}
	return d.send(typ, data)
}

// neighborStream returns the stream carrying SendData to a neighbour,
// opening it on first use.
func (n *Node) neighborStream(nb *neighbor) (*direct, error) {
	nb.dataMu.Lock()
	defer nb.dataMu.Unlock()
	n.mu.Lock()
	d := nb.dataOut
	n.mu.Unlock()
	if d != nil {
		return d, nil
	}
	d, err := n.openStream(nb, nb.id, wire.DirectNeighborData)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	nb.dataOut = d
	n.mu.Unlock()
	return d, nil
}

// CloseDirect closes a direct connection; both sides get
// DIRECT_CONNECTION with PEER_DISCONNECTED.
func (n *Node) CloseDirect(id uint64) error {
	n.mu.Lock()
	d := n.directs[id]
	n.mu.Unlock()
	if d == nil {
		return fmt.Errorf("connection %d: %w", id, peererr.ErrConnectionNotFound)
	}
	d.close(true)
	return nil
}

// linkTo finds or makes an authenticated connection to a member: a
// neighbour or direct-only connection already there, else a new
// direct-only one to addr or to the addresses its presence announces.
func (n *Node) linkTo(peerName string, addr netip.AddrPort) (*neighbor, error) {
	n.mu.Lock()
	var found *neighbor
	for _, set := range []map[uint64]*neighbor{n.neighbors, n.links} {
		for _, nb := range set {
			if nb.peer == peerName && (!addr.IsValid() || nb.addr == addr) && (found == nil || n.isRelayAddr(found.addr)) {
				found = nb // a direct path rather than a relayed one
			}
		}
	}
	if found != nil && found.directOnly {
		found.refs++
	}
	n.mu.Unlock()
	if found != nil {
		return found, nil
	}
	if !n.e.IsMember(peerName) {
		return nil, fmt.Errorf("%s is not a member of the group: %w", peerName, peererr.ErrNotAuthorized)
	}
	addrs := n.e.MemberAddresses(peerName)
	if addr.IsValid() {
		addrs = []netip.AddrPort{addr}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s is not online: %w", peerName, peererr.ErrConnectionFailed)
	}
	return n.reachShared(peerName, addrs, addr)
}

// reaching is one search for a link to a member that concurrent direct
// connections to it share.
type reaching struct {
	done chan struct{} // closed once link and err are set
	link *neighbor
	err  error
}

// reachShared runs reach for peer (at addr, if valid), or waits for the
// one already running and takes a reference on the link it found.
func (n *Node) reachShared(peer string, addrs []netip.AddrPort, addr netip.AddrPort) (*neighbor, error) {
	key := peer + " " + addr.String()
	n.mu.Lock()
	if r := n.reaching[key]; r != nil {
		n.mu.Unlock()
		<-r.done
		if r.err != nil {
			return nil, r.err
		}
		n.mu.Lock()
		if r.link.directOnly {
			r.link.refs++
		}
		n.mu.Unlock()
		return r.link, nil
	}
	r := &reaching{done: make(chan struct{})}
	n.reaching[key] = r
	n.mu.Unlock()
	r.link, r.err = n.reach(peer, addrs, !addr.IsValid())
	n.mu.Lock()
	delete(n.reaching, key)
	n.mu.Unlock()
	close(r.done)
	return r.link, r.err
}

// dialLink opens a direct-only connection to the member peerName at a,
// with a context and QUIC configuration.
func (n *Node) dialLink(ctx context.Context, a netip.AddrPort, peerName string, conf *quic.Config) (*neighbor, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := n.tr.Dial(ctx, net.UDPAddrFromAddrPort(a), n.tlsConfig(), conf)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %v: %w", a, err, peererr.ErrConnectionFailed)
	}
	nb, _, err := n.clientHandshake(ctx, conn, a, wire.HelloDirectOnly)
	if err != nil {
		return nil, err
	}
	if nb.peer != peerName {
		conn.CloseWithError(codeRefused, "")
		return nil, fmt.Errorf("%s is %s, not %s: %w", a, nb.peer, peerName, peererr.ErrConnectionRefused)
	}
	nb.directOnly = true
	nb.refs = 1
	if !n.addLink(nb) {
		conn.CloseWithError(codeBusy, "")
		return nil, fmt.Errorf("too many direct connections: %w", peererr.ErrConnectionFailed)
	}
	return nb, nil
}

// addLink registers a direct-only connection and watches it.
func (n *Node) addLink(nb *neighbor) bool {
	n.mu.Lock()
	if n.closed || len(n.links) >= maxLinks {
		n.mu.Unlock()
		return false
	}
	n.links[nb.id] = nb
	n.mu.Unlock()
	nb.stream.Close()
	n.run(func() { n.acceptStreams(nb) })
	n.run(nb.watchCredential)
	n.run(func() {
		select {
		case <-nb.conn.Context().Done():
		case <-n.ctx.Done():
		}
		n.mu.Lock()
		delete(n.links, nb.id)
		n.mu.Unlock()
		nb.close(nil)
	})
	return true
}

// releaseLink closes a direct-only connection this side opened once its
// last direct connection is gone.
func (n *Node) releaseLink(nb *neighbor) {
	n.mu.Lock()
	last := false
	if nb.directOnly && nb.dialed {
		nb.refs--
		last = nb.refs <= 0
	}
	n.mu.Unlock()
	if last {
		n.run(func() {
			select {
			case <-time.After(time.Second):
			case <-n.ctx.Done():
				return // shutdown closes every link
			}
			n.mu.Lock()
			still := nb.refs <= 0
			n.mu.Unlock()
			if still {
				nb.conn.CloseWithError(codeClosed, "")
			}
		})
	}
}
