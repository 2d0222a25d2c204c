// Package mesh takes a group online: it listens on QUIC, finds other
// members without a central server (invitation addresses, presence
// records, LAN discovery, explicit addresses), keeps a bounded set of
// authenticated neighbour connections, floods record changes over them and
// reconciles databases when neighbours meet.
package mesh

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"p2p/core/dht"
	"p2p/core/event"
	"p2p/core/group"
	"p2p/core/peererr"
	"p2p/core/record"
	"p2p/core/wire"
)

// Options tune a Node. The zero value gives the defaults below; the C
// layer fills them from the environment (P2P_LISTEN, P2P_DEGREE,
// P2P_DISCOVERY, P2P_PORTMAP, P2P_RELAY, P2P_RELAY_RATE), core never
// reads it.
type Options struct {
	// Listen is the UDP address to listen on (default every interface,
	// on a port the OS picks).
	Listen string
	// Degree is how many neighbours a member keeps (default 4).
	Degree int
	// MaxNeighbors bounds neighbours, inbound included (default 16).
	MaxNeighbors int
	// SyncInterval is how often a member reconciles with each neighbour it
	// dialled, to heal any lost flood (default 30 s).
	SyncInterval time.Duration
	// Discovery turns on LAN discovery (default on).
	Discovery *bool
	// Relay says whether and how much this member relays for others
	// (relay.go).
	Relay RelayOptions
	// PortMapping asks the gateway for a port mapping through UPnP-IGD
	// or NAT-PMP (default off).
	PortMapping *bool
	// DHT configures finding the group through the mainline DHT (dht.go;
	// the DHT socket on the host Listen names). Nil leaves the group out
	// of the DHT; the C layer gives the library's default, on with the
	// public bootstrap nodes unless $P2P_DHT=0.
	DHT *dht.Options

	directory func(*Node) (directory, func()) // a test's instead of the DHT
}

func (o Options) withDefaults() Options {
	if o.Listen == "" {
		o.Listen = ":0"
	}
	if o.Degree <= 0 {
		o.Degree = 4
	}
	if o.MaxNeighbors <= 0 {
		o.MaxNeighbors = 16
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = 30 * time.Second
	}
	if o.Discovery == nil {
		on := true
		o.Discovery = &on
	}
	if o.PortMapping == nil {
		off := false
		o.PortMapping = &off
	}
	if o.DHT == nil {
		o.DHT = &dht.Options{Off: true}
	}
	o.Relay = o.Relay.withDefaults()
	return o
}

// A Data frame carries any message the API accepts: wire's limit is
// group.MaxData (this fails to compile if they differ).
const _ = uint(wire.MaxData-group.MaxData) + uint(group.MaxData-wire.MaxData)

// Limits that keep a flood of connections or handshakes from exhausting
// the member.
const (
	handshakeTimeout    = 5 * time.Second
	maxPendingHandshake = 32
	dialTimeout         = 5 * time.Second
	maintainEvery       = time.Second
	maxBackoff          = 30 * time.Second
)

// Node is one group online: the QUIC endpoint and its neighbours. It
// implements group.Network.
type Node struct {
	e      engine
	opts   Options
	nodeID uint64
	log    *slog.Logger

	udp net.PacketConn
	tr  *quic.Transport
	ln  *quic.Listener

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	index     *index // record ids and digests, for reconciliation
	admit     *admission
	connIDs   atomic.Uint64
	handshake chan struct{} // semaphore of pending inbound handshakes
	opening   chan struct{} // semaphore of direct connections being opened (MaxPendingDirects)
	payloads  payloadPool   // buffers of incoming direct messages
	cands     *candidateSet // own addresses learned beyond the interfaces (candidates.go)
	nat       natState      // hole punches and relay sessions (punch.go, relay.go)

	dir        directory // the group's DHT presence (dht.go); nil without; set before the loops start
	dirRelease func()    // releases the process's DHT node dir runs on

	// mu guards neighbors through closed below (and each direct's
	// link). Lock order: a neighbour's dataMu, then mu, then nat.mu
	// (relayOf and isRelayAddr are called under mu).
	mu         sync.Mutex
	neighbors  map[uint64]*neighbor // by connection id
	links      map[uint64]*neighbor // direct-only connections, by connection id
	directs    map[uint64]*direct   // direct connections by id
	reaching   map[string]*reaching // searches for a link to a member (direct.go), by member and address
	candidates map[netip.AddrPort]*candidate
	extra      []netip.AddrPort // from ConnectByAddress
	failedOnce bool             // CONNECTION_FAILED raised for this Connect
	aloneSince time.Time        // since when the node has had no neighbour (dht.go)
	authPaused bool             // a wrong password: wait for the application to resume
	pwKeys     map[string][]byte
	closed     bool

	pwFailures failures

	stats Stats
}

