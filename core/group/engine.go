// Package group is the group engine: one peer group as one identity sees
// it, with its record database, membership, roles and events. An Engine is
// shared by every handle a process opens on the same (identity, group);
// networking plugs in through the Network interface.
package group

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/password"
	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/record"
	"p2p/core/store"
)

// Status flags, as PEER_GROUP_STATUS.
const (
	StatusListening      uint32 = 0x1
	StatusHasConnections uint32 = 0x2
)

// Keys of the member's own configuration in the database.
const (
	metaIdentity   = "identity"
	metaGroupName  = "group"
	metaGroupKey   = "group_key"
	metaChain      = "chain"
	metaReady      = "ready"
	metaInvitation = "invitation"
	metaProps      = "props" // provisional properties of a joined, never-synchronised group
)

// Engine is one open group. Its methods are safe for concurrent use.
type Engine struct {
	id        *identity.Identity
	db        *store.DB
	groupName string
	groupKey  ed25519.PublicKey
	log       *slog.Logger

	bus    event.Bus
	ctx    context.Context // ends when the engine closes
	cancel context.CancelFunc
	wg     sync.WaitGroup
	poke   chan struct{} // wakes the expiry loop
	// wakeAt is when the expiry loop next looks at the database (a
	// FILETIME), or 0 while it is about to: a store pokes the loop only
	// for a record expiring before it, so writes of records that expire
	// later cost the loop nothing.
	wakeAt atomic.Int64
	scans  atomic.Int64 // how often the expiry loop has looked, for tests

	mu       sync.Mutex
	chain    credential.Chain // this member's credential
	props    *Properties
	ready    bool // synchronised at least once (always for the creator)
	status   uint32
	password string                   // a password joiner's password, until it has a credential
	members  map[string]*member       // verified member records by peer name
	presence map[string]*presenceData // live presence records by peer name
	net      Network
	closed   bool
}

// Network is what the engine needs from the transport: it is told of
// every record the engine stores, with the neighbour it came from (nil if
// local), so it can replicate it. A nil Network means offline.
type Network interface {
	Publish(recs []*record.Record, origin any)
	Close() error
}

// Create makes a new group with id as its creator and first
// administrator, in a database at dbPath(groupPeerName).
func Create(id *identity.Identity, props Properties, dbPath func(group string) string) (*Engine, error) {
	props = props.withDefaults()
	if err := props.validate(); err != nil {
		return nil, err
	}
	if err := props.setPassword(nil); err != nil {
		return nil, err
	}
	groupPub, groupKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("create group key: %w", err)
	}
	props.GroupPeerName = peername.Secure(groupPub, props.Classifier)
	if peername.UTF16Len(props.GroupPeerName) > peername.MaxGroupName {
		return nil, fmt.Errorf("group peer name would exceed %d characters: %w", peername.MaxGroupName, peererr.ErrInvalidClassifier)
	}
	props.CreatorPeerName = id.PeerName
	now := filetime.Now()
	chain, err := credential.IssueRoot(groupKey, props.GroupPeerName, subjectOf(id),
		[]uuid.UUID{credential.RoleAdmin}, now, credential.InfiniteAfter(now))
	if err != nil {
		return nil, fmt.Errorf("create group: issue creator credential: %w", err)
	}
	// The group key has signed the creator's root credential; every later
	// credential descends from it, so the private key is not kept.
	clear(groupKey)
	e, err := newEngine(id, props.GroupPeerName, groupPub, chain, dbPath(props.GroupPeerName))
	if err != nil {
		return nil, err
	}
	e.ready = true
	fail := func(err error) (*Engine, error) {
		e.Discard()
		return nil, fmt.Errorf("create group: %w", err)
	}
	chainBytes, _ := chain.MarshalBinary()
	if err := e.db.SetMeta(map[string][]byte{
		metaIdentity: []byte(id.PeerName), metaGroupName: []byte(props.GroupPeerName),
		metaGroupKey: groupPub, metaChain: chainBytes, metaReady: {1},
	}); err != nil {
		return fail(err)
	}
	if err := e.writeSystem(PropertiesType, propertiesRecordID(e.groupName), props.marshal(), filetime.Forever); err != nil {
		return fail(err)
	}
	if err := e.publishSelf(); err != nil {
		return fail(err)
	}
	e.start()
	return e, nil
}

// Discard closes a group whose creation or join failed and removes its
// database, so that nothing of it is left (PeerEnumGroups does not list
// it).
func (e *Engine) Discard() {
	path := e.db.Path()
	e.Close()
	if err := store.Remove(path); err != nil {
		e.log.Warn("remove the database of a failed group", "err", err)
	}
}

