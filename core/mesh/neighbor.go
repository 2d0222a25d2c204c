package mesh

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/peererr"
	"p2p/core/record"
	"p2p/core/wire"
)

// QUIC application error codes a member closes connections with.
const (
	codeClosed    quic.ApplicationErrorCode = 0
	codeBusy      quic.ApplicationErrorCode = 1
	codeRefused   quic.ApplicationErrorCode = 2
	codeDuplicate quic.ApplicationErrorCode = 3
	codeProtocol  quic.ApplicationErrorCode = 4
)

var errDuplicate = errors.New("duplicate connection to the same node")

// Queue bounds per neighbour.
const (
	// maxQueued bounds the bytes waiting to be written to one neighbour.
	// A flood beyond it is dropped for that neighbour and healed by a
	// reconciliation once the queue drains; responses wait for room.
	maxQueued = 16 << 20
	// recordsFrame is the size at which record batches are cut into
	// frames.
	recordsFrame = 1 << 20
	maxTasks     = 1024
	// storeAhead bounds the verified batches (frames of records) waiting
	// to be stored: verification runs that far ahead of a slow disk, and
	// the batches waiting go into one transaction.
	storeAhead = 8
)

// neighbor is one authenticated connection to another member: a control
// stream carrying floods and reconciliation.
type neighbor struct {
	n      *Node
	conn   *quic.Conn
	stream *quic.Stream
	id     uint64 // connection id
	nodeID uint64
	peer   string // identity peer name
	addr   netip.AddrPort
	dialed bool
	// announced are the addresses the peer gave in its handshake.
	announced []netip.AddrPort
	natCap    bool // the peer speaks the NAT-traversal messages (HelloNAT / CapNAT)

	validTo    filetime.FILETIME // when the peer's credential ends
	directOnly bool              // carries direct connections only
	refs       int               // direct connections using a direct-only link (Node.mu)
	dataOut    *direct           // stream for SendData on this neighbour (Node.mu)
	dataMu     sync.Mutex        // serialises opening dataOut

	mu          sync.Mutex
	cond        *sync.Cond
	queue       [][]byte // encoded frames
	queued      int
	writing     bool
	ending      bool // finish: end the stream once the queue is written
	resync      bool
	sentMembers map[string]bool
	closed      bool
	closeErr    error

	// Received records are verified by readLoop, one frame's batch at a
	// time, and stored by storeLoop, every batch waiting in one
	// transaction; storing counts batches handed over and not yet stored.
	stores      chan checkedBatch // at most storeAhead batches
	storing     sync.WaitGroup
	lastChecked *group.Checked // readLoop's

	tasks       chan func()
	syncReplies chan *wire.RangeReply
	barrierAcks chan uint64
	done        chan struct{}
}

func (n *Node) newNeighbor(conn *quic.Conn, s *quic.Stream, peer string, nodeID uint64, dialed bool) *neighbor {
	nb := &neighbor{
		n: n, conn: conn, stream: s, id: n.connIDs.Add(1), nodeID: nodeID, peer: peer, dialed: dialed,
		addr:        addrPort(conn.RemoteAddr()),
		sentMembers: make(map[string]bool),
		stores:      make(chan checkedBatch, storeAhead),
		tasks:       make(chan func(), maxTasks),
		syncReplies: make(chan *wire.RangeReply, 1),
		barrierAcks: make(chan uint64, 1),
		done:        make(chan struct{}),
	}
	nb.cond = sync.NewCond(&nb.mu)
	return nb
}