// Stats counts what the node did, for tests and logs.
type Stats struct {
	Refused          atomic.Int64 // connections refused in the handshake
	RejectedRecords  atomic.Int64 // records that failed verification
	ReceivedRecords  atomic.Int64
	DuplicateRecords atomic.Int64 // received copies of records held or already on their way in
	SyncsCompleted   atomic.Int64
	FloodDropped     atomic.Int64 // flood frames dropped for a slow neighbour (healed by sync)
	HandshakesFailed atomic.Int64
}

// candidate is an address to try, with its backoff.
type candidate struct {
	next     time.Time
	failures int
	dialing  bool
	named    bool // a presence record, the invitation or ConnectByAddress named it
}

// Start takes e online: it listens, publishes this member's presence and
// starts finding and keeping neighbours, beginning with extra addresses.
func Start(e *group.Engine, extra []netip.AddrPort, opts Options) (*Node, error) {
	return start(e, extra, opts)
}

func start(e engine, extra []netip.AddrPort, opts Options) (*Node, error) {
	opts = opts.withDefaults()
	var idb [8]byte
	rand.Read(idb[:])
	n := &Node{
		e: e, opts: opts, nodeID: binary.BigEndian.Uint64(idb[:]) | 1,
		log:        slog.Default().With("group", e.GroupPeerName(), "identity", e.Identity().PeerName),
		handshake:  make(chan struct{}, maxPendingHandshake),
		neighbors:  make(map[uint64]*neighbor),
		links:      make(map[uint64]*neighbor),
		directs:    make(map[uint64]*direct),
		reaching:   make(map[string]*reaching),
		opening:    make(chan struct{}, MaxPendingDirects),
		candidates: make(map[netip.AddrPort]*candidate),
		extra:      extra,
		cands:      newCandidateSet(),
	}
	n.nat.init()
	n.connIDs.Store(binary.BigEndian.Uint64(idb[:]) >> 16 << 8) // ids start somewhere random, never reused
	idx, err := loadIndex(e)
	if err != nil {
		return nil, err
	}
	n.index = idx
	udp, err := net.ListenPacket("udp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %v: %w", opts.Listen, err, peererr.ErrUnableToListen)
	}
	n.udp = udp
	n.admit = newAdmission()
	n.tr = &quic.Transport{Conn: udp, VerifySourceAddress: n.admit.needRetry, ConnContext: n.admit.connContext}
	n.ln, err = n.tr.Listen(n.serverTLS(), quicConfig())
	if err != nil {
		udp.Close()
		return nil, fmt.Errorf("listen: %v: %w", err, peererr.ErrUnableToListen)
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if err := e.SetNetwork(n); err != nil {
		n.shutdown()
		return nil, err
	}
	n.updateStatus()
	if err := e.RefreshMember(); err != nil {
		n.log.Warn("refresh member record", "err", err)
	}
	if err := n.publishPresence(); err != nil {
		n.log.Warn("publish presence", "err", err)
	}
	n.addCandidates(extra)
	n.startDirectory()
	n.run(n.acceptLoop)
	n.run(n.maintainLoop)
	n.run(n.presenceLoop)
	n.startNAT()
	if *opts.Discovery {
		n.run(n.discoveryLoop)
	}
	n.log.Info("online", "listen", udp.LocalAddr(), "node", n.nodeID)
	return n, nil
}

func quicConfig() *quic.Config {
	return &quic.Config{
		HandshakeIdleTimeout:           handshakeTimeout,
		MaxIdleTimeout:                 30 * time.Second,
		KeepAlivePeriod:                10 * time.Second,
		MaxIncomingStreams:             1024,
		MaxIncomingUniStreams:          -1,
		InitialStreamReceiveWindow:     1 << 20,
		MaxStreamReceiveWindow:         16 << 20,
		InitialConnectionReceiveWindow: 2 << 20,
		MaxConnectionReceiveWindow:     32 << 20,
	}
}

