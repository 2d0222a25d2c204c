package group

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// The group keeps its own state as records of reserved types, so that it
// replicates, is signed and resolves conflicts exactly like application
// data. Applications never see these types and cannot write them.
var (
	// PropertiesType holds the group properties, written by an administrator.
	PropertiesType = uuid.MustParse("5e0d7a1c-3f7e-4a58-9a0e-70726f707331")
	// MemberType holds one member's credential chain and friendly name,
	// written by that member. Its id is MemberRecordID(group, member).
	MemberType = uuid.MustParse("5e0d7a1c-3f7e-4a58-9a0e-6d656d626572")
	// CredentialType holds a credential issued with
	// PEER_GROUP_STORE_CREDENTIALS, for its subject to pick up.
	CredentialType = uuid.MustParse("5e0d7a1c-3f7e-4a58-9a0e-63726564656e")
	// PresenceType holds a member's presence: its addresses while online.
	PresenceType = uuid.MustParse("5e0d7a1c-3f7e-4a58-9a0e-70726573656e")

	systemTypes = []uuid.UUID{PropertiesType, MemberType, CredentialType, PresenceType}
)

// IsSystemType reports whether t is reserved for the library.
func IsSystemType(t uuid.UUID) bool {
	for _, s := range systemTypes {
		if s == t {
			return true
		}
	}
	return false
}

// propertiesRecordID is the single properties record of a group.
func propertiesRecordID(group string) uuid.UUID {
	return uuid.NewSHA1(PropertiesType, []byte(group))
}

// MemberRecordID is the id of a member's member record: one per member.
func MemberRecordID(group, member string) uuid.UUID {
	return uuid.NewSHA1(MemberType, []byte(group+"\x00"+member))
}

// credentialRecordID is the id of the stored credential for a subject.
func credentialRecordID(group, subject string) uuid.UUID {
	return uuid.NewSHA1(CredentialType, []byte(group+"\x00"+subject))
}

// presenceRecordID is the id of a member's presence record.
func presenceRecordID(group, member string) uuid.UUID {
	return uuid.NewSHA1(PresenceType, []byte(group+"\x00"+member))
}

// memberData is the payload of a member record.
type memberData struct {
	FriendlyName string `json:"friendlyName"`
	Chain        []byte `json:"chain"` // credential.Chain, binary
	Attributes   string `json:"attributes,omitempty"`
}

func (m *memberData) marshal() []byte {
	b, _ := json.Marshal(m)
	return b
}

// member is a decoded, verified member record.
type member struct {
	PeerName     string
	FriendlyName string
	Attributes   string
	Chain        credential.Chain

	// verified caches a successful chain check: signatures do not change,
	// so until the chain's validity window ends only the clock matters.
	mu                 sync.Mutex
	verified           bool
	validFrom, validTo filetime.FILETIME
}

// checkChain verifies the member's chain against the group key at now,
// doing the signature work once per member.
func (m *member) checkChain(group string, key ed25519.PublicKey, now filetime.FILETIME) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.verified && now >= m.validFrom && now < m.validTo {
		return nil
	}
	if err := m.Chain.Verify(group, key, now); err != nil {
		return err
	}
	m.verified = true
	m.validFrom, m.validTo = 0, filetime.Forever
	for _, c := range m.Chain {
		m.validFrom = max(m.validFrom, c.NotBefore)
		m.validTo = min(m.validTo, c.NotAfter)
	}
	return nil
}

func decodeMember(b []byte) (*member, error) {
	var d memberData
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("decode member record: %v: %w", err, peererr.ErrInvalidRecord)
	}
	if err := peername.CheckFriendlyName(d.FriendlyName); err != nil {
		return nil, fmt.Errorf("decode member record: %v: %w", err, peererr.ErrInvalidRecord)
	}
	chain, err := credential.ParseChain(d.Chain)
	if err != nil {
		return nil, fmt.Errorf("decode member record: %v: %w", err, peererr.ErrInvalidRecord)
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("decode member record: empty chain: %w", peererr.ErrInvalidRecord)
	}
	return &member{PeerName: chain.Leaf().Subject.PeerName, FriendlyName: d.FriendlyName, Attributes: d.Attributes, Chain: chain}, nil
}

// Application record ids are bound to their creator, so that no member
// can publish a record of its own under an id another member created:
// the first 60 bits of the id are a hash of the group and the creator's
// peer name, the rest is random (with the RFC 9562 version 8 and variant
// bits). Every member checks the binding (checkApplication), so a record
// under another creator's id is refused everywhere, whatever the order
// in which members receive the two, and all members agree on the id.

// NewRecordID returns a fresh id for a record creator publishes in group.
func NewRecordID(group, creator string) uuid.UUID {
	var id uuid.UUID
	tag := recordIDTag(group, creator)
	copy(id[:8], tag[:8])
	rand.Read(id[8:])
	id[6] = 0x80 | tag[6]&0x0f // version 8: custom
	id[8] = 0x80 | id[8]&0x3f  // variant: RFC 9562
	return id
}

// RecordIDBound reports whether id is one NewRecordID gives creator in
// group.
func RecordIDBound(id uuid.UUID, group, creator string) bool {
	tag := recordIDTag(group, creator)
	return [6]byte(id[:6]) == [6]byte(tag[:6]) && id[6] == 0x80|tag[6]&0x0f && id[7] == tag[7] && id[8]&0xc0 == 0x80
}

func recordIDTag(group, creator string) [32]byte {
	return sha256.Sum256([]byte("p2p application record id\x00" + group + "\x00" + creator))
}
