package group

import (
	"crypto/ed25519"
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// IssueFlagStore is PEER_GROUP_STORE_CREDENTIALS: publish the credential
// in the group for its subject to pick up when it connects.
const IssueFlagStore uint32 = 0x1

// Addresser is implemented by a Network that knows where this member can
// be reached; invitations carry those addresses.
type Addresser interface {
	Addresses() []netip.AddrPort
}

// CreateInvitation issues an invitation for the identity described by
// identityXML (from PeerIdentityGetXML) with the given roles (the member
// role if none), valid until expires (0: as long as the issuer's own
// credential).
func (e *Engine) CreateInvitation(identityXML string, expires filetime.FILETIME, roles []uuid.UUID) (string, error) {
	if err := e.checkWritable(); err != nil {
		return "", err
	}
	info, err := identity.ParseXML(identityXML)
	if err != nil {
		return "", fmt.Errorf("create invitation: %w", err)
	}
	subject := credential.Subject{PeerName: info.PeerName, FriendlyName: info.FriendlyName, Key: info.PublicKey}
	return e.issue(subject, roles, filetime.Now(), expires)
}

// CredentialInfo is the caller's PEER_CREDENTIAL_INFO for
// IssueCredentials: the subject's key, roles and validity.
type CredentialInfo struct {
	FriendlyName string
	PublicKey    ed25519.PublicKey
	NotBefore    filetime.FILETIME
	NotAfter     filetime.FILETIME
	Roles        []uuid.UUID
}

// IssueCredentials issues (or renews) the credential of subject, a peer
// name. Without info it renews what the group database knows of that
// member. With IssueFlagStore the credential is also published for the
// subject to pick up. It returns the credential as an invitation.
func (e *Engine) IssueCredentials(subjectPeerName string, info *CredentialInfo, flags uint32) (string, error) {
	if err := e.checkWritable(); err != nil {
		return "", err
	}
	if flags&^IssueFlagStore != 0 {
		return "", fmt.Errorf("issue credentials: flags %#x: %w", flags, peererr.ErrInvalidArg)
	}
	if !e.Chain().Leaf().HasRole(credential.RoleAdmin) {
		return "", fmt.Errorf("issue credentials: administrators only: %w", peererr.ErrNotAuthorized)
	}
	if _, _, err := peername.Parse(subjectPeerName); err != nil {
		return "", fmt.Errorf("issue credentials: %w", err)
	}
	now := filetime.Now()
	var subject credential.Subject
	var roles []uuid.UUID
	notBefore, notAfter := now, filetime.FILETIME(0)
	if info != nil {
		if len(info.PublicKey) != ed25519.PublicKeySize {
			return "", fmt.Errorf("issue credentials: public key: %w", peererr.ErrInvalidCredentialInfo)
		}
		if a, _, _ := peername.Parse(subjectPeerName); a != peername.Authority(info.PublicKey) {
			return "", fmt.Errorf("issue credentials: key does not match %s: %w", subjectPeerName, peererr.ErrInvalidCredentialInfo)
		}
		subject = credential.Subject{PeerName: subjectPeerName, FriendlyName: info.FriendlyName, Key: info.PublicKey}
		roles = info.Roles
		if info.NotBefore != 0 {
			notBefore = info.NotBefore
		}
		notAfter = info.NotAfter
	} else {
		e.mu.Lock()
		m := e.members[subjectPeerName]
		e.mu.Unlock()
		if m == nil {
			return "", fmt.Errorf("issue credentials: %s is not a known member: %w", subjectPeerName, peererr.ErrNotFound)
		}
		subject = m.Chain.Leaf().Subject
		roles = m.Chain.Leaf().Roles
	}
	xml, chain, err := e.issueChain(subject, roles, notBefore, notAfter)
	if err != nil {
		return "", err
	}
	if flags&IssueFlagStore != 0 {
		b, err := chain.MarshalBinary()
		if err != nil {
			return "", err
		}
		if err := e.writeSystem(CredentialType, credentialRecordID(e.groupName, subject.PeerName), b, chain.Leaf().NotAfter); err != nil {
			return "", fmt.Errorf("issue credentials: store: %w", err)
		}
	}
	return xml, nil
}

func (e *Engine) issue(subject credential.Subject, roles []uuid.UUID, notBefore, notAfter filetime.FILETIME) (string, error) {
	xml, _, err := e.issueChain(subject, roles, notBefore, notAfter)
	return xml, err
}

// issueChain issues a credential chain for subject and wraps it in a
// signed invitation.
func (e *Engine) issueChain(subject credential.Subject, roles []uuid.UUID, notBefore, notAfter filetime.FILETIME) (string, credential.Chain, error) {
	if len(roles) == 0 {
		roles = []uuid.UUID{credential.RoleMember}
	}
	roles = dedupRoles(roles)
	for _, r := range roles {
		if r != credential.RoleAdmin && r != credential.RoleMember && r != credential.RoleInvitingMember {
			return "", nil, fmt.Errorf("unknown role %s: %w", r, peererr.ErrInvalidRoleProperty)
		}
	}
	mine := e.Chain()
	leaf := mine.Leaf()
	if notAfter == 0 || notAfter > leaf.NotAfter {
		notAfter = leaf.NotAfter // the documented maximum: the issuer's remaining lifetime
	}
	if notBefore < leaf.NotBefore {
		notBefore = leaf.NotBefore // a credential cannot start before its issuer's
	}
	if notAfter <= filetime.Now() || notBefore >= notAfter {
		return "", nil, fmt.Errorf("invitation validity ends before it starts: %w", peererr.ErrInvalidTimePeriod)
	}
	chain, err := credential.Issue(subjectOf(e.id), e.id.Key, mine, subject, roles, notBefore, notAfter)
	if err != nil {
		return "", nil, fmt.Errorf("issue credential to %s: %w", subject.PeerName, err)
	}
	props := e.Properties()
	inv := &invitation.Invitation{
		GroupPeerName: e.groupName, GroupFriendlyName: props.FriendlyName, Cloud: props.Cloud,
		GroupKey:       e.groupKey,
		IssuerPeerName: e.id.PeerName, IssuerFriendlyName: e.id.FriendlyName,
		SubjectPeerName: subject.PeerName, SubjectFriendlyName: subject.FriendlyName, SubjectKey: subject.Key,
		Roles: roles, NotBefore: notBefore, NotAfter: notAfter,
		Classifiers: credential.Classifiers(roles),
		AuthScheme:  AuthGMC, Credential: chain, Addresses: e.addresses(),
	}
	if err := inv.Sign(e.id.Key); err != nil {
		return "", nil, err
	}
	xml, err := inv.Encode()
	if err != nil {
		return "", nil, err
	}
	return xml, chain, nil
}

// addresses are where this member (or, offline, the group as last seen)
// can be reached.
func (e *Engine) addresses() []netip.AddrPort {
	if a, ok := e.network().(Addresser); ok {
		return a.Addresses()
	}
	return nil
}

// adoptCredential takes a credential published for this member with
// PEER_GROUP_STORE_CREDENTIALS, if it verifies.
func (e *Engine) adoptCredential(data []byte) {
	chain, err := credential.ParseChain(data)
	if err == nil {
		err = e.AdoptChain(chain)
	}
	if err != nil {
		e.log.Warn("stored credential not adopted", "err", err)
	}
}

// AdoptChain makes chain this member's credential, if it is this
// identity's and verifies now, and republishes the member record with it:
// a renewed credential, or the first one of a password joiner.
func (e *Engine) AdoptChain(chain credential.Chain) error {
	leaf := chain.Leaf()
	if leaf == nil || leaf.Subject.PeerName != e.id.PeerName || !leaf.Subject.Key.Equal(e.id.PublicKey()) {
		return fmt.Errorf("credential is not this member's: %w", peererr.ErrInvalidCredential)
	}
	if err := chain.Verify(e.groupName, e.groupKey, filetime.Now()); err != nil {
		return err
	}
	b, err := chain.MarshalBinary()
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.chain = chain
	e.mu.Unlock()
	if err := e.db.SetMeta(map[string][]byte{metaChain: b}); err != nil {
		return fmt.Errorf("store credential: %w", err)
	}
	return e.publishSelf()
}

// CreatePasswordInvitation issues an invitation anyone who knows the group
// password can join with (PeerGroupCreatePasswordInvitation): it carries
// no credential, only this member's chain to show who invites.
func (e *Engine) CreatePasswordInvitation() (string, error) {
	if err := e.checkWritable(); err != nil {
		return "", err
	}
	props := e.Properties()
	if props.AuthSchemes&AuthPassword == 0 {
		return "", fmt.Errorf("group %s has no password authentication: %w", e.groupName, peererr.ErrInvalidGroupProperties)
	}
	mine := e.Chain()
	leaf := mine.Leaf()
	roles := []uuid.UUID{props.PasswordRole}
	if !leaf.CanIssue(roles) {
		return "", fmt.Errorf("create password invitation: %w", peererr.ErrNotAuthorized)
	}
	inv := &invitation.Invitation{
		GroupPeerName: e.groupName, GroupFriendlyName: props.FriendlyName, Cloud: props.Cloud,
		GroupKey:       e.groupKey,
		IssuerPeerName: e.id.PeerName, IssuerFriendlyName: e.id.FriendlyName,
		Roles: roles, NotBefore: max(filetime.Now(), leaf.NotBefore), NotAfter: leaf.NotAfter,
		Classifiers: credential.Classifiers(roles),
		AuthScheme:  AuthPassword, IssuerChain: mine, Addresses: e.addresses(),
	}
	if err := inv.Sign(e.id.Key); err != nil {
		return "", err
	}
	return inv.Encode()
}

// PendingPassword is the password a password joiner proves when it first
// connects; it is held in memory only and dropped once the member has its
// credential.
func (e *Engine) PendingPassword() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.chain) > 0 {
		return ""
	}
	return e.password
}