// Open reopens a group id created or joined before, from its database.
func Open(id *identity.Identity, path string) (*Engine, error) {
	probe, err := store.Open(path, "")
	if err != nil {
		return nil, err
	}
	group, err1 := probe.Meta(metaGroupName)
	key, err2 := probe.Meta(metaGroupKey)
	owner, err3 := probe.Meta(metaIdentity)
	chainBytes, err4 := probe.Meta(metaChain)
	ready, _ := probe.Meta(metaReady)
	probe.Close()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, fmt.Errorf("open group database %s: %v: %w", path, err, peererr.ErrInvalidDatabase)
	}
	if string(owner) != id.PeerName || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("open group database %s: not this identity's: %w", path, peererr.ErrInvalidDatabase)
	}
	var chain credential.Chain
	if len(chainBytes) > 0 { // empty: a password joiner that never connected
		if chain, err = credential.ParseChain(chainBytes); err != nil {
			return nil, fmt.Errorf("open group database %s: own credential: %v: %w", path, err, peererr.ErrInvalidDatabase)
		}
	}
	e, err := newEngine(id, string(group), ed25519.PublicKey(key), chain, path)
	if err != nil {
		return nil, err
	}
	e.ready = len(ready) == 1 && ready[0] == 1
	if err := e.loadState(); err != nil {
		e.Close()
		return nil, err
	}
	e.start()
	return e, nil
}

// Join prepares id to join the group of a verified invitation: it stores
// the group and the member's credential and returns the engine offline and
// not yet ready; the first connection synchronises it.
func Join(id *identity.Identity, inv *invitation.Invitation, invitationXML string, dbPath func(group string) string) (*Engine, error) {
	if inv.AuthScheme&AuthGMC == 0 || len(inv.Credential) == 0 {
		return nil, fmt.Errorf("join %s: not a credential invitation: %w", inv.GroupPeerName, peererr.ErrInvalidArg)
	}
	props := Properties{GroupPeerName: inv.GroupPeerName, FriendlyName: inv.GroupFriendlyName, Cloud: inv.Cloud}
	return joinWith(id, inv, invitationXML, inv.Credential, props, "", dbPath)
}

// PasswordJoin prepares id to join a password group with the password
// invitation inv: the group is stored without a credential, which the
// first connection obtains by proving the password to a member. The
// password stays in memory; it is never written anywhere.
func PasswordJoin(id *identity.Identity, inv *invitation.Invitation, invitationXML, pw string, dbPath func(group string) string) (*Engine, error) {
	if inv.AuthScheme&AuthPassword == 0 {
		return nil, fmt.Errorf("join %s: not a password invitation: %w", inv.GroupPeerName, peererr.ErrInvalidArg)
	}
	if n := peername.UTF16Len(pw); n == 0 || n > password.MaxLength {
		return nil, fmt.Errorf("join %s: password of %d characters: %w", inv.GroupPeerName, n, peererr.ErrInvalidArg)
	}
	props := Properties{GroupPeerName: inv.GroupPeerName, FriendlyName: inv.GroupFriendlyName, Cloud: inv.Cloud,
		AuthSchemes: AuthPassword, PasswordRole: inv.Roles[0]}
	return joinWith(id, inv, invitationXML, nil, props, pw, dbPath)
}

// joinWith stores a group joined with an invitation: its key, this
// member's credential (none yet for a password joiner), the invitation
// and the provisional properties it gives, then publishes the member
// record if there is a credential. The group starts offline and not
// ready.
func joinWith(id *identity.Identity, inv *invitation.Invitation, invitationXML string, chain credential.Chain,
	props Properties, pw string, dbPath func(group string) string) (*Engine, error) {
	e, err := newEngine(id, inv.GroupPeerName, inv.GroupKey, chain, dbPath(inv.GroupPeerName))
	if err != nil {
		return nil, err
	}
	e.password = pw
	props = props.withDefaults()
	var chainBytes []byte
	if len(chain) > 0 {
		chainBytes, _ = chain.MarshalBinary()
	}
	fail := func(err error) (*Engine, error) {
		e.Discard()
		return nil, fmt.Errorf("join %s: %w", inv.GroupPeerName, err)
	}
	if err := e.db.SetMeta(map[string][]byte{
		metaIdentity: []byte(id.PeerName), metaGroupName: []byte(inv.GroupPeerName),
		metaGroupKey: inv.GroupKey, metaChain: chainBytes, metaReady: {0},
		metaInvitation: []byte(invitationXML), metaProps: props.marshal(),
	}); err != nil {
		return fail(err)
	}
	if err := e.publishSelf(); err != nil {
		return fail(err)
	}
	if err := e.loadState(); err != nil {
		return fail(err)
	}
	e.start()
	return e, nil
}

