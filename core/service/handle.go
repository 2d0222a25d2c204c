package service

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/peererr"
	"p2p/core/record"
	"p2p/core/session"
)

// Group is one handle on an open group: an HGROUP. Every handle of this
// process on the same identity and group shares one session, local or
// attached to the process hosting it; closing a handle closes only it.
type Group struct {
	sh     *shared
	once   sync.Once
	closed bool
	mu     sync.Mutex
}

// handle returns a new handle on sh.
func (sh *shared) handle() (*Group, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closed {
		return nil, fmt.Errorf("group %s is closing: %w", sh.group, peererr.ErrInvalidGroup)
	}
	sh.refs++
	return &Group{sh: sh}, nil
}

// Close releases this handle; the group closes in this process with its
// last handle unless other processes are attached to it here.
func (g *Group) Close() error {
	g.once.Do(func() {
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		sh := g.sh
		sh.mu.Lock()
		sh.refs--
		sh.mu.Unlock()
		sh.svc.releaseIfIdle(sh)
	})
	return nil
}

// Closed reports whether the handle, or the group under it, is closed.
func (g *Group) Closed() bool {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return true
	}
	_, err := g.sh.session()
	return err != nil
}

// sess returns the session of an open handle.
func (g *Group) sess() (session.Session, error) { return g.sessAfter(nil) }

// sessAfter is sess once the session lost is replaced (see
// shared.sessionAfter).
func (g *Group) sessAfter(lost session.Session) (session.Session, error) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("handle closed: %w", peererr.ErrInvalidGroup)
	}
	return g.sh.sessionAfter(lost)
}

// GroupPeerName is the group's peer name.
func (g *Group) GroupPeerName() string { return g.sh.group }

// Identity is the identity this handle acts as.
func (g *Group) Identity() *identity.Identity { return g.sh.id }

// Hosted reports whether this process hosts the group (rather than being
// attached to the process that does).
func (g *Group) Hosted() bool {
	g.sh.mu.Lock()
	defer g.sh.mu.Unlock()
	return g.sh.local != nil
}

// Engine is the group engine when this process hosts the group, nil when
// it is attached to another process; for Go programs and tests that need
// the engine itself.
func (g *Group) Engine() *group.Engine {
	g.sh.mu.Lock()
	defer g.sh.mu.Unlock()
	if g.sh.local == nil {
		return nil
	}
	return g.sh.local.E
}

// Status returns the PEER_GROUP_STATUS flags (0 once closed).
func (g *Group) Status() uint32 {
	s, err := g.sess()
	if err != nil {
		return 0
	}
	return s.Status()
}

// Ready reports whether the member may publish.
func (g *Group) Ready() bool {
	s, err := g.sess()
	return err == nil && s.Ready()
}

// Properties returns the group properties.
func (g *Group) Properties() (group.Properties, error) {
	s, err := g.sess()
	if err != nil {
		return group.Properties{}, err
	}
	return s.Properties()
}

// SetProperties changes the group properties (administrators only).
func (g *Group) SetProperties(p group.Properties) error {
	return with(g, func(s session.Session) error { return s.SetProperties(p) })
}

// AddRecord publishes a record and returns its id.
func (g *Group) AddRecord(n group.NewRecord) (id uuid.UUID, err error) {
	err = with(g, func(s session.Session) error { id, err = s.AddRecord(n); return err })
	return id, err
}

// AddRecords publishes records in one transaction.
func (g *Group) AddRecords(ns []group.NewRecord) (ids []uuid.UUID, err error) {
	err = with(g, func(s session.Session) error { ids, err = s.AddRecords(ns); return err })
	return ids, err
}

// UpdateRecord changes a record.
func (g *Group) UpdateRecord(n group.NewRecord) error {
	return with(g, func(s session.Session) error { return s.UpdateRecord(n) })
}

