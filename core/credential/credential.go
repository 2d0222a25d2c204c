// Package credential issues, encodes and verifies group membership
// certificates (GMCs): the signed statements that make an identity a
// member of a peer group, with roles and a validity period.
//
// A group is named by its own Ed25519 key (the group peer name is
// peername.Secure(groupKey, classifier)). The group key signs exactly one
// kind of credential, the root: the creator's, with the administrator
// role. Every later credential is signed by a member's identity key and
// travels with the issuer's own chain, so a Chain is
//
//	[leaf, issuer's credential, ..., root signed by the group key]
//
// The rules follow Microsoft's documentation:
//   - MS-PPSEC 2.2.5.2.3 (Certificate Chain Validity): the root is signed
//     by the group key, whose authority is the group peer name's; every
//     link names the same group; a child's roles must be issuable by one
//     of its parent's roles; the root may carry any role.
//   - MS-PPSEC 2.2.5.3 (Roles): an administrator may issue administrator,
//     inviting member and member; an inviting member may issue inviting
//     member and member; a member may issue nothing.
//   - "How Group Security Works" (P2PSdk): a chain is at most 24 long
//     (PEER_E_CHAIN_TOO_LONG); an issuer cannot issue a membership that
//     outlives its own; an "infinite" lifetime is 1000 years.
//
// Issue refuses (never clamps) a validity outside the issuer's: the
// caller states what it wants and gets exactly that or an error, so the
// invitation that carries a credential can repeat its validity verbatim.
package credential

import (
	"bytes"
	"crypto/ed25519"
	"sort"

	"github.com/google/uuid"

	"p2p/core/filetime"
)

// The roles of MS-PPSEC 2.2.5.3, with the GUIDs of p2p.h.
var (
	// RoleAdmin is PEER_GROUP_ROLE_ADMIN: full capabilities, may issue
	// every role.
	RoleAdmin = uuid.MustParse("04387127-aa56-450a-8ce5-4f565c6790f4")
	// RoleMember is PEER_GROUP_ROLE_MEMBER: may publish records, may not
	// issue credentials.
	RoleMember = uuid.MustParse("f12dc4c7-0857-4ca0-93fc-b1bb19a3d8c2")
	// RoleInvitingMember is PEER_GROUP_ROLE_INVITING_MEMBER: a member that
	// may also issue the inviting member and member roles.
	RoleInvitingMember = uuid.MustParse("4370fd89-dc18-4cfb-8dbf-9853a8a9f905")
)

// Limits of a credential and a chain.
const (
	// MaxChainLength is the longest chain Windows accepts ("How Group
	// Security Works": a GMC chain cannot be longer than 24).
	MaxChainLength = 24
	// MaxRoles bounds the roles of one credential.
	MaxRoles = 16
	// ParticipantClassifier is the classifier MS-PPSEC 2.2.5.3 gives
	// certificates of the member and inviting member roles.
	ParticipantClassifier = "participant"
)

// infiniteTicks is 1000 years of 365 days in FILETIME units (100 ns); a
// time.Duration cannot hold it.
const infiniteTicks = 1000 * 365 * 24 * 3600 * 10_000_000

// InfiniteAfter is the end of a lifetime starting at t that Windows calls
// infinite: 1000 years ("How Group Security Works"), capped at
// filetime.Forever.
func InfiniteAfter(t filetime.FILETIME) filetime.FILETIME {
	if t >= filetime.Forever-infiniteTicks {
		return filetime.Forever
	}
	return t + infiniteTicks
}

// Subject is an identity a credential is about: its peer name (secure:
// the authority is the SHA-1 of Key), display name and Ed25519 key.
type Subject struct {
	PeerName, FriendlyName string
	Key                    ed25519.PublicKey
}

// Credential is one GMC: GroupPeerName's issuer states that Subject holds
// Roles from NotBefore (inclusive) to NotAfter (exclusive). Signature is
// the issuer's Ed25519 signature over every other field (see
// signedBytes). Roles are kept sorted and without duplicates, the
// canonical order in which they are signed and encoded.
type Credential struct {
	GroupPeerName string
	Subject       Subject
	// IssuerPeerName is the issuing member's peer name, or the group peer
	// name for the root credential; IssuerFriendlyName likewise.
	IssuerPeerName, IssuerFriendlyName string
	Roles                              []uuid.UUID
	NotBefore, NotAfter                filetime.FILETIME
	Signature                          []byte
}

// Chain is a credential with the chain of its issuers, leaf first and
// the root (signed by the group key) last.
type Chain []*Credential

// Leaf is the credential the chain is for, or nil for an empty chain.
func (c Chain) Leaf() *Credential {
	if len(c) == 0 {
		return nil
	}
	return c[0]
}

// HasRole reports whether the credential grants role. A nil credential
// grants nothing.
func (c *Credential) HasRole(role uuid.UUID) bool {
	if c == nil {
		return false
	}
	for _, r := range c.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// CanIssue reports whether the holder of c may issue a credential with
// every one of roles (MS-PPSEC 2.2.5.3). An empty roles list is never
// issuable.
func (c *Credential) CanIssue(roles []uuid.UUID) bool {
	if c == nil || len(roles) == 0 {
		return false
	}
	for _, r := range roles {
		if !issuable(c.Roles, r) {
			return false
		}
	}
	return true
}

// issuable reports whether one of parent's roles may issue role
// (MS-PPSEC 2.2.5.3).
func issuable(parent []uuid.UUID, role uuid.UUID) bool {
	for _, p := range parent {
		switch {
		case p == RoleAdmin && knownRole(role):
			return true
		case p == RoleInvitingMember && (role == RoleInvitingMember || role == RoleMember):
			return true
		}
	}
	return false
}

// knownRole reports whether r is one of the three defined roles.
func knownRole(r uuid.UUID) bool {
	return r == RoleAdmin || r == RoleMember || r == RoleInvitingMember
}

// Classifiers is what PEER_INVITATION_INFO's ppwzClassifiers carries for
// a credential with roles: MS-PPSEC 2.2.5.3 issues administrator
// certificates with an empty classifier list and the other roles with
// "participant".
func Classifiers(roles []uuid.UUID) []string {
	for _, r := range roles {
		if r == RoleAdmin {
			return nil
		}
	}
	if len(roles) == 0 {
		return nil
	}
	return []string{ParticipantClassifier}
}

// canonicalRoles returns roles sorted and without duplicates, in a new
// slice.
func canonicalRoles(roles []uuid.UUID) []uuid.UUID {
	out := append([]uuid.UUID(nil), roles...)
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i][:], out[j][:]) < 0 })
	kept := out[:0]
	for i, r := range out {
		if i == 0 || r != out[i-1] {
			kept = append(kept, r)
		}
	}
	return kept
}