func newEngine(id *identity.Identity, group string, key ed25519.PublicKey, chain credential.Chain, path string) (*Engine, error) {
	db, err := store.Open(path, group)
	if err != nil {
		return nil, fmt.Errorf("open group %s: %w", group, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{
		id: id, db: db, groupName: group, groupKey: key, chain: chain,
		log: slog.Default().With("group", group, "identity", id.PeerName),
		ctx: ctx, cancel: cancel, poke: make(chan struct{}, 1),
		members: make(map[string]*member), presence: make(map[string]*presenceData),
	}, nil
}

// loadState reads the properties and member records into memory.
func (e *Engine) loadState() error {
	if r, err := e.db.Get(propertiesRecordID(e.groupName)); err == nil {
		p, err := unmarshalProperties(r.Data)
		if err != nil {
			return err
		}
		e.props = p
	} else if b, err := e.db.Meta(metaProps); err == nil {
		p, err := unmarshalProperties(b)
		if err != nil {
			return err
		}
		e.props = p
	} else {
		return fmt.Errorf("group %s has no properties: %w", e.groupName, peererr.ErrInvalidDatabase)
	}
	recs, err := e.db.List(store.Query{Type: &MemberType})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if m, err := decodeMember(r.Data); err == nil {
			e.members[m.PeerName] = m
		}
	}
	return e.loadPresence()
}

func (e *Engine) start() {
	e.wg.Add(1)
	go e.expiryLoop()
}

// GroupPeerName is the group's peer name.
func (e *Engine) GroupPeerName() string { return e.groupName }

// Identity is the identity this engine acts as.
func (e *Engine) Identity() *identity.Identity { return e.id }

// GroupKey is the group's public key, the root of every credential.
func (e *Engine) GroupKey() ed25519.PublicKey { return e.groupKey }

// Chain is this member's credential chain.
func (e *Engine) Chain() credential.Chain {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.chain
}

// Status returns the PEER_GROUP_STATUS flags.
func (e *Engine) Status() uint32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}

// SetStatus changes the status flags and raises STATUS_CHANGED when they
// change. The network layer calls it.
func (e *Engine) SetStatus(s uint32) {
	e.mu.Lock()
	changed := e.status != s
	e.status = s
	e.mu.Unlock()
	if changed {
		e.bus.Publish(event.Event{Type: event.StatusChanged, Status: s})
	}
}

// Ready reports whether the group is synchronised, so that the member
// may publish: always for the creator, after the first connection for a
// joiner.
func (e *Engine) Ready() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ready
}

// MarkReady records that the first synchronisation completed.
func (e *Engine) MarkReady() error {
	e.mu.Lock()
	already := e.ready
	e.ready = true
	e.mu.Unlock()
	if already {
		return nil
	}
	return e.db.SetMeta(map[string][]byte{metaReady: {1}})
}

// SetNetwork attaches (or, with nil, detaches) the transport. It fails
// with PEER_S_ALREADY_CONNECTED's error twin if one is attached.
func (e *Engine) SetNetwork(n Network) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return fmt.Errorf("group %s is closed: %w", e.groupName, peererr.ErrInvalidGroup)
	case n != nil && e.net != nil:
		return errAlreadyConnected
	}
	e.net = n
	return nil
}

// errAlreadyConnected tells Connect that the group is online already.
var errAlreadyConnected = peererr.SAlreadyConnected

// IsAlreadyConnected reports whether err says the group was online.
func IsAlreadyConnected(err error) bool { return errors.Is(err, errAlreadyConnected) }

// Network returns the attached transport, nil when offline.
func (e *Engine) network() Network {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.net
}

// Network returns the attached transport, nil when offline.
func (e *Engine) Network() Network { return e.network() }

// Forgetter is implemented by a Network that indexes records: it is told
// of records removed by expiry.
type Forgetter interface {
	Forget(recs []*record.Record)
}

// Subscribe registers for events; see event.Bus.
func (e *Engine) Subscribe(filters []event.Filter, sig event.Signaler) *event.Subscription {
	return e.bus.Subscribe(filters, sig)
}

// Bus is the engine's event bus, for the network layer's events.
func (e *Engine) Bus() *event.Bus { return &e.bus }

// Closed reports whether Close was called.
func (e *Engine) Closed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