func addrPort(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		ap := u.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

func (nb *neighbor) info() group.Connection {
	return group.Connection{Flags: group.ConnectionNeighbor, ConnectionID: nb.id, NodeID: nb.nodeID, PeerName: nb.peer, Address: nb.addr}
}

// ---- connection set-up ----

// dial connects to a candidate address and runs the client side of the
// handshake.
func (n *Node) dial(a netip.AddrPort) {
	err := n.connect(a)
	n.dialed(a, err)
	if err != nil && n.ctx.Err() == nil {
		n.stats.HandshakesFailed.Add(1)
		n.log.Debug("dial failed", "addr", a, "err", err)
		n.e.Bus().Publish(event.Event{Type: event.NeighborConnection, Connection: event.ConnectionChange{
			Status: event.ConnectionFailedStatus, FailedReason: peererr.HResult(err)}})
	}
}

func (n *Node) connect(a netip.AddrPort) error {
	ctx, cancel := context.WithTimeout(n.ctx, dialTimeout)
	defer cancel()
	conn, err := n.tr.Dial(ctx, net.UDPAddrFromAddrPort(a), n.tlsConfig(), quicConfig())
	if err != nil {
		return fmt.Errorf("dial %s: %v: %w", a, err, peererr.ErrConnectionFailed)
	}
	nb, br, err := n.clientHandshake(ctx, conn, a, 0)
	if err != nil {
		return err
	}
	return n.startNeighbor(nb, br)
}

// startNeighbor registers nb and starts its goroutines: reader, writer,
// responder and, on the dialling side, reconciliation.
func (n *Node) startNeighbor(nb *neighbor, br *bufio.Reader) error {
	if !n.addNeighbor(nb) {
		nb.conn.CloseWithError(codeDuplicate, "")
		return errDuplicate
	}
	n.log.Info("neighbour connected", "peer", nb.peer, "node", nb.nodeID, "addr", nb.addr, "conn", nb.id)
	n.run(func() { nb.readLoop(br) })
	n.run(nb.storeLoop)
	n.run(nb.writeLoop)
	n.run(nb.taskLoop)
	n.run(func() { n.acceptStreams(nb) })
	n.run(nb.watchCredential)
	if nb.dialed {
		n.run(nb.syncLoop)
	}
	return nil
}

// ---- sending ----

// enqueue adds a frame to the write queue. With wait it blocks while the
// queue is full; without, it reports false instead.
func (nb *neighbor) enqueue(t wire.Type, payload []byte, wait bool) bool {
	var frame []byte
	frame = appendFrame(frame, t, payload)
	nb.mu.Lock()
	defer nb.mu.Unlock()
	for !nb.closed && nb.queued+len(frame) > maxQueued && nb.queued > 0 {
		if !wait {
			return false
		}
		nb.cond.Wait()
	}
	if nb.closed {
		return false
	}
	nb.queue = append(nb.queue, frame)
	nb.queued += len(frame)
	nb.cond.Broadcast()
	return true
}

func appendFrame(b []byte, t wire.Type, payload []byte) []byte {
	var w frameBuf
	w.b = b
	wire.WriteFrame(&w, t, payload)
	return w.b
}

type frameBuf struct{ b []byte }

func (f *frameBuf) Write(p []byte) (int, error) { f.b = append(f.b, p...); return len(p), nil }

// sendRecords sends records in frames of about recordsFrame bytes, each
// preceded by the member records of signers this neighbour has not been
// sent yet, so that it can verify them.
func (nb *neighbor) sendRecords(recs []*record.Record, wait bool) bool {
	var batch [][]byte
	size := 0
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		ok := nb.enqueue(wire.TRecords, (&wire.Records{Records: batch}).Encode(), wait)
		batch, size = nil, 0
		return ok
	}
	add := func(r *record.Record) bool {
		b, err := r.MarshalBinary()
		if err != nil {
			return true
		}
		if size+len(b) > recordsFrame && !flush() {
			return false
		}
		batch = append(batch, b)
		size += len(b)
		return true
	}
	for _, r := range recs {
		if m := nb.memberRecordFor(r); m != nil && !add(m) {
			return false
		}
		if !add(r) {
			return false
		}
	}
	return flush()
}

// memberRecordFor returns the member record of r's signer if this
// neighbour has not been sent it on this connection.
func (nb *neighbor) memberRecordFor(r *record.Record) *record.Record {
	if r.Type == group.MemberType {
		nb.mu.Lock()
		nb.sentMembers[r.ModifiedByID] = true
		nb.mu.Unlock()
		return nil
	}
	nb.mu.Lock()
	sent := nb.sentMembers[r.ModifiedByID]
	nb.sentMembers[r.ModifiedByID] = true
	nb.mu.Unlock()
	if sent {
		return nil
	}
	m, err := nb.n.e.MemberRecord(r.ModifiedByID)
	if err != nil {
		return nil
	}
	return m
}

// flood forwards new records without ever blocking the publisher; if the
// neighbour is too slow, the records are dropped for it and a
// reconciliation is scheduled instead.
func (nb *neighbor) flood(recs []*record.Record) {
	if !nb.sendRecords(recs, false) {
		nb.n.stats.FloodDropped.Add(1)
		nb.mu.Lock()
		nb.resync = true
		nb.mu.Unlock()
	}
}

