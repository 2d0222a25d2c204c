// Package event carries group events from the engine to the applications
// that registered for them. Each registration has its own FIFO queue and a
// Signaler (the application's event HANDLE or file descriptor) that is
// signalled when events are queued; the application drains the queue.
package event

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
)

// Type is a PEER_GROUP_EVENT_TYPE.
type Type uint32

// Event types, with their Windows values.
const (
	StatusChanged        Type = 1
	PropertyChanged      Type = 2
	RecordChanged        Type = 3
	DirectConnection     Type = 4
	NeighborConnection   Type = 5
	IncomingData         Type = 6
	MemberChanged        Type = 8
	ConnectionFailed     Type = 10
	AuthenticationFailed Type = 11
)

// Valid reports whether t is an event type an application may register for.
func (t Type) Valid() bool {
	switch t {
	case StatusChanged, PropertyChanged, RecordChanged, DirectConnection, NeighborConnection,
		IncomingData, MemberChanged, ConnectionFailed, AuthenticationFailed:
		return true
	}
	return false
}

// Record change kinds, as PEER_RECORD_CHANGE_TYPE.
const (
	RecordAdded   uint32 = 1
	RecordUpdated uint32 = 2
	RecordDeleted uint32 = 3
	RecordExpired uint32 = 4
)

// Connection states, as PEER_CONNECTION_STATUS.
const (
	Connected              uint32 = 1
	Disconnected           uint32 = 2
	ConnectionFailedStatus uint32 = 3
)

// Member change kinds, as PEER_MEMBER_CHANGE_TYPE.
const (
	MemberConnected    uint32 = 1
	MemberDisconnected uint32 = 2
	MemberUpdated      uint32 = 3
	MemberJoined       uint32 = 4
	MemberLeft         uint32 = 5
)

// RecordChange describes a RECORD_CHANGED event.
type RecordChange struct {
	Change     uint32
	RecordID   uuid.UUID
	RecordType uuid.UUID
	// Version is the record's version after the change and Seq the
	// change's place in the group database's change sequence (0 for an
	// expiry): together they let an application that changed hosts find
	// the changes whose events it missed, and only those.
	Version uint32
	Seq     uint64
}

// ConnectionChange describes a DIRECT_CONNECTION or NEIGHBOR_CONNECTION
// event.
type ConnectionChange struct {
	Status           uint32
	ConnectionID     uint64
	NodeID           uint64
	NextConnectionID uint64
	FailedReason     uint32 // an HRESULT, for ConnectionFailedStatus
}

// Incoming describes an INCOMING_DATA event.
type Incoming struct {
	ConnectionID uint64
	DataType     uuid.UUID
	Data         []byte

	lease *lease // the recycled buffer Data lies in, if any
}

// lease shares one recycled payload buffer among the subscriptions an
// INCOMING_DATA event reached: the buffer goes back to its owner once the
// publisher and every consumer have released it. A consumer that keeps
// the data never releases it, and the collector reclaims the buffer.
type lease struct {
	refs atomic.Int32
	buf  []byte
	free func([]byte)
}

func (l *lease) release() {
	if l.refs.Add(-1) == 0 {
		l.free(l.buf)
	}
}

// NewIncomingData returns an INCOMING_DATA event whose data lies in buf,
// a buffer that free takes back for reuse once every subscription the
// event reaches has released it (see Event.Release).
func NewIncomingData(connectionID uint64, dataType uuid.UUID, data, buf []byte, free func([]byte)) Event {
	return Event{Type: IncomingData, Data: Incoming{ConnectionID: connectionID, DataType: dataType, Data: data,
		lease: &lease{buf: buf, free: free}}}
}

// Release tells the publisher that the consumer is done with e's data,
// so its buffer may be reused; e.Data.Data must not be read afterwards.
// Releasing is optional (data that is kept is simply never released) and
// is done at most once per event received.
func (e *Event) Release() {
	if l := e.Data.lease; l != nil {
		e.Data.lease, e.Data.Data = nil, nil
		l.release()
	}
}

// MemberChange describes a MEMBER_CHANGED event.
type MemberChange struct {
	Change   uint32
	Identity string
}