func (n *Node) run(fn func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		fn()
	}()
}

// NodeID is this member's node id while online.
func (n *Node) NodeID() uint64 { return n.nodeID }

// Stats returns the node's counters.
func (n *Node) Stats() *Stats { return &n.stats }

// hostAddresses are where this node listens: every interface address
// with the listening port (loopback last), or the one address it was told
// to bind.
func (n *Node) hostAddresses() []netip.AddrPort {
	la, ok := n.udp.LocalAddr().(*net.UDPAddr)
	if !ok {
		return nil
	}
	port := uint16(la.Port)
	if ip, ok := netip.AddrFromSlice(la.IP); ok && !ip.Unmap().IsUnspecified() {
		return []netip.AddrPort{netip.AddrPortFrom(ip.Unmap(), port)}
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)}
	}
	var out, loop []netip.AddrPort
	for _, a := range ifaddrs {
		pfx, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := pfx.Addr().Unmap()
		switch {
		case ip.IsLinkLocalUnicast() || ip.IsMulticast():
		case ip.IsLoopback():
			loop = append(loop, netip.AddrPortFrom(ip, port))
		default:
			out = append(out, netip.AddrPortFrom(ip, port))
		}
	}
	out = append(out, loop...)
	if len(out) > 16 {
		out = out[:16]
	}
	return out
}

// AddAddresses adds member addresses to try (PeerGroupConnectByAddress on
// a group already online).
func (n *Node) AddAddresses(addrs []netip.AddrPort) {
	n.mu.Lock()
	n.extra = append(n.extra, addrs...)
	n.mu.Unlock()
	n.addCandidates(addrs)
}

func (n *Node) addCandidates(addrs []netip.AddrPort) {
	own := make(map[netip.AddrPort]bool)
	for _, a := range n.Addresses() {
		own[a] = true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range addrs {
		a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
		if !a.IsValid() || a.Port() == 0 || own[a] {
			continue
		}
		if _, ok := n.candidates[a]; !ok {
			n.candidates[a] = &candidate{}
		}
	}
}

// refreshCandidates adds the addresses that live presence records and
// the invitation name, and forgets those nothing names any more: a
// member that left withdrew its presence, and dialling it would only
// fail, again and again. An address learned otherwise (in a handshake, by
// LAN discovery) is forgotten once a dial to it failed while nothing
// names it. Addresses being dialled or connected stay.
func (n *Node) refreshCandidates() {
	named := n.e.Candidates()
	n.addCandidates(named)
	n.mu.Lock()
	defer n.mu.Unlock()
	set := make(map[netip.AddrPort]bool, len(named)+len(n.extra))
	for _, a := range append(named, n.extra...) {
		set[netip.AddrPortFrom(a.Addr().Unmap(), a.Port())] = true
	}
	connected := make(map[netip.AddrPort]bool, len(n.neighbors))
	for _, nb := range n.neighbors {
		connected[nb.addr] = true
	}
	for a, c := range n.candidates {
		switch {
		case set[a]:
			c.named = true
		case c.dialing || connected[a]:
		case c.named || c.failures > 0:
			delete(n.candidates, a)
		}
	}
}

// forget drops candidate addresses of a member that left, unless a dial
// to one is under way.
func (n *Node) forget(addrs []netip.AddrPort) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range addrs {
		a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
		if c := n.candidates[a]; c != nil && !c.dialing {
			delete(n.candidates, a)
		}
	}
}

// updateStatus sets LISTENING and HAS_CONNECTIONS.
func (n *Node) updateStatus() {
	n.mu.Lock()
	s := group.StatusListening
	if len(n.neighbors) > 0 {
		s |= group.StatusHasConnections
	}
	closed := n.closed
	n.mu.Unlock()
	if !closed {
		n.e.SetStatus(s)
	}
}

// Publish floods records this member stored to every neighbour but the
// one they came from, and keeps the reconciliation index current.
func (n *Node) Publish(recs []*record.Record, origin any) {
	n.index.add(n.e.GroupPeerName(), recs)
	for _, nb := range n.neighborList() {
		if nb != origin {
			nb.flood(recs)
		}
	}
}

// Forget drops expired records from the index.
func (n *Node) Forget(recs []*record.Record) { n.index.remove(recs) }

func (n *Node) neighborList() []*neighbor {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*neighbor, 0, len(n.neighbors))
	for _, nb := range n.neighbors {
		out = append(out, nb)
	}
	return out
}

