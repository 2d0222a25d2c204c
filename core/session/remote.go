package session

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/groupconfig"
	"p2p/core/peererr"
	"p2p/core/record"
)

// Remote is a group hosted by another process of the same user, used
// through its local endpoint. Its calls are the operations of ops.go.
type Remote struct {
	*link
	// req is the application request id the calls carry (zero: none);
	// see WithRequest.
	req uuid.UUID
}

// link is the connection to the host that a Remote and its request
// views share.
type link struct {
	calls  *codec
	events *codec
	bus    event.Bus // fans the host's events out to this process's registrations
	status atomic.Uint32

	wg sync.WaitGroup // the two readers, readCalls and readEvents

	mu      sync.Mutex // guards the fields below
	pending map[uint64]chan *msg
	async   map[uint64]asyncSend // pipelined sends awaiting their answer, by msg ID
	nextID  uint64
	lost    chan struct{} // closed when the host connection ends
	closing bool
	ctx     context.Context
	cancel  context.CancelFunc

	// Pipelined sends: once a send on a connection succeeded, later ones
	// do not wait for the host's answer (see SendData).
	smu      sync.Mutex      // guards sendable, inflight and sendRoom
	sendable map[uint64]bool // connections sends are pipelined on
	inflight int             // cost of the sends not yet answered
	sendRoom chan struct{}   // while a sender waits; closed when inflight falls to half the window
}

// asyncSend is a pipelined send awaiting its answer.
type asyncSend struct {
	conn uint64
	cost int
}

const (
	// sendWindow bounds the cost of pipelined sends awaiting answers.
	sendWindow = 2 << 20
	// sendOverhead is the cost of a send beyond its data, so that small
	// messages are bounded too.
	sendOverhead = 512
)

var _ Session = (*Remote)(nil)

// ErrHostLost is returned by calls in flight when the host process goes
// away; the group is taken over and later calls work again.
var ErrHostLost = fmt.Errorf("the process hosting the group went away: %w", peererr.ErrServiceNotAvailable)

// Dial attaches to the host listening at path for identity's group.
func Dial(path, identity, groupName string) (*Remote, error) {
	cc, err := dialLocal(path)
	if err != nil {
		return nil, err
	}
	calls := newCodec(cc)
	if err := calls.send(&msg{Op: opHello, Body: payload[helloReq]{helloReq{Identity: identity, Group: groupName, Version: protoVersion}}}); err != nil {
		cc.Close()
		return nil, err
	}
	cc.SetReadDeadline(time.Now().Add(5 * time.Second))
	answer, err := calls.recv()
	cc.SetReadDeadline(time.Time{})
	if err == nil {
		err = errOf(answer)
	}
	hello, ok := helloResp{}, false
	if err == nil {
		if hello, ok = bodyOf[helloResp](answer); !ok {
			err = fmt.Errorf("a hello answer without its body: %w", peererr.ErrUnexpected)
		}
	}
	if err != nil {
		cc.Close()
		return nil, fmt.Errorf("attach to %s: %w", path, err)
	}
	ec, err := dialLocal(path)
	if err != nil {
		cc.Close()
		return nil, err
	}
	events := newCodec(ec)
	if err := awaitEvents(events, hello.Token); err != nil {
		cc.Close()
		ec.Close()
		return nil, fmt.Errorf("attach to %s: %w", path, err)
	}
	l := &link{calls: calls, events: events, pending: make(map[uint64]chan *msg), async: make(map[uint64]asyncSend),
		sendable: make(map[uint64]bool), lost: make(chan struct{})}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.status.Store(hello.Status)
	l.wg.Add(2)
	go l.readCalls()
	go l.readEvents()
	return &Remote{link: l}, nil
}