// writeLoop writes queued frames, flushing when the queue runs dry.
func (nb *neighbor) writeLoop() {
	bw := bufio.NewWriterSize(nb.stream, 64<<10)
	for {
		nb.mu.Lock()
		for len(nb.queue) == 0 && !nb.closed && !nb.ending {
			nb.writing = false
			nb.cond.Broadcast()
			nb.cond.Wait()
		}
		if nb.closed {
			nb.mu.Unlock()
			return
		}
		if len(nb.queue) == 0 { // ending, everything written
			nb.writing = false
			nb.cond.Broadcast()
			nb.mu.Unlock()
			nb.stream.Close()
			return
		}
		nb.writing = true
		frames := nb.queue
		nb.queue = nil
		nb.mu.Unlock()
		var err error
		written := 0
		for _, f := range frames {
			if _, err = bw.Write(f); err != nil {
				break
			}
			written += len(f)
		}
		if err == nil {
			err = bw.Flush()
		}
		nb.mu.Lock()
		nb.queued -= written
		nb.cond.Broadcast()
		nb.mu.Unlock()
		if err != nil {
			nb.close(err)
			return
		}
	}
}

// finish ends the control stream once everything queued is written and
// waits, at most timeout, for the neighbour to close the connection: it
// does so when it reads the end of the stream, after storing every
// record that came before it.
func (nb *neighbor) finish(timeout time.Duration) {
	nb.mu.Lock()
	nb.ending = true
	nb.cond.Broadcast()
	nb.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-nb.conn.Context().Done():
	case <-nb.done:
	case <-t.C:
	}
}

// ---- receiving ----

// readLoop handles every frame the neighbour sends. Records are verified
// and applied here, so a fast sender is slowed by QUIC flow control
// rather than by memory growing; requests go to the responder in order.
func (nb *neighbor) readLoop(br *bufio.Reader) {
	defer close(nb.stores) // the only sender; storeLoop ends once it has taken them all
	for {
		t, payload, err := wire.ReadFrame(br, wire.MaxFrame)
		if err != nil {
			if errors.Is(err, io.EOF) {
				// The neighbour ended the stream: it is leaving. What it
				// sent before, its withdrawal included, is stored first,
				// and its addresses are not dialled again unless it
				// publishes them anew.
				nb.storing.Wait()
				nb.close(err)
				nb.n.forget(append(nb.announced, nb.addr))
				return
			}
			nb.close(err)
			return
		}
		if err := nb.handle(t, payload); err != nil {
			nb.n.log.Warn("protocol error from neighbour", "peer", nb.peer, "err", err)
			nb.conn.CloseWithError(codeProtocol, "protocol error")
			nb.close(err)
			return
		}
	}
}

func (nb *neighbor) handle(t wire.Type, payload []byte) error {
	if t != wire.TRecords {
		// Every other message is handled as if the records before it
		// were stored (a barrier's ack, a fingerprint's answer).
		nb.storing.Wait()
	}
	switch t {
	case wire.TRecords:
		m, err := wire.DecodeRecords(payload)
		if err != nil {
			return err
		}
		nb.apply(m.Records)
	case wire.TRangeRequest:
		m, err := wire.DecodeRangeRequest(payload)
		if err != nil {
			return err
		}
		return nb.task(func() { nb.answer(m) })
	case wire.TRangeReply:
		m, err := wire.DecodeRangeReply(payload)
		if err != nil {
			return err
		}
		select {
		case nb.syncReplies <- m:
		default:
			return errors.New("unsolicited sync reply")
		}
	case wire.TRangeWant:
		m, err := wire.DecodeRangeWant(payload)
		if err != nil {
			return err
		}
		return nb.task(func() { nb.sendWanted(m) })
	case wire.TBarrier:
		m, err := wire.DecodeBarrier(payload)
		if err != nil {
			return err
		}
		return nb.task(func() { nb.enqueue(wire.TBarrierAck, m.Encode(), true) })
	case wire.TBarrierAck:
		m, err := wire.DecodeBarrier(payload)
		if err != nil {
			return err
		}
		select {
		case nb.barrierAcks <- m.Seq:
		default:
			return errors.New("unsolicited barrier ack")
		}
	default:
		return nb.handleNAT(t, payload)
	}
	return nil
}

// task queues a request for the responder; a neighbour that piles up
// more than maxTasks unanswered requests is misbehaving.
func (nb *neighbor) task(fn func()) error {
	select {
	case nb.tasks <- fn:
		return nil
	default:
		return errors.New("too many outstanding requests")
	}
}

func (nb *neighbor) taskLoop() {
	for {
		select {
		case <-nb.done:
			return
		case fn := <-nb.tasks:
			fn()
		}
	}
}