// DeleteRecord deletes a record.
func (g *Group) DeleteRecord(id uuid.UUID) error {
	return with(g, func(s session.Session) error { return s.DeleteRecord(id) })
}

// GetRecord reads a live record.
func (g *Group) GetRecord(id uuid.UUID) (r *record.Record, err error) {
	err = with(g, func(s session.Session) error { r, err = s.GetRecord(id); return err })
	return r, err
}

// RecordIDs lists live records, of one type if typ is not nil.
func (g *Group) RecordIDs(typ *uuid.UUID) (ids []uuid.UUID, err error) {
	err = with(g, func(s session.Session) error { ids, err = s.RecordIDs(typ); return err })
	return ids, err
}

// SearchRecords lists live records whose attributes match criteria.
func (g *Group) SearchRecords(criteria string) (ids []uuid.UUID, err error) {
	err = with(g, func(s session.Session) error { ids, err = s.SearchRecords(criteria); return err })
	return ids, err
}

// ExportDatabase writes the group's records to a file.
func (g *Group) ExportDatabase(path string) error {
	return with(g, func(s session.Session) error { return s.ExportDatabase(path) })
}

// ImportDatabase merges the records of an export file.
func (g *Group) ImportDatabase(path string) error {
	return with(g, func(s session.Session) error { return s.ImportDatabase(path) })
}

// CreateInvitation issues an invitation for the identity in identityXML.
func (g *Group) CreateInvitation(identityXML string, expires filetime.FILETIME, roles []uuid.UUID) (xml string, err error) {
	err = with(g, func(s session.Session) error { xml, err = s.CreateInvitation(identityXML, expires, roles); return err })
	return xml, err
}

// IssueCredentials issues or renews a member's credential.
func (g *Group) IssueCredentials(subject string, info *group.CredentialInfo, flags uint32) (xml string, err error) {
	err = with(g, func(s session.Session) error { xml, err = s.IssueCredentials(subject, info, flags); return err })
	return xml, err
}

// CreatePasswordInvitation issues an invitation for anyone who knows the
// group password.
func (g *Group) CreatePasswordInvitation() (xml string, err error) {
	err = with(g, func(s session.Session) error { xml, err = s.CreatePasswordInvitation(); return err })
	return xml, err
}

// ResumePasswordAuthentication lets a password join try again after
// AUTHENTICATION_FAILED.
func (g *Group) ResumePasswordAuthentication() error {
	return with(g, func(s session.Session) error { return s.ResumePasswordAuthentication() })
}

// Members lists the group's members.
func (g *Group) Members(flags uint32, peerName string) (ms []group.Member, err error) {
	err = with(g, func(s session.Session) error { ms, err = s.Members(flags, peerName); return err })
	return ms, err
}

// PeerTimeToUniversal converts group time to UTC.
func (g *Group) PeerTimeToUniversal(t filetime.FILETIME) (u filetime.FILETIME, err error) {
	err = with(g, func(s session.Session) error { u, err = s.PeerTimeToUniversal(t); return err })
	return u, err
}

// UniversalToPeerTime converts UTC to group time.
func (g *Group) UniversalToPeerTime(t filetime.FILETIME) (u filetime.FILETIME, err error) {
	err = with(g, func(s session.Session) error { u, err = s.UniversalToPeerTime(t); return err })
	return u, err
}

// Connect takes the group online (PeerGroupConnect), first trying addrs
// (PeerGroupConnectByAddress). If it is online already, in this process
// or in the one hosting it, it says so and only adds the addresses.
func (g *Group) Connect(addrs []netip.AddrPort) (already bool, err error) {
	err = with(g, func(s session.Session) error { already, err = s.Connect(addrs); return err })
	return already, err
}

// Connections lists neighbour and/or direct connections.
func (g *Group) Connections(flags uint32) (cs []group.Connection, err error) {
	err = with(g, func(s session.Session) error { cs, err = s.Connections(flags); return err })
	return cs, err
}

