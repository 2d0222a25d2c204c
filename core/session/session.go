// Package session is a group as applications use it, wherever the group
// runs. The first process that opens a group for an identity hosts it:
// it runs the engine and the network and serves a local socket (Server);
// later processes of the same user attach to that socket (Remote). Both
// kinds implement Session, so a handle behaves the same in every process,
// and an attached process that outlives its host takes the group over.
package session

import (
	"net/netip"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/groupconfig"
	"p2p/core/record"
)

// Session is every operation an HGROUP offers. It is also the protocol
// between an attached process and its host: each method but Subscribe,
// Close and WithRequest is an operation of ops.go.
type Session interface {
	Status() uint32
	Ready() bool
	Properties() (group.Properties, error)
	SetProperties(p group.Properties) error

	AddRecord(n group.NewRecord) (uuid.UUID, error)
	AddRecords(ns []group.NewRecord) ([]uuid.UUID, error)
	UpdateRecord(n group.NewRecord) error
	DeleteRecord(id uuid.UUID) error
	GetRecord(id uuid.UUID) (*record.Record, error)
	RecordIDs(typ *uuid.UUID) ([]uuid.UUID, error)
	SearchRecords(criteria string) ([]uuid.UUID, error)
	ExportDatabase(path string) error
	ImportDatabase(path string) error
	// ChangeSeq is the place of the latest record change in the group
	// database's change sequence; Changes gives a RECORD_CHANGED event
	// for each record whose latest change came after the place after.
	ChangeSeq() (uint64, error)
	Changes(after uint64) ([]event.Event, error)

	CreateInvitation(identityXML string, expires filetime.FILETIME, roles []uuid.UUID) (string, error)
	IssueCredentials(subject string, info *group.CredentialInfo, flags uint32) (string, error)
	CreatePasswordInvitation() (string, error)
	ResumePasswordAuthentication() error
	Members(flags uint32, peerName string) ([]group.Member, error)
	Config() (*groupconfig.Config, error)
	PeerTimeToUniversal(t filetime.FILETIME) (filetime.FILETIME, error)
	UniversalToPeerTime(t filetime.FILETIME) (filetime.FILETIME, error)

	Connect(addrs []netip.AddrPort) (alreadyConnected bool, err error)
	Connections(flags uint32) ([]group.Connection, error)
	OpenDirectConnection(peerName string, addr netip.AddrPort) (uint64, error)
	// SendData must not keep data once it returns: the C layer passes the
	// application's own memory.
	SendData(connectionID uint64, typ uuid.UUID, data []byte) error
	CloseDirectConnection(connectionID uint64) error

	// WithRequest returns the session's operations on behalf of the
	// application request id: a write is applied once however often it
	// is made under the same id (see group.Engine.For).
	WithRequest(id uuid.UUID) Session

	// Subscribe registers for events on the session's bus.
	Subscribe(filters []event.Filter, sig event.Signaler) *event.Subscription
	// Close releases the session: a Local one closes its engine, a Remote
	// one detaches from the host.
	Close() error
}