// awaitEvents asks for the events of the client with token and waits until
// the host has subscribed it, so that every change made after Dial
// returns reaches this process's registrations.
func awaitEvents(events *codec, token uint64) error {
	if err := events.send(&msg{Op: opEvents, Body: payload[eventsReq]{eventsReq{Token: token}}}); err != nil {
		return err
	}
	events.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer events.conn.SetReadDeadline(time.Time{})
	m, err := events.recv()
	if err != nil {
		return fmt.Errorf("subscribe to events: %w", err)
	}
	if m.Op != opEvents {
		return fmt.Errorf("subscribe to events: answered %q: %w", m.Op, peererr.ErrUnexpected)
	}
	return nil
}

// Lost is closed when the connection to the host ends.
func (r *link) Lost() <-chan struct{} { return r.lost }

// LastStatus is the host's group status as last seen, kept up to date by
// STATUS_CHANGED events.
func (r *link) LastStatus() uint32 { return r.status.Load() }

func (r *link) readCalls() {
	defer r.wg.Done()
	for {
		m, err := r.calls.recv()
		if err != nil {
			break
		}
		r.mu.Lock()
		ch := r.pending[m.ID]
		delete(r.pending, m.ID)
		a, isAsync := r.async[m.ID]
		delete(r.async, m.ID)
		r.mu.Unlock()
		if ch != nil {
			ch <- m
		}
		if isAsync {
			r.answered(a, errOf(m))
		}
	}
	r.mu.Lock()
	for id, ch := range r.pending {
		close(ch)
		delete(r.pending, id)
	}
	clear(r.async)
	r.mu.Unlock()
	r.cancel()
	r.events.conn.Close()
	close(r.lost)
}

// readEvents delivers the host's events to this process's registrations;
// a full data queue here stops the reading, which slows the host's
// forwarding of data to this process only.
func (r *link) readEvents() {
	defer r.wg.Done()
	for {
		m, err := r.events.recv()
		if err != nil {
			r.calls.conn.Close()
			return
		}
		if m.Op != opEvent || m.Event == nil {
			continue
		}
		e := *m.Event
		if e.Type == event.StatusChanged {
			r.status.Store(e.Status)
		}
		if (e.Type == event.DirectConnection || e.Type == event.NeighborConnection) && e.Connection.Status != event.Connected {
			r.unpipeline(e.Connection.ConnectionID)
		}
		if e.Type == event.IncomingData {
			if r.bus.PublishData(r.ctx, e) != nil {
				return
			}
			continue
		}
		r.bus.Publish(e)
	}
}

// call sends a request and waits for its response.
func (r *link) call(m *msg) (*msg, error) {
	ch := make(chan *msg, 1)
	r.mu.Lock()
	select {
	case <-r.lost:
		r.mu.Unlock()
		return nil, ErrHostLost
	default:
	}
	r.nextID++
	m.ID = r.nextID
	r.pending[m.ID] = ch
	r.mu.Unlock()
	if err := r.calls.send(m); err != nil {
		r.mu.Lock()
		delete(r.pending, m.ID)
		r.mu.Unlock()
		return nil, ErrHostLost
	}
	resp, ok := <-ch
	if !ok {
		return nil, ErrHostLost
	}
	return resp, errOf(resp)
}

// WithRequest returns r's calls carrying the request id id.
func (r *Remote) WithRequest(id uuid.UUID) Session { return &Remote{link: r.link, req: id} }

// Status returns the host's group status.
func (r *Remote) Status() uint32 {
	if s, err := opStatus.call(r, none{}); err == nil {
		r.status.Store(s)
		return s
	}
	return r.status.Load()
}

// Ready reports whether the member may publish.
func (r *Remote) Ready() bool {
	ok, err := opReady.call(r, none{})
	return err == nil && ok
}

// Properties returns the group properties.
func (r *Remote) Properties() (group.Properties, error) { return opProperties.call(r, none{}) }

// SetProperties changes the group properties.
func (r *Remote) SetProperties(p group.Properties) error {
	_, err := opSetProperties.call(r, p)
	return err
}

// AddRecord publishes a record.
func (r *Remote) AddRecord(n group.NewRecord) (uuid.UUID, error) { return opAddRecord.call(r, n) }