// OpenDirectConnection starts a direct connection to a member; the
// outcome arrives as a DIRECT_CONNECTION event.
func (g *Group) OpenDirectConnection(peerName string, addr netip.AddrPort) (id uint64, err error) {
	err = with(g, func(s session.Session) error { id, err = s.OpenDirectConnection(peerName, addr); return err })
	return id, err
}

// SendData sends one message on a direct or neighbour connection.
func (g *Group) SendData(id uint64, typ uuid.UUID, data []byte) error {
	return with(g, func(s session.Session) error { return s.SendData(id, typ, data) })
}

// CloseDirectConnection closes a direct connection.
func (g *Group) CloseDirectConnection(id uint64) error {
	return with(g, func(s session.Session) error { return s.CloseDirectConnection(id) })
}

// maxAttempts bounds how often with tries a call whose host went away.
const maxAttempts = 3

// with runs fn on the handle's session, as one application request. A
// call that the hosting process did not answer because it went away is
// made again, once the group is taken over, with the same request id: the
// new host applies a write it has not applied, and answers one it had
// applied before the old host went away as it was answered then, so a
// committed change gets S_OK once and an error means nothing was
// committed.
//
// A first attempt in the process that hosts the group carries no request
// id: its answer cannot be lost, so nothing will ask again, and its
// writes skip keeping an answer (a lookup and a row each).
func with(g *Group, fn func(s session.Session) error) error {
	var req uuid.UUID // made when first needed
	var lost session.Session
	for attempt := 1; ; attempt++ {
		s, err := g.sessAfter(lost)
		if err != nil {
			return err
		}
		call := s
		if _, hosted := s.(*session.Local); !hosted || lost != nil {
			if req == uuid.Nil {
				req = uuid.New()
			}
			call = s.WithRequest(req)
		}
		err = fn(call)
		if !errors.Is(err, session.ErrHostLost) || attempt == maxAttempts {
			return err
		}
		lost = s
	}
}

// Subscribe registers for events (PeerGroupRegisterEvent). The
// registration survives a takeover of the group by this process.
func (g *Group) Subscribe(filters []event.Filter, sig event.Signaler) (*Registration, error) {
	sh := g.sh
	sess, err := g.sess()
	if err != nil {
		return nil, err
	}
	base, err := sess.ChangeSeq()
	if err != nil {
		return nil, err
	}
	reg := &Registration{sh: sh, filters: filters, sig: sig, base: base}
	sh.mu.Lock()
	reg.subs = []*event.Subscription{sess.Subscribe(filters, reg.signaler())}
	sh.regs[reg] = struct{}{}
	sh.mu.Unlock()
	return reg, nil
}

// Registration is one event registration (an HPEEREVENT): its queue, kept
// across a takeover.
type Registration struct {
	sh      *shared
	filters []event.Filter
	// sig is the application's signaler. The registration owns it: its
	// subscriptions come and go across takeovers and get it through
	// signaler, which hides its Close, so that closing an old one never
	// closes it under the new one (a Win32 event handle closed so would
	// leave every later event unsignalled); Close closes it.
	sig event.Signaler

	sigMu     sync.Mutex // orders signals against Close
	sigClosed bool       // guarded by sigMu: sig is closed

	mu     sync.Mutex
	subs   []*event.Subscription // the current one last; older ones drain first
	closed bool
	// base is the change sequence when the registration was made: changes
	// before it are never replayed to it.
	base uint64
	// delivered are the RECORD_CHANGED events Next returned lately, so
	// that the changes replayed after a takeover repeat none.
	delivered recentChanges
}

// Next removes and returns the oldest queued event. An INCOMING_DATA
// event's data may be kept; calling its Release once done with it lets
// the group reuse the buffer.
func (r *Registration) Next() (event.Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.subs) > 0 {
		if e, ok := r.subs[0].Next(); ok {
			if e.Type == event.RecordChanged && !r.delivered.add(e.Record) {
				continue // a replayed change it has had
			}
			return e, true
		}
		if len(r.subs) == 1 {
			break
		}
		r.subs[0].Close()
		r.subs = r.subs[1:]
	}
	return event.Event{}, false
}

