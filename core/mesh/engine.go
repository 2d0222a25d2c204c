package mesh

import (
	"crypto/ed25519"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/record"
)

// engine is what the mesh needs of the group engine: exactly the methods
// of *group.Engine that it calls. The mesh reads and writes the group
// only through it; it never opens the database itself.
//
// Concurrency: every method is safe for concurrent use. The methods that
// store records (Store, AdoptChain, RefreshMember, PublishPresenceInfo,
// WithdrawPresence) call back into the Node on the calling goroutine,
// through group.Network's Publish, which takes Node.mu and neighbours'
// mu: they must be called with none of the mesh's locks held (Node.mu,
// nat.mu, a neighbour's mu or dataMu). The other methods take only the
// engine's own lock, never call back, and may be called under the
// mesh's locks, though the mesh does not. The engine in turn calls the
// Node's Publish and Forget from its own goroutines (expiry) and Close
// from Engine.Close, with none of its locks held.
type engine interface {
	// The group and this member.
	GroupPeerName() string
	GroupKey() ed25519.PublicKey
	Identity() *identity.Identity
	Chain() credential.Chain
	Properties() group.Properties
	// PendingPassword and AdoptChain: a password joiner's first
	// credential, obtained in the handshake.
	PendingPassword() string
	AdoptChain(credential.Chain) error

	// Members and their presence, for handshakes, dialling, punching and
	// relaying.
	IsMember(peerName string) bool
	MemberValidUntil(peerName string) (filetime.FILETIME, bool)
	MemberAddresses(peerName string) []netip.AddrPort
	MemberPresence(peerName string) (group.Presence, bool)
	PresentMembers() []string
	KnownMembers() []group.KnownMember
	Candidates() []netip.AddrPort
	PresenceRefresh() time.Duration
	PublishPresenceInfo(group.Presence) error
	WithdrawPresence() error
	RefreshMember() error

	// Replication: received records are checked, then stored; the
	// records themselves are read for reconciliation and flooding.
	Check(recs []*record.Record, hashes [][32]byte, earlier *group.Checked) *group.Checked
	Store(c *group.Checked, origin any) (stored, rejected int, err error)
	RecordDigests(fn func(id, hash []byte)) error
	RecordsInRange(lower, upper []byte, fn func(*record.Record) bool) error
	StoredRecord(id uuid.UUID) (*record.Record, error)
	MemberRecord(peerName string) (*record.Record, error)

	// State and events.
	Ready() bool
	MarkReady() error
	SetStatus(uint32)
	SetNetwork(group.Network) error
	Bus() *event.Bus
}

var _ engine = (*group.Engine)(nil)

// The Node is the engine's network.
var (
	_ group.Network   = (*Node)(nil)
	_ group.Forgetter = (*Node)(nil)
)