// AddRecords publishes records in one transaction.
func (r *Remote) AddRecords(ns []group.NewRecord) ([]uuid.UUID, error) {
	return opAddRecords.call(r, ns)
}

// UpdateRecord changes a record.
func (r *Remote) UpdateRecord(n group.NewRecord) error {
	_, err := opUpdateRecord.call(r, n)
	return err
}

// DeleteRecord deletes a record.
func (r *Remote) DeleteRecord(id uuid.UUID) error {
	_, err := opDeleteRecord.call(r, id)
	return err
}

// GetRecord reads a record.
func (r *Remote) GetRecord(id uuid.UUID) (*record.Record, error) { return opGetRecord.call(r, id) }

// RecordIDs lists live records.
func (r *Remote) RecordIDs(typ *uuid.UUID) ([]uuid.UUID, error) { return opRecordIDs.call(r, typ) }

// SearchRecords lists records matching criteria.
func (r *Remote) SearchRecords(criteria string) ([]uuid.UUID, error) {
	return opSearchRecords.call(r, criteria)
}

// ExportDatabase writes the database to a file (by the host process).
func (r *Remote) ExportDatabase(path string) error {
	_, err := opExportDatabase.call(r, path)
	return err
}

// ImportDatabase merges a database file.
func (r *Remote) ImportDatabase(path string) error {
	_, err := opImportDatabase.call(r, path)
	return err
}

// ChangeSeq is the latest change's sequence number.
func (r *Remote) ChangeSeq() (uint64, error) { return opChangeSeq.call(r, none{}) }

// Changes lists the record changes after a sequence number.
func (r *Remote) Changes(after uint64) ([]event.Event, error) { return opChanges.call(r, after) }

// CreateInvitation issues an invitation.
func (r *Remote) CreateInvitation(identityXML string, expires filetime.FILETIME, roles []uuid.UUID) (string, error) {
	return opCreateInvitation.call(r, invitationReq{IdentityXML: identityXML, Expires: expires, Roles: roles})
}

// IssueCredentials issues a credential.
func (r *Remote) IssueCredentials(subject string, info *group.CredentialInfo, flags uint32) (string, error) {
	return opIssueCredentials.call(r, issueReq{Subject: subject, Info: info, Flags: flags})
}

// CreatePasswordInvitation issues a password invitation.
func (r *Remote) CreatePasswordInvitation() (string, error) {
	return opCreatePasswordInvitation.call(r, none{})
}

// ResumePasswordAuthentication lets the host's password join try again.
func (r *Remote) ResumePasswordAuthentication() error {
	_, err := opResumePasswordAuthentication.call(r, none{})
	return err
}

// Members lists members.
func (r *Remote) Members(flags uint32, peerName string) ([]group.Member, error) {
	return opMembers.call(r, membersReq{Flags: flags, PeerName: peerName})
}

// Config returns this member's configuration.
func (r *Remote) Config() (*groupconfig.Config, error) { return opConfig.call(r, none{}) }

// PeerTimeToUniversal converts group time to UTC.
func (r *Remote) PeerTimeToUniversal(t filetime.FILETIME) (filetime.FILETIME, error) {
	return opPeerTimeToUniversal.call(r, t)
}

// UniversalToPeerTime converts UTC to group time.
func (r *Remote) UniversalToPeerTime(t filetime.FILETIME) (filetime.FILETIME, error) {
	return opUniversalToPeerTime.call(r, t)
}

// Connect takes the group online in the host process.
func (r *Remote) Connect(addrs []netip.AddrPort) (bool, error) { return opConnect.call(r, addrs) }

// Connections lists the host's connections.
func (r *Remote) Connections(flags uint32) ([]group.Connection, error) {
	return opConnections.call(r, flags)
}

// OpenDirectConnection starts a direct connection from the host.
func (r *Remote) OpenDirectConnection(peerName string, addr netip.AddrPort) (uint64, error) {
	return opOpenDirectConnection.call(r, openReq{PeerName: peerName, Addr: addr})
}