// Member is one PEER_MEMBER.
type Member struct {
	PeerName   string
	Attributes string
	Present    bool
	NodeID     uint64
	Addresses  []netip.AddrPort
	Credential *credential.Credential // the leaf of its chain
}

// MemberFlagPresent is PEER_MEMBER_PRESENT.
const MemberFlagPresent uint32 = 0x1

// Members lists the group's members known to this member, sorted by
// peer name: only present ones with MemberFlagPresent, only one identity
// if peerName is not empty.
func (e *Engine) Members(flags uint32, peerName string) ([]Member, error) {
	if flags&^MemberFlagPresent != 0 {
		return nil, fmt.Errorf("enum members: flags %#x: %w", flags, peererr.ErrInvalidArg)
	}
	e.mu.Lock()
	var out []Member
	for name, m := range e.members {
		if peerName != "" && name != peerName {
			continue
		}
		out = append(out, Member{PeerName: name, Attributes: m.Attributes, Credential: m.Chain.Leaf()})
	}
	e.mu.Unlock()
	kept := out[:0]
	for _, m := range out {
		m.NodeID, m.Addresses, m.Present = e.presenceOf(m.PeerName)
		if flags&MemberFlagPresent != 0 && !m.Present {
			continue
		}
		kept = append(kept, m)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].PeerName < kept[j].PeerName })
	return kept, nil
}