// Event is one group event. Only the field that matches Type is set.
type Event struct {
	Type       Type
	Status     uint32 // StatusChanged: PEER_GROUP_STATUS flags
	Record     RecordChange
	Connection ConnectionChange
	Data       Incoming
	Member     MemberChange
	Reason     uint32 // ConnectionFailed, AuthenticationFailed: an HRESULT
}

// filterType returns the GUID a registration's pType is compared with.
func (e *Event) filterType() (uuid.UUID, bool) {
	switch e.Type {
	case RecordChanged:
		return e.Record.RecordType, true
	case IncomingData:
		return e.Data.DataType, true
	}
	return uuid.UUID{}, false
}

// Filter is one PEER_GROUP_EVENT_REGISTRATION: an event type and, for
// RECORD_CHANGED and INCOMING_DATA, an optional record or data type.
type Filter struct {
	Type     Type
	DataType *uuid.UUID
}

func (f Filter) match(e *Event) bool {
	if f.Type != e.Type {
		return false
	}
	if f.DataType == nil {
		return true
	}
	t, ok := e.filterType()
	return !ok || t == *f.DataType
}

// Signaler wakes the application: a Win32 event or a POSIX descriptor. A
// Signaler that also has a Close method is closed with its subscription.
type Signaler interface {
	Signal() error
}

// MaxQueuedData bounds the bytes of INCOMING_DATA a registration holds
// before senders wait: a slow reader applies back-pressure instead of
// growing memory without bound.
const MaxQueuedData = 16 << 20

// keptQueue is the most events' room a drained queue keeps for reuse.
const keptQueue = 256

// Bus fans events out to subscriptions. The zero Bus is ready to use.
type Bus struct {
	mu   sync.Mutex // guards subs; never held with a Subscription's locks
	subs map[*Subscription]struct{}
}