// signaler is the application's signaler as a subscription gets it:
// without its Close method, and silent once the registration closed it
// (a subscription being made during a takeover may outlive Close).
func (r *Registration) signaler() event.Signaler {
	if r.sig == nil {
		return nil
	}
	return regSignaler{r}
}

// regSignaler signals a registration's signaler while it is open.
type regSignaler struct{ r *Registration }

func (s regSignaler) Signal() error {
	s.r.sigMu.Lock()
	defer s.r.sigMu.Unlock()
	if s.r.sigClosed {
		return nil
	}
	return s.r.sig.Signal()
}

// replayMargin is how far before the highest change a registration has
// had its replay after a takeover begins: events of concurrent writes
// reach it in the order their writes finish, which may differ from the
// order of their changes by a few (duplicates are skipped).
const replayMargin = 4096

// moveTo moves the registration onto sess after a takeover: it subscribes
// to sess's events and, before them, queues the changes the registration
// may have missed while its host went away (those after the highest
// change it had, by the group database's change sequence), so that the
// application gets an event for every change made while it had the group
// open. sh.mu is held.
func (r *Registration) moveTo(sess session.Session) {
	sub := sess.Subscribe(r.filters, r.signaler())
	r.mu.Lock()
	after := r.base
	for _, s := range r.subs {
		after = max(after, s.MaxSeq())
	}
	r.mu.Unlock()
	after = max(r.base, after-min(after, replayMargin))
	missed, err := sess.Changes(after)
	if err != nil {
		r.sh.log.Warn("list the changes a registration may have missed", "err", err)
	}
	r.swap(event.Queue(r.filters, r.signaler(), missed), sub)
}

// swap moves the registration onto a new session's subscriptions.
func (r *Registration) swap(subs ...*event.Subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		for _, s := range subs {
			s.Close()
		}
		return
	}
	r.subs = append(r.subs, subs...)
}

// recentChanges remembers the last recentSize RECORD_CHANGED events a
// registration delivered.
type recentChanges struct {
	set  map[changeKey]struct{}
	ring [recentSize]changeKey
	next int
}

const recentSize = 2 * replayMargin

// changeKey names one change of a record: its version, and whether the
// change is that version's expiry (an ADDED and an UPDATED of one version
// are the same change, seen by members that did or did not hold the
// record before).
type changeKey struct {
	id      uuid.UUID
	version uint32
	expiry  bool
}

// add records c and reports whether it is new.
func (rc *recentChanges) add(c event.RecordChange) bool {
	k := changeKey{c.RecordID, c.Version, c.Change == event.RecordExpired}
	if rc.set == nil {
		rc.set = make(map[changeKey]struct{}, recentSize)
	}
	if _, seen := rc.set[k]; seen {
		return false
	}
	if old := rc.ring[rc.next]; old != (changeKey{}) {
		delete(rc.set, old)
	}
	rc.ring[rc.next] = k
	rc.next = (rc.next + 1) % recentSize
	rc.set[k] = struct{}{}
	return true
}

// Close ends the registration.
func (r *Registration) Close() {
	r.mu.Lock()
	subs := r.subs
	r.subs = nil
	already := r.closed
	r.closed = true
	r.mu.Unlock()
	if already {
		return
	}
	for _, s := range subs {
		s.Close() // none signals once closed
	}
	r.sigMu.Lock()
	r.sigClosed = true
	if c, ok := r.sig.(interface{ Close() error }); ok {
		c.Close()
	}
	r.sigMu.Unlock()
	r.sh.mu.Lock()
	delete(r.sh.regs, r)
	r.sh.mu.Unlock()
}