// RaiseMember publishes a MEMBER_CHANGED event; the network layer uses it
// for CONNECTED and DISCONNECTED.
func (e *Engine) RaiseMember(change uint32, peerName string) {
	e.bus.Publish(event.Event{Type: event.MemberChanged, Member: event.MemberChange{Change: change, Identity: peerName}})
}

// dedupRoles drops repeated roles, keeping the caller's order.
func dedupRoles(roles []uuid.UUID) []uuid.UUID {
	var out []uuid.UUID
	for _, r := range roles {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// IsMember reports whether peerName has a member record in the group.
func (e *Engine) IsMember(peerName string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.members[peerName]
	return ok
}

// MemberAddresses returns where an online member announced it can be
// reached, from its presence record.
func (e *Engine) MemberAddresses(peerName string) []netip.AddrPort {
	_, addrs, _ := e.presenceOf(peerName)
	return addrs
}

// MemberValidUntil verifies a member's current credential chain (from its
// member record) and returns when it ends; false if it is not a member or
// the chain does not verify now.
func (e *Engine) MemberValidUntil(peerName string) (filetime.FILETIME, bool) {
	e.mu.Lock()
	m := e.members[peerName]
	e.mu.Unlock()
	if m == nil || m.checkChain(e.groupName, e.groupKey, filetime.Now()) != nil {
		return 0, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.validTo, true
}