// Subscribe registers for the events matching any of filters; sig is
// signalled when one is queued, unless it was signalled already and the
// application has not yet found the queue empty. Applications drain the
// queue until PEER_S_NO_EVENT_DATA on each signal (as PeerGroupRegisterEvent
// documents), so an event queued while they drain is read by that drain;
// signalling for it would only start a second drain beside the first (a
// thread pool that waits on the HANDLE, as GroupChat's
// RegisterWaitForSingleObject does, runs callbacks on several threads at
// once, and applications rarely make their handlers safe for that).
func (b *Bus) Subscribe(filters []Filter, sig Signaler) *Subscription {
	s := &Subscription{bus: b, filters: append([]Filter(nil), filters...), sig: sig, room: make(chan struct{})}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = make(map[*Subscription]struct{})
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Publish queues e on every matching subscription. Events other than
// INCOMING_DATA never wait; use PublishData for data.
func (b *Bus) Publish(e Event) {
	var buf [4]*Subscription
	for _, s := range b.matching(buf[:0], &e) {
		s.push(e)
	}
}

// PublishData queues an INCOMING_DATA event, first waiting while any
// matching subscription holds MaxQueuedData bytes or more. It returns
// ctx's error if ctx ends first; the event is then not delivered.
func (b *Bus) PublishData(ctx context.Context, e Event) error {
	l := e.Data.lease
	if l != nil {
		l.refs.Store(1) // the publisher's own hold, until every push is done
		defer l.release()
	}
	var buf [4]*Subscription
	subs := b.matching(buf[:0], &e)
	for _, s := range subs {
		if err := s.waitRoom(ctx); err != nil {
			return err
		}
	}
	for _, s := range subs {
		if l != nil {
			l.refs.Add(1)
		}
		if !s.push(e) && l != nil {
			l.release()
		}
	}
	return nil
}

// Close ends every subscription.
func (b *Bus) Close() {
	b.mu.Lock()
	subs := b.subs
	b.subs = nil
	b.mu.Unlock()
	for s := range subs {
		s.close()
	}
}

// matching appends the subscriptions e matches to out.
func (b *Bus) matching(out []*Subscription, e *Event) []*Subscription {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		for _, f := range s.filters {
			if f.match(e) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// Subscription is one registration's queue.
type Subscription struct {
	bus     *Bus
	filters []Filter
	sig     Signaler

	// mu guards the fields below up to sigMu. Lock order: sigMu, then
	// mu (push clears signalled under sigMu); never mu, then sigMu.
	mu        sync.Mutex
	queue     []Event // queue[head:] are queued; the slots before head are empty
	head      int
	dataBytes int
	closed    bool
	room      chan struct{} // closed and replaced when data bytes drop below the bound
	waiting   bool          // a publisher waits on room
	// signalled is set by a signal and cleared when Next finds the queue
	// empty: until the application has drained the queue, further events
	// need no signal of their own (the drain reads them).
	signalled bool

	// maxSeq is the highest change sequence number of the RECORD_CHANGED
	// events queued here (guarded by mu).
	maxSeq uint64

	// sigMu orders signals against Close: once Close returns, the
	// application's descriptor is never written again (it may close it
	// and its number may be reused).
	sigMu     sync.Mutex
	sigClosed bool
}

// Next removes and returns the oldest queued event; ok is false when the
// queue is empty.
func (s *Subscription) Next() (e Event, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head == len(s.queue) {
		s.signalled = false // drained: the next event signals
		return Event{}, false
	}
	e = s.queue[s.head]
	s.queue[s.head] = Event{}
	if s.head++; s.head == len(s.queue) {
		// Empty: reuse the array from its start, unless a burst grew it.
		s.queue, s.head = s.queue[:0], 0
		if cap(s.queue) > keptQueue {
			s.queue = nil
		}
	}
	if e.Type == IncomingData {
		s.dataBytes -= len(e.Data.Data)
		if s.waiting && s.dataBytes < MaxQueuedData {
			close(s.room)
			s.room = make(chan struct{})
			s.waiting = false
		}
	}
	return e, true
}

// MaxSeq is the highest change sequence number of the RECORD_CHANGED
// events ever queued here.
func (s *Subscription) MaxSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxSeq
}

// Queue returns a subscription on no bus holding events, those of them
// that match filters: events an application missed, to read before a
// subscription of the bus. sig is signalled if any are queued.
func Queue(filters []Filter, sig Signaler, events []Event) *Subscription {
	s := &Subscription{filters: append([]Filter(nil), filters...), sig: sig, room: make(chan struct{})}
	for i := range events {
		for _, f := range s.filters {
			if f.match(&events[i]) {
				s.push(events[i])
				break
			}
		}
	}
	return s
}

// Len reports how many events are queued.
func (s *Subscription) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) - s.head
}

// Close unregisters the subscription and discards its queue.
func (s *Subscription) Close() {
	if s.bus != nil {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		s.bus.mu.Unlock()
	}
	s.close()
}

func (s *Subscription) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for i := s.head; i < len(s.queue); i++ {
		s.queue[i].Release()
	}
	s.queue, s.head = nil, 0
	close(s.room)
	s.mu.Unlock()
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	s.sigClosed = true
	if c, ok := s.sig.(interface{ Close() error }); ok {
		c.Close()
	}
}

// push queues e and reports whether it did (not on a closed subscription).
func (s *Subscription) push(e Event) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	if s.head > 0 && len(s.queue) == cap(s.queue) {
		// Full with empty slots in front: move the queued events down
		// rather than grow.
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue, s.head = s.queue[:n], 0
	}
	s.queue = append(s.queue, e)
	if e.Type == IncomingData {
		s.dataBytes += len(e.Data.Data)
	}
	if e.Type == RecordChanged {
		s.maxSeq = max(s.maxSeq, e.Record.Seq)
	}
	signal := s.sig != nil && !s.signalled
	s.signalled = true
	s.mu.Unlock()
	if signal {
		s.sigMu.Lock()
		if !s.sigClosed && s.sig.Signal() != nil {
			s.mu.Lock()
			s.signalled = false // the next event tries again
			s.mu.Unlock()
		}
		s.sigMu.Unlock()
	}
	return true
}

func (s *Subscription) waitRoom(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.closed || s.dataBytes < MaxQueuedData {
			s.mu.Unlock()
			return nil
		}
		room := s.room
		s.waiting = true
		s.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
