package session

import (
	"fmt"
	"net/netip"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/groupconfig"
	"p2p/core/mesh"
	"p2p/core/peererr"
	"p2p/core/record"
)

// Local is a group run by this process: its engine and, once connected,
// its network.
type Local struct {
	E *group.Engine
	// Mesh is how the group goes online when connected.
	Mesh mesh.Options
	// req is the request id writes are made under (zero: none); see
	// WithRequest.
	req uuid.UUID
}

var _ Session = (*Local)(nil)

// Status returns the PEER_GROUP_STATUS flags.
func (l *Local) Status() uint32 { return l.E.Status() }

// Ready reports whether the member may publish.
func (l *Local) Ready() bool { return l.E.Ready() }

// Properties returns the group properties.
func (l *Local) Properties() (group.Properties, error) {
	if l.E.Closed() {
		return group.Properties{}, fmt.Errorf("group closed: %w", peererr.ErrInvalidGroup)
	}
	return l.E.Properties(), nil
}

// WithRequest returns l's operations with writes made under the request
// id id.
func (l *Local) WithRequest(id uuid.UUID) Session {
	c := *l
	c.req = id
	return &c
}

// SetProperties changes the group properties.
func (l *Local) SetProperties(p group.Properties) error { return l.E.For(l.req).SetProperties(p) }

// AddRecord publishes a record.
func (l *Local) AddRecord(n group.NewRecord) (uuid.UUID, error) { return l.E.For(l.req).AddRecord(n) }

// AddRecords publishes records in one transaction.
func (l *Local) AddRecords(ns []group.NewRecord) ([]uuid.UUID, error) {
	return l.E.For(l.req).AddRecords(ns)
}

// UpdateRecord changes a record.
func (l *Local) UpdateRecord(n group.NewRecord) error { return l.E.For(l.req).UpdateRecord(n) }

// DeleteRecord deletes a record.
func (l *Local) DeleteRecord(id uuid.UUID) error { return l.E.For(l.req).DeleteRecord(id) }

// ChangeSeq is the latest change's sequence number.
func (l *Local) ChangeSeq() (uint64, error) { return l.E.ChangeSeq() }

// Changes lists the record changes after a sequence number.
func (l *Local) Changes(after uint64) ([]event.Event, error) { return l.E.Changes(after) }

// GetRecord reads a record.
func (l *Local) GetRecord(id uuid.UUID) (*record.Record, error) { return l.E.GetRecord(id) }

// RecordIDs lists live records.
func (l *Local) RecordIDs(typ *uuid.UUID) ([]uuid.UUID, error) { return l.E.RecordIDs(typ) }

// SearchRecords lists records matching criteria.
func (l *Local) SearchRecords(criteria string) ([]uuid.UUID, error) {
	return l.E.SearchRecords(criteria)
}

// ExportDatabase writes the database to a file.
func (l *Local) ExportDatabase(path string) error { return l.E.ExportDatabase(path) }

// ImportDatabase merges a database file.
func (l *Local) ImportDatabase(path string) error {
	_, _, err := l.E.ImportDatabase(path)
	return err
}

// CreateInvitation issues an invitation.
func (l *Local) CreateInvitation(identityXML string, expires filetime.FILETIME, roles []uuid.UUID) (string, error) {
	return l.E.CreateInvitation(identityXML, expires, roles)
}

// IssueCredentials issues a credential.
func (l *Local) IssueCredentials(subject string, info *group.CredentialInfo, flags uint32) (string, error) {
	return l.E.IssueCredentials(subject, info, flags)
}

// CreatePasswordInvitation issues a password invitation.
func (l *Local) CreatePasswordInvitation() (string, error) { return l.E.CreatePasswordInvitation() }

// ResumePasswordAuthentication lets a password joiner try again after a
// wrong password.
func (l *Local) ResumePasswordAuthentication() error {
	n, err := l.Node()
	if err != nil {
		return err
	}
	return n.ResumePasswordAuthentication()
}

// Members lists members.
func (l *Local) Members(flags uint32, peerName string) ([]group.Member, error) {
	return l.E.Members(flags, peerName)
}

// Config returns this member's configuration.
func (l *Local) Config() (*groupconfig.Config, error) { return l.E.Config() }

// PeerTimeToUniversal converts group time to UTC.
func (l *Local) PeerTimeToUniversal(t filetime.FILETIME) (filetime.FILETIME, error) {
	return l.E.PeerTimeToUniversal(t)
}

// UniversalToPeerTime converts UTC to group time.
func (l *Local) UniversalToPeerTime(t filetime.FILETIME) (filetime.FILETIME, error) {
	return l.E.UniversalToPeerTime(t)
}

// Connect takes the group online, first trying addrs; if it is online
// already it says so and only adds the addresses.
func (l *Local) Connect(addrs []netip.AddrPort) (bool, error) {
	if l.E.Closed() {
		return false, fmt.Errorf("connect: %w", peererr.ErrInvalidGroup)
	}
	if n, ok := l.E.Network().(*mesh.Node); ok {
		n.AddAddresses(addrs)
		return true, nil
	}
	_, err := mesh.Start(l.E, addrs, l.Mesh)
	if group.IsAlreadyConnected(err) {
		if n, ok := l.E.Network().(*mesh.Node); ok {
			n.AddAddresses(addrs)
		}
		return true, nil
	}
	return false, err
}

// Node returns the group's network, or PEER_E_GROUP_NOT_READY offline.
func (l *Local) Node() (*mesh.Node, error) {
	if l.E.Closed() {
		return nil, fmt.Errorf("group closed: %w", peererr.ErrInvalidGroup)
	}
	n, ok := l.E.Network().(*mesh.Node)
	if !ok {
		return nil, fmt.Errorf("group %s is not connected: %w", l.E.GroupPeerName(), peererr.ErrGroupNotReady)
	}
	return n, nil
}

// Connections lists neighbour and/or direct connections; none offline.
func (l *Local) Connections(flags uint32) ([]group.Connection, error) {
	if flags&^(group.ConnectionNeighbor|group.ConnectionDirect) != 0 {
		return nil, fmt.Errorf("connection flags %#x: %w", flags, peererr.ErrInvalidArg)
	}
	if flags == 0 {
		flags = group.ConnectionNeighbor | group.ConnectionDirect
	}
	n, err := l.Node()
	if err != nil {
		if l.E.Closed() {
			return nil, err
		}
		return nil, nil
	}
	return n.Connections(flags), nil
}

// OpenDirectConnection starts a direct connection.
func (l *Local) OpenDirectConnection(peerName string, addr netip.AddrPort) (uint64, error) {
	n, err := l.Node()
	if err != nil {
		return 0, err
	}
	return n.OpenDirect(peerName, addr)
}

// SendData sends one message.
func (l *Local) SendData(id uint64, typ uuid.UUID, data []byte) error {
	n, err := l.Node()
	if err != nil {
		return fmt.Errorf("send data: %v: %w", err, peererr.ErrConnectionNotFound)
	}
	return n.SendData(id, typ, data)
}

// CloseDirectConnection closes a direct connection.
func (l *Local) CloseDirectConnection(id uint64) error {
	n, err := l.Node()
	if err != nil {
		return fmt.Errorf("close direct connection: %v: %w", err, peererr.ErrConnectionNotFound)
	}
	return n.CloseDirect(id)
}

// Subscribe registers for events.
func (l *Local) Subscribe(filters []event.Filter, sig event.Signaler) *event.Subscription {
	return l.E.Subscribe(filters, sig)
}

// Close closes the engine and its network.
func (l *Local) Close() error { return l.E.Close() }