// Close stops the engine, its network and its database. It is idempotent.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	n := e.net
	e.mu.Unlock()
	var errs []error
	if n != nil {
		// The network stays attached while it closes: what it stores on
		// the way out (this member's presence withdrawn) is flooded
		// through it like any other record.
		errs = append(errs, n.Close())
		e.mu.Lock()
		e.net = nil
		e.mu.Unlock()
	}
	e.cancel()
	e.wg.Wait()
	e.bus.Close()
	errs = append(errs, e.db.Close())
	return errors.Join(errs...)
}

// Properties returns the current group properties.
func (e *Engine) Properties() Properties {
	e.mu.Lock()
	defer e.mu.Unlock()
	return *e.props
}

// SetProperties changes the settable properties (friendly name, comment,
// lifetimes, flags, authentication): administrators only; the change is a
// signed record that replicates and raises PROPERTY_CHANGED.
func (e *Engine) SetProperties(p Properties) error { return e.For(uuid.Nil).SetProperties(p) }

// SetProperties changes the settable properties (see
// Engine.SetProperties).
func (w Writer) SetProperties(p Properties) error {
	e := w.e
	if err := e.checkWritable(); err != nil {
		return err
	}
	if !e.Chain().Leaf().HasRole(credential.RoleAdmin) {
		return fmt.Errorf("set properties of %s: %w", e.groupName, peererr.ErrNotAuthorized)
	}
	cur := e.Properties()
	if p.Cloud != "" && p.Cloud != cur.Cloud || p.Classifier != cur.Classifier ||
		p.GroupPeerName != "" && p.GroupPeerName != cur.GroupPeerName ||
		p.CreatorPeerName != "" && p.CreatorPeerName != cur.CreatorPeerName {
		return fmt.Errorf("set properties: cloud, classifier, group and creator names cannot change: %w", peererr.ErrInvalidGroupProperties)
	}
	p.Cloud, p.Classifier, p.GroupPeerName, p.CreatorPeerName = cur.Cloud, cur.Classifier, cur.GroupPeerName, cur.CreatorPeerName
	p = p.withDefaults()
	if err := p.validate(); err != nil {
		return err
	}
	if err := p.setPassword(cur.Verifier); err != nil {
		return err
	}
	return e.writeSystemFlags(PropertiesType, propertiesRecordID(e.groupName), p.marshal(), filetime.Forever, 0, w.request(nil))
}

// checkWritable fails unless the engine is open and synchronised.
func (e *Engine) checkWritable() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return fmt.Errorf("group %s is closed: %w", e.groupName, peererr.ErrInvalidGroup)
	case !e.ready:
		return fmt.Errorf("group %s has not synchronised yet: %w", e.groupName, peererr.ErrGroupNotReady)
	case e.chain.Leaf() == nil:
		return fmt.Errorf("group %s: no credential yet: %w", e.groupName, peererr.ErrGroupNotReady)
	case e.chain.Leaf().NotAfter <= filetime.Now():
		return fmt.Errorf("the member's credential in %s has expired: %w", e.groupName, peererr.ErrInvalidCredential)
	}
	return nil
}

// PeerTimeToUniversal converts the group's agreed time to local UTC. The
// group clock is the members' UTC: the offset is zero once synchronised.
func (e *Engine) PeerTimeToUniversal(t filetime.FILETIME) (filetime.FILETIME, error) {
	if !e.Ready() {
		return 0, fmt.Errorf("peer time of %s: %w", e.groupName, peererr.ErrGroupNotReady)
	}
	return t, nil
}

// UniversalToPeerTime is the inverse of PeerTimeToUniversal.
func (e *Engine) UniversalToPeerTime(t filetime.FILETIME) (filetime.FILETIME, error) {
	return e.PeerTimeToUniversal(t)
}

func subjectOf(id *identity.Identity) credential.Subject {
	return credential.Subject{PeerName: id.PeerName, FriendlyName: id.FriendlyName, Key: id.PublicKey()}
}

// Describe reads the peer name and friendly name of the group whose
// database is at path without opening an engine, for listings.
func Describe(path string) (groupPeerName, friendlyName string, err error) {
	db, err := store.Open(path, "")
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	name, err := db.Meta(metaGroupName)
	if err != nil {
		return "", "", err
	}
	groupPeerName = string(name)
	if r, err := db.Get(propertiesRecordID(groupPeerName)); err == nil {
		if p, err := unmarshalProperties(r.Data); err == nil {
			return groupPeerName, p.FriendlyName, nil
		}
	}
	if b, err := db.Meta(metaProps); err == nil {
		if p, err := unmarshalProperties(b); err == nil {
			return groupPeerName, p.FriendlyName, nil
		}
	}
	return groupPeerName, "", nil
}