// Neighbors describes the current neighbour connections.
func (n *Node) Neighbors() []group.Connection {
	var out []group.Connection
	for _, nb := range n.neighborList() {
		out = append(out, nb.info())
	}
	return out
}

// Close takes the group offline: it withdraws this member's presence,
// closes every connection and stops listening.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	n.leave()
	n.shutdown()
	n.e.SetStatus(0)
	return nil
}

// leaveTimeout bounds how long a member going offline waits for its
// neighbours to take its withdrawal.
const leaveTimeout = time.Second

// leave withdraws this member's presence (a signed tombstone of its
// presence record, which flooding and reconciliation carry like any
// record, so members not connected now learn it too) and ends each
// neighbour's control stream after it. A neighbour that has read and
// stored everything closes the connection; leave waits for that, at most
// leaveTimeout for all of them together.
func (n *Node) leave() {
	if err := n.e.WithdrawPresence(); err != nil {
		n.log.Warn("withdraw presence", "err", err)
	}
	var wg sync.WaitGroup
	for _, nb := range n.neighborList() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nb.finish(leaveTimeout)
		}()
	}
	wg.Wait()
}

func (n *Node) shutdown() {
	if n.cancel != nil {
		n.cancel()
	}
	n.stopDirectory()
	n.mu.Lock()
	var directs []*direct
	for _, d := range n.directs {
		directs = append(directs, d)
	}
	var links []*neighbor
	for _, nb := range n.links {
		links = append(links, nb)
	}
	n.mu.Unlock()
	for _, d := range directs {
		d.close(true)
	}
	for _, nb := range append(n.neighborList(), links...) {
		nb.close(nil)
	}
	if n.ln != nil {
		n.ln.Close()
	}
	if n.tr != nil {
		n.tr.Close()
	}
	n.udp.Close()
	n.wg.Wait()
}

// acceptLoop takes inbound connections, each handshake in its own
// goroutine, at most maxPendingHandshake at once.
func (n *Node) acceptLoop() {
	for {
		conn, err := n.ln.Accept(n.ctx)
		if err != nil {
			return
		}
		accepted(conn)
		release, ok := n.admit.awaitHello(addrPort(conn.RemoteAddr()).Addr())
		if !ok {
			n.stats.Refused.Add(1)
			conn.CloseWithError(codeBusy, "too many pending handshakes from this address")
			continue
		}
		select {
		case n.handshake <- struct{}{}:
		default:
			release()
			n.stats.Refused.Add(1)
			conn.CloseWithError(codeBusy, "too many pending handshakes")
			continue
		}
		n.run(func() {
			defer func() { <-n.handshake }()
			defer release()
			n.accept(conn)
		})
	}
}