// apply decodes and verifies received records and hands them to
// storeLoop, which stores them while the next batch is verified.
func (nb *neighbor) apply(encoded [][]byte) {
	b := checkedBatch{}
	recs := make([]*record.Record, 0, len(encoded))
	hashes := make([][32]byte, 0, len(encoded))
	groupName := nb.n.e.GroupPeerName()
	for _, enc := range encoded {
		var r record.Record
		if err := r.UnmarshalBinary(enc); err != nil {
			nb.n.stats.RejectedRecords.Add(1)
			continue
		}
		h := r.Hash(groupName)
		switch nb.n.index.claim(&r, h, nb.n.e.IsMember(r.ModifiedByID)) {
		case claimHeld, claimBusy:
			nb.n.stats.DuplicateRecords.Add(1)
			continue // held, or another neighbour's copy is on its way in
		case claimed:
			b.claimed = append(b.claimed, h)
		}
		recs, hashes = append(recs, &r), append(hashes, h)
	}
	if len(recs) == 0 {
		return
	}
	nb.n.stats.ReceivedRecords.Add(int64(len(recs)))
	b.c = nb.n.e.Check(recs, hashes, nb.lastChecked)
	nb.lastChecked = b.c
	nb.storing.Add(1)
	select {
	case nb.stores <- b:
	case <-nb.done:
		nb.n.index.release(b.claimed)
		nb.storing.Done()
	}
}

// checkedBatch is a verified batch on its way to storeLoop, with the
// claims it holds.
type checkedBatch struct {
	c       *group.Checked
	claimed [][32]byte
}

// storeLoop stores the batches apply verified, in order, all those
// waiting in one transaction; once the connection is closed it only
// drops them. It ends when readLoop has ended.
func (nb *neighbor) storeLoop() {
	batches := make([]checkedBatch, 0, storeAhead)
	cs := make([]*group.Checked, 0, storeAhead)
	for b := range nb.stores {
		batches = append(batches[:0], b)
	more:
		for len(batches) < storeAhead {
			select {
			case b, ok := <-nb.stores:
				if !ok {
					break more
				}
				batches = append(batches, b)
			default:
				break more
			}
		}
		select {
		case <-nb.done:
		default:
			cs = cs[:0]
			for _, b := range batches {
				cs = append(cs, b.c)
			}
			_, rejected, err := nb.n.e.Store(group.Merge(cs...), nb)
			nb.n.stats.RejectedRecords.Add(int64(rejected))
			if err != nil && nb.n.ctx.Err() == nil {
				nb.n.log.Error("store received records", "err", err)
			}
		}
		for _, b := range batches {
			nb.n.index.release(b.claimed)
			nb.storing.Done()
		}
	}
}

// close ends the connection once.
func (nb *neighbor) close(err error) {
	nb.mu.Lock()
	if nb.closed {
		nb.mu.Unlock()
		return
	}
	nb.closed = true
	nb.closeErr = err
	nb.cond.Broadcast()
	nb.mu.Unlock()
	close(nb.done)
	code := codeClosed
	if errors.Is(err, errDuplicate) {
		code = codeDuplicate
	}
	nb.conn.CloseWithError(code, "")
	if !nb.directOnly {
		nb.n.removeNeighbor(nb)
	}
	// The path's round-trip estimates say how long the connection took to
	// give up on a silent peer: QUIC waits the idle timeout or three probe
	// timeouts (about 3 x (srtt + 4 x rttvar)), whichever is longer.
	st := nb.conn.ConnectionStats()
	nb.n.log.Info("neighbour disconnected", "peer", nb.peer, "conn", nb.id, "err", err,
		"srtt", st.SmoothedRTT, "rttvar", st.MeanDeviation, "latest_rtt", st.LatestRTT)
}

// validTo is when a credential chain stops verifying: its shortest link.
func validTo(c credential.Chain) filetime.FILETIME {
	t := filetime.Forever
	for _, cr := range c {
		t = min(t, cr.NotAfter)
	}
	return t
}

// watchCredential ends the connection when the peer's credential expires,
// unless the group by then holds a renewed one for it: membership is
// checked for the life of a connection, not only when it starts.
func (nb *neighbor) watchCredential() {
	for {
		wait := time.Until(nb.validTo.Time())
		if wait > 0 {
			select {
			case <-nb.done:
				return
			case <-nb.n.ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		if until, ok := nb.n.e.MemberValidUntil(nb.peer); ok && until > filetime.Now() {
			nb.validTo = until
			continue
		}
		nb.n.log.Info("closing connection: the member's credential expired", "peer", nb.peer, "conn", nb.id)
		nb.close(fmt.Errorf("credential of %s expired: %w", nb.peer, peererr.ErrInvalidCredential))
		return
	}
}
