package group

import (
	"fmt"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/record"
	"p2p/core/search"
)

// verify decides whether a record from outside may be stored: its shape,
// its signature by a member whose credential chain verifies, and that the
// signer's roles allow the change. For a member record it also returns
// the member it introduces.
func (e *Engine) verify(r *record.Record, now filetime.FILETIME, batch map[string]*member) (*member, error) {
	if err := checkShape(r); err != nil {
		return nil, err
	}
	var introduced *member
	var signer *member
	if r.Type == MemberType {
		m, err := decodeMember(r.Data)
		if err != nil {
			return nil, err
		}
		if m.PeerName != r.ModifiedByID || m.PeerName != r.CreatorID || r.ID != MemberRecordID(e.groupName, m.PeerName) {
			return nil, fmt.Errorf("member record not written by its member: %w", peererr.ErrNotAuthorized)
		}
		if err := m.checkChain(e.groupName, e.groupKey, now); err != nil {
			return nil, fmt.Errorf("member %s: %w", m.PeerName, err)
		}
		signer, introduced = m, m
	} else {
		signer = batch[r.ModifiedByID]
		if signer == nil {
			e.mu.Lock()
			signer = e.members[r.ModifiedByID]
			e.mu.Unlock()
		}
		if signer == nil {
			return nil, fmt.Errorf("record signed by unknown member %q: %w", r.ModifiedByID, peererr.ErrNotAuthorized)
		}
		if err := signer.checkChain(e.groupName, e.groupKey, now); err != nil {
			return nil, fmt.Errorf("signer %s: %w", signer.PeerName, err)
		}
	}
	leaf := signer.Chain.Leaf()
	if !r.Verify(e.groupName, leaf.Subject.Key) {
		return nil, fmt.Errorf("record %s: bad signature: %w", r.ID, peererr.ErrInvalidRecord)
	}
	// Member data cannot outlive the membership that wrote it; the group's
	// properties are the group's, not member data, and never expire.
	if r.Expires > leaf.NotAfter && !r.Deleted() && r.Type != PropertiesType {
		return nil, fmt.Errorf("record %s outlives its signer's credential: %w", r.ID, peererr.ErrInvalidRecordExpiration)
	}
	admin := leaf.HasRole(credential.RoleAdmin)
	switch r.Type {
	case PropertiesType:
		if !admin || r.ID != propertiesRecordID(e.groupName) {
			return nil, fmt.Errorf("properties written by a non-administrator: %w", peererr.ErrNotAuthorized)
		}
		if _, err := unmarshalProperties(r.Data); err != nil {
			return nil, err
		}
	case MemberType:
	case PresenceType:
		// A presence record is its member's own, under the id derived
		// from that member: nobody may squat or change another's.
		if r.ModifiedByID != r.CreatorID || r.ID != presenceRecordID(e.groupName, r.CreatorID) {
			return nil, fmt.Errorf("presence record of %s written by %s: %w", r.CreatorID, r.ModifiedByID, peererr.ErrNotAuthorized)
		}
	case CredentialType:
		if r.Deleted() {
			if r.ModifiedByID != r.CreatorID && !admin {
				return nil, fmt.Errorf("credential record deleted by another member: %w", peererr.ErrNotAuthorized)
			}
			break
		}
		// A stored credential must be one its signer issued, to the
		// subject its id names, and verify now.
		chain, err := credential.ParseChain(r.Data)
		if err != nil || len(chain) < 2 {
			return nil, fmt.Errorf("stored credential: %w", peererr.ErrInvalidCredential)
		}
		leaf := chain.Leaf()
		if r.ID != credentialRecordID(e.groupName, leaf.Subject.PeerName) || leaf.IssuerPeerName != r.ModifiedByID ||
			chain[1].Subject.PeerName != r.ModifiedByID {
			return nil, fmt.Errorf("stored credential not issued by its writer: %w", peererr.ErrNotAuthorized)
		}
		if err := chain.Verify(e.groupName, e.groupKey, now); err != nil {
			return nil, fmt.Errorf("stored credential: %w", err)
		}
	default:
		if !admin && !leaf.HasRole(credential.RoleMember) {
			return nil, fmt.Errorf("record from a member without a publishing role: %w", peererr.ErrNotAuthorized)
		}
		if r.ModifiedByID != r.CreatorID && !admin {
			return nil, fmt.Errorf("record of %s changed by %s: %w", r.CreatorID, r.ModifiedByID, peererr.ErrNotAuthorized)
		}
		if _, err := search.ParseAttributes(r.Attributes); err != nil {
			return nil, err
		}
	}
	return introduced, nil
}

// checkShape rejects records no honest member produces.
func checkShape(r *record.Record) error {
	bad := func(what string) error { return fmt.Errorf("record %s: %s: %w", r.ID, what, peererr.ErrInvalidRecord) }
	switch {
	case r.Version == 0:
		return bad("version 0")
	case r.Flags&^(record.FlagAutoRefresh|record.FlagDeleted) != 0:
		return bad("unknown flags")
	case r.Version == 1 && r.CreatorID != r.ModifiedByID:
		return bad("first version not written by its creator")
	case r.Modified < r.Created:
		return bad("modified before created")
	case r.Deleted() && len(r.Data) != 0:
		return bad("tombstone with data")
	case len(r.Data) > record.MaxDataSize:
		return bad("too large")
	}
	if _, _, err := peername.Parse(r.CreatorID); err != nil {
		return bad("creator id")
	}
	if _, _, err := peername.Parse(r.ModifiedByID); err != nil {
		return bad("modifier id")
	}
	return nil
}