// maintainLoop dials candidates while the node has fewer neighbours than
// its degree, with a backoff per address, looks the group up in the DHT
// while it has none, and raises CONNECTION_FAILED once if a member that
// never synchronised finds nobody, the DHT included.
func (n *Node) maintainLoop() {
	t := time.NewTicker(maintainEvery)
	defer t.Stop()
	start := time.Now()
	for {
		n.refreshCandidates()
		n.directoryTick()
		n.dialSome()
		n.punchNeighbors()
		if !n.e.Ready() && time.Since(start) > dialTimeout+2*time.Second && n.directoryFailed() {
			n.reportNoMembers()
		}
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Node) reportNoMembers() {
	n.mu.Lock()
	if n.failedOnce || len(n.neighbors) > 0 {
		n.mu.Unlock()
		return
	}
	n.failedOnce = true
	none := len(n.candidates) == 0
	n.mu.Unlock()
	reason := peererr.ErrNoMemberConnections
	if none {
		reason = peererr.ErrNoMembersFound
	}
	n.e.Bus().Publish(event.Event{Type: event.ConnectionFailed, Reason: reason.HR})
}

func (n *Node) dialSome() {
	n.mu.Lock()
	if n.authPaused {
		n.mu.Unlock()
		return
	}
	want := n.opts.Degree - len(n.neighbors)
	connected := make(map[netip.AddrPort]bool)
	for _, nb := range n.neighbors {
		connected[nb.addr] = true
	}
	now := time.Now()
	var picks []netip.AddrPort
	for a, c := range n.candidates {
		if len(picks) >= want {
			break
		}
		if c.dialing || connected[a] || now.Before(c.next) {
			continue
		}
		c.dialing = true
		picks = append(picks, a)
	}
	n.mu.Unlock()
	for _, a := range picks {
		n.run(func() { n.dial(a) })
	}
}

// dialed records the outcome of a dial for the candidate's backoff.
func (n *Node) dialed(a netip.AddrPort, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.candidates[a]
	if c == nil {
		return
	}
	c.dialing = false
	if err == nil {
		c.failures = 0
		c.next = time.Time{}
		return
	}
	c.failures++
	c.next = time.Now().Add(min(time.Duration(1<<min(c.failures, 5))*time.Second, maxBackoff))
}

// addNeighbor registers a neighbour after its handshake, refusing a
// second connection to the same node (the one dialled by the lower node
// id is kept, the same decision on both sides).
func (n *Node) addNeighbor(nb *neighbor) bool {
	n.mu.Lock()
	if n.closed || len(n.neighbors) >= n.opts.MaxNeighbors {
		n.mu.Unlock()
		return false
	}
	for id, other := range n.neighbors {
		if other.nodeID != nb.nodeID {
			continue
		}
		keepNew := n.dialerID(nb) < n.dialerID(other)
		if !keepNew {
			n.mu.Unlock()
			return false
		}
		delete(n.neighbors, id)
		n.run(func() { other.close(errDuplicate) }) // close takes mu
	}
	n.neighbors[nb.id] = nb
	n.mu.Unlock()
	n.updateStatus()
	n.e.Bus().Publish(event.Event{Type: event.NeighborConnection, Connection: event.ConnectionChange{
		Status: event.Connected, ConnectionID: nb.id, NodeID: nb.nodeID}})
	return true
}

// dialerID is the node id of the side that dialled nb.
func (n *Node) dialerID(nb *neighbor) uint64 {
	if nb.dialed {
		return n.nodeID
	}
	return nb.nodeID
}

func (n *Node) removeNeighbor(nb *neighbor) {
	n.mu.Lock()
	_, ok := n.neighbors[nb.id]
	if ok {
		delete(n.neighbors, nb.id)
	}
	n.mu.Unlock()
	if !ok {
		return
	}
	n.updateStatus()
	n.e.Bus().Publish(event.Event{Type: event.NeighborConnection, Connection: event.ConnectionChange{
		Status: event.Disconnected, ConnectionID: nb.id, NodeID: nb.nodeID}})
}

// presenceLoop renews this member's presence record before it lapses.
func (n *Node) presenceLoop() {
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(n.e.PresenceRefresh()):
		}
		if err := n.publishPresence(); err != nil && !errors.Is(err, context.Canceled) {
			n.log.Warn("refresh presence", "err", err)
		}
		if err := n.e.RefreshMember(); err != nil {
			n.log.Warn("refresh member record", "err", err)
		}
	}
}

// Connections lists neighbour and/or direct connections (flags:
// group.ConnectionNeighbor, group.ConnectionDirect).
func (n *Node) Connections(flags uint32) []group.Connection {
	var out []group.Connection
	if flags&group.ConnectionNeighbor != 0 {
		out = append(out, n.Neighbors()...)
	}
	if flags&group.ConnectionDirect != 0 {
		n.mu.Lock()
		for _, d := range n.directs {
			c := group.Connection{Flags: group.ConnectionDirect, ConnectionID: d.id, NodeID: d.link.nodeID,
				PeerName: d.link.peer, Address: d.link.addr, Relay: n.relayOf(d.link.addr)}
			if c.Relay != "" {
				c.Flags |= group.ConnectionRelayed
			}
			out = append(out, c)
		}
		n.mu.Unlock()
	}
	return out
}

// Resume is for a machine that woke from sleep: connections and NAT
// mappings made before it slept may be gone and its addresses may have
// changed, so the node forgets its dial backoffs, publishes its current
// addresses again and dials at once instead of at the next retry time.
func (n *Node) Resume() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	for _, c := range n.candidates {
		c.next, c.failures = time.Time{}, 0
	}
	n.mu.Unlock()
	if n.dir != nil {
		n.dir.Satisfied() // the next lookup, if one is needed, at once
		n.dir.Changed()
	}
	if err := n.publishPresence(); err != nil {
		n.log.Warn("publish presence after resume", "err", err)
	}
	n.dialSome()
}