// SendData sends one message through the host. The first send on a
// connection waits for the host's answer; once one succeeded, later sends
// are pipelined (the host runs them in order) until the connection closes
// or a send on it fails, so a process does not wait a round trip per
// message. Like a send the host makes itself, a pipelined message that
// meets a connection closing meanwhile is lost with it.
func (r *Remote) SendData(id uint64, typ uuid.UUID, data []byte) error {
	runtime.KeepAlive(touch(data))
	req := sendReq{Conn: id, Type: typ, Data: data}
	cost := len(data) + sendOverhead
	if !r.reserve(id, cost) {
		_, err := opSendData.call(r, req)
		if err == nil {
			r.smu.Lock()
			r.sendable[id] = true
			r.smu.Unlock()
		}
		return err
	}
	r.mu.Lock()
	select {
	case <-r.lost:
		r.mu.Unlock()
		r.answered(asyncSend{conn: id, cost: cost}, ErrHostLost)
		return ErrHostLost
	default:
	}
	r.nextID++
	m := &msg{ID: r.nextID, Op: opSendData.name, Req: r.req, Body: payload[sendReq]{req}}
	r.async[m.ID] = asyncSend{conn: id, cost: cost}
	r.mu.Unlock()
	// Encoded before send returns: the caller's data is not kept.
	if err := r.calls.send(m); err != nil {
		r.mu.Lock()
		_, still := r.async[m.ID]
		delete(r.async, m.ID)
		r.mu.Unlock()
		if still {
			r.answered(asyncSend{conn: id, cost: cost}, ErrHostLost)
		}
		return ErrHostLost
	}
	return nil
}

// reserve takes room in the send window for a pipelined send on
// connection id, waiting while the window is full; false means the send
// must wait for its answer instead.
func (r *link) reserve(id uint64, cost int) bool {
	r.smu.Lock()
	defer r.smu.Unlock()
	for r.sendable[id] {
		if r.inflight == 0 || r.inflight+cost <= sendWindow {
			r.inflight += cost
			return true
		}
		if r.sendRoom == nil {
			r.sendRoom = make(chan struct{})
		}
		room := r.sendRoom
		r.smu.Unlock()
		select {
		case <-room:
		case <-r.lost:
		}
		r.smu.Lock()
		select {
		case <-r.lost:
			return false
		default:
		}
	}
	return false
}

// answered releases a pipelined send's room; a failed one ends pipelining
// on its connection, so the next send reports the failure.
func (r *link) answered(a asyncSend, err error) {
	r.smu.Lock()
	defer r.smu.Unlock()
	r.inflight -= a.cost
	if err != nil {
		delete(r.sendable, a.conn)
	}
	if r.sendRoom != nil && r.inflight <= sendWindow/2 {
		close(r.sendRoom)
		r.sendRoom = nil
	}
}

// unpipeline makes the next send on connection id wait for its answer.
func (r *link) unpipeline(id uint64) {
	r.smu.Lock()
	delete(r.sendable, id)
	r.smu.Unlock()
}

// touch reads a byte of every page of b, so that memory the application
// passed but does not own faults here, where the call fails cleanly,
// rather than half-way through encoding a message to the host.
func touch(b []byte) (sum byte) {
	for i := 0; i < len(b); i += 4096 {
		sum ^= b[i]
	}
	if len(b) > 0 {
		sum ^= b[len(b)-1]
	}
	return sum
}

// CloseDirectConnection closes a direct connection.
func (r *Remote) CloseDirectConnection(id uint64) error {
	r.unpipeline(id)
	_, err := opCloseDirectConnection.call(r, id)
	return err
}

// Subscribe registers for events relayed by the host.
func (r *Remote) Subscribe(filters []event.Filter, sig event.Signaler) *event.Subscription {
	return r.bus.Subscribe(filters, sig)
}

// Close detaches from the host.
func (r *Remote) Close() error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	r.calls.conn.Close()
	r.events.conn.Close()
	r.wg.Wait()
	return nil
}

// Closing reports whether Close was called (as opposed to the host going
// away).
func (r *link) Closing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closing
}
