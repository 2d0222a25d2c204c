package session

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/peererr"
)

// Server serves a Local session to the processes attached to it over a
// local socket that only the same user can open.
type Server struct {
	local    *Local
	identity string
	ln       net.Listener
	path     string
	log      *slog.Logger
	// detached is called, outside any lock, each time a client leaves.
	detached func()

	mu      sync.Mutex
	clients map[uint64]*serverClient
	conns   map[net.Conn]struct{} // every accepted connection, until it ends
	closed  bool
	wg      sync.WaitGroup
}

type serverClient struct {
	mu     sync.Mutex // guards events and sub
	calls  *codec
	events *codec
	sub    *event.Subscription
	wake   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// Listen serves local at the local endpoint path (see Endpoint), replacing
// a stale socket (the caller holds the group's host lock, so no live host
// owns it).
func Listen(path string, local *Local, identity string, detached func()) (*Server, error) {
	removeEndpoint(path)
	ln, err := listenLocal(path)
	if err != nil {
		return nil, fmt.Errorf("host group on %s: %w", path, err)
	}
	s := &Server{local: local, identity: identity, ln: ln, path: path, detached: detached,
		log: slog.Default().With("group", local.E.GroupPeerName()), clients: make(map[uint64]*serverClient), conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Clients reports how many processes are attached.
func (s *Server) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// Path is the endpoint the server listens on.
func (s *Server) Path() string { return s.path }

// Close stops serving and disconnects every attached process (which then
// take the group over).
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	clients := s.clients
	s.clients = map[uint64]*serverClient{}
	for c := range s.conns {
		c.Close() // including those still sending their first message
	}
	s.mu.Unlock()
	err := s.ln.Close()
	for _, c := range clients {
		c.close()
	}
	s.wg.Wait()
	removeEndpoint(s.path)
	return err
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		if err := checkPeer(conn); err != nil {
			s.log.Warn("refused local connection", "err", err)
			conn.Close()
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer s.forget(conn)
			s.serveConn(conn)
		}()
	}
}

// forget drops an ended connection from those Close must close.
func (s *Server) forget(conn net.Conn) {
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
}

// serveConn reads the first message, which says whether this is a calls
// or an events connection, then serves it.
func (s *Server) serveConn(conn net.Conn) {
	c := newCodec(conn)
	first, err := c.recv()
	if err != nil {
		conn.Close()
		return
	}
	switch first.Op {
	case opHello:
		s.serveCalls(c, first)
	case opEvents:
		s.serveEvents(c, first)
	default:
		conn.Close()
	}
}

func (s *Server) serveCalls(c *codec, first *msg) {
	hello, ok := bodyOf[helloReq](first)
	if !ok || hello.Version != protoVersion || hello.Identity != s.identity || hello.Group != s.local.E.GroupPeerName() {
		c.send(respond(&msg{ID: first.ID}, fmt.Errorf("wrong protocol version, group or identity: %w", peererr.ErrAccessDenied)))
		c.conn.Close()
		return
	}
	var tb [8]byte
	rand.Read(tb[:])
	token := binary.BigEndian.Uint64(tb[:])
	sc := &serverClient{calls: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.conn.Close()
		return
	}
	s.clients[token] = sc
	s.mu.Unlock()
	c.send(&msg{ID: first.ID, Body: payload[helloResp]{helloResp{Token: token, Status: s.local.Status()}}})
	// Sends and direct-connection closes run one at a time in the order
	// they came (the client pipelines sends); any other call runs at once
	// in its own goroutine.
	ordered := make(chan *msg, orderedQueue)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m := range ordered {
			c.send(s.dispatch(m))
		}
	}()
	for {
		m, err := c.recv()
		if err != nil {
			break
		}
		if handlers[m.Op].ordered {
			ordered <- m
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.send(s.dispatch(m))
		}()
	}
	close(ordered)
	wg.Wait()
	s.mu.Lock()
	_, mine := s.clients[token]
	delete(s.clients, token)
	s.mu.Unlock()
	sc.close()
	if mine && s.detached != nil {
		s.detached()
	}
}

// serveEvents forwards every event of the group to the client; the
// client fans them out to its applications' registrations.
func (s *Server) serveEvents(c *codec, first *msg) {
	req, _ := bodyOf[eventsReq](first)
	s.mu.Lock()
	sc := s.clients[req.Token]
	s.mu.Unlock()
	if sc == nil {
		c.conn.Close()
		return
	}
	sc.mu.Lock()
	if sc.events != nil {
		sc.mu.Unlock()
		c.conn.Close()
		return
	}
	sc.events = c
	sc.sub = s.local.Subscribe(allEvents, chanSignaler(sc.wake))
	sc.mu.Unlock()
	select {
	case <-sc.done: // the client left meanwhile
		sc.close()
		return
	default:
	}
	// Subscribed: Dial returns on this answer, so no event the client's
	// registrations should see can fall between the two.
	if err := c.send(&msg{Op: opEvents}); err != nil {
		c.conn.Close()
		return
	}
	for {
		for {
			e, ok := sc.sub.Next()
			if !ok {
				break
			}
			err := c.send(&msg{Op: opEvent, Event: &e})
			e.Release() // encoded: its data buffer may be reused
			if err != nil {
				c.conn.Close()
				return
			}
		}
		select {
		case <-sc.wake:
		case <-sc.done:
			return
		}
	}
}

// allEvents registers for every event type.
var allEvents = []event.Filter{
	{Type: event.StatusChanged}, {Type: event.PropertyChanged}, {Type: event.RecordChanged},
	{Type: event.DirectConnection}, {Type: event.NeighborConnection}, {Type: event.IncomingData},
	{Type: event.MemberChanged}, {Type: event.ConnectionFailed}, {Type: event.AuthenticationFailed},
}

// chanSignaler wakes a goroutine through a channel.
type chanSignaler chan struct{}

func (c chanSignaler) Signal() error {
	select {
	case c <- struct{}{}:
	default:
	}
	return nil
}

func (sc *serverClient) close() {
	sc.once.Do(func() {
		close(sc.done)
		sc.calls.conn.Close()
	})
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.events != nil {
		sc.events.conn.Close()
	}
	if sc.sub != nil {
		sc.sub.Close()
	}
}

// dispatch runs one call against the local session, bound to the call's
// request id.
func (s *Server) dispatch(m *msg) *msg {
	h, ok := handlers[m.Op]
	if !ok {
		return respond(&msg{ID: m.ID}, fmt.Errorf("unknown operation %q: %w", m.Op, peererr.ErrFail))
	}
	var sess Session = s.local
	if m.Req != uuid.Nil {
		sess = s.local.WithRequest(m.Req)
	}
	body, err := h.run(sess, m.Body)
	r := respond(&msg{ID: m.ID}, err)
	if err == nil {
		r.Body = body
	}
	return r
}
