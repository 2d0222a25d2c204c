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
		if err := m.Chain.Verify(e.groupName, e.groupKey, now); err != nil {
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
		if err := signer.Chain.Verify(e.groupName, e.groupKey, now); err != nil {
			return nil, fmt.Errorf("signer %s: %w", signer.PeerName, err)
		}
	}
	leaf := signer.Chain.Leaf()
	if !r.Verify(e.groupName, leaf.Subject.Key) {
		return nil, fmt.Errorf("record %s: bad signature: %w", r.ID, peererr.ErrInvalidRecord)
	}
	if r.Expires > leaf.NotAfter && !r.Deleted() {
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
	case CredentialType, PresenceType:
		if r.ModifiedByID != r.CreatorID && !admin {
			return nil, fmt.Errorf("system record changed by another member: %w", peererr.ErrNotAuthorized)
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
