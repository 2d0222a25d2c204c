package group

import (
	"fmt"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/record"
	"p2p/core/search"
)

// A kind is what one type of record must obey beyond its shape, its
// signer and its signature: who may write it, under which id, with what
// data. check sees the record and the leaf credential of the member who
// signed it.
type kind struct {
	name  string
	check func(e *Engine, r *record.Record, leaf *credential.Credential, now filetime.FILETIME) error
}

// kinds are the system record types; every other type is an
// application record (applicationKind).
var kinds = map[uuid.UUID]kind{
	PropertiesType: {"properties", checkProperties},
	MemberType:     {"member", checkMemberRecord},
	PresenceType:   {"presence", checkPresence},
	CredentialType: {"credential", checkCredentialRecord},
}

var applicationKind = kind{"application", checkApplication}

func kindOf(typ uuid.UUID) kind {
	if k, ok := kinds[typ]; ok {
		return k
	}
	return applicationKind
}

// withinCredential keeps member data from outliving the membership that
// wrote it (a tombstone may: it only ends a record).
func withinCredential(r *record.Record, leaf *credential.Credential) error {
	if r.Expires > leaf.NotAfter && !r.Deleted() {
		return fmt.Errorf("record %s outlives its signer's credential: %w", r.ID, peererr.ErrInvalidRecordExpiration)
	}
	return nil
}

// checkProperties: the group's properties, written by an administrator
// under the group's one properties id. They are the group's, not member
// data, so they may outlive their writer's credential.
func checkProperties(e *Engine, r *record.Record, leaf *credential.Credential, _ filetime.FILETIME) error {
	if !leaf.HasRole(credential.RoleAdmin) || r.ID != propertiesRecordID(e.groupName) {
		return fmt.Errorf("properties written by a non-administrator: %w", peererr.ErrNotAuthorized)
	}
	_, err := unmarshalProperties(r.Data)
	return err
}

// checkMemberRecord: signerOf has checked that the member record is its
// own member's, under its id, with a chain that verifies.
func checkMemberRecord(_ *Engine, r *record.Record, leaf *credential.Credential, _ filetime.FILETIME) error {
	return withinCredential(r, leaf)
}

// checkPresence: a presence record is its member's own, under the id
// derived from that member: nobody may squat or change another's.
func checkPresence(e *Engine, r *record.Record, leaf *credential.Credential, _ filetime.FILETIME) error {
	if r.ModifiedByID != r.CreatorID || r.ID != presenceRecordID(e.groupName, r.CreatorID) {
		return fmt.Errorf("presence record of %s written by %s: %w", r.CreatorID, r.ModifiedByID, peererr.ErrNotAuthorized)
	}
	return withinCredential(r, leaf)
}

// checkCredentialRecord: a stored credential must be one its writer
// issued, to the subject its id names, and verify now; only its issuer or
// an administrator deletes it.
func checkCredentialRecord(e *Engine, r *record.Record, leaf *credential.Credential, now filetime.FILETIME) error {
	if err := withinCredential(r, leaf); err != nil {
		return err
	}
	if r.Deleted() {
		if r.ModifiedByID != r.CreatorID && !leaf.HasRole(credential.RoleAdmin) {
			return fmt.Errorf("credential record deleted by another member: %w", peererr.ErrNotAuthorized)
		}
		return nil
	}
	chain, err := credential.ParseChain(r.Data)
	if err != nil || len(chain) < 2 {
		return fmt.Errorf("stored credential: %w", peererr.ErrInvalidCredential)
	}
	issued := chain.Leaf()
	if r.ID != credentialRecordID(e.groupName, issued.Subject.PeerName) || issued.IssuerPeerName != r.ModifiedByID ||
		chain[1].Subject.PeerName != r.ModifiedByID {
		return fmt.Errorf("stored credential not issued by its writer: %w", peererr.ErrNotAuthorized)
	}
	if err := chain.Verify(e.groupName, e.groupKey, now); err != nil {
		return fmt.Errorf("stored credential: %w", err)
	}
	return nil
}

// checkApplication: an application record is published by a member or
// an administrator under an id bound to its creator (NewRecordID), and
// changed only by its creator or an administrator; its attributes must
// parse.
func checkApplication(e *Engine, r *record.Record, leaf *credential.Credential, _ filetime.FILETIME) error {
	if !RecordIDBound(r.ID, e.groupName, r.CreatorID) {
		return fmt.Errorf("record %s: the id is not one its creator %s may use: %w", r.ID, r.CreatorID, peererr.ErrInvalidRecord)
	}
	if err := withinCredential(r, leaf); err != nil {
		return err
	}
	admin := leaf.HasRole(credential.RoleAdmin)
	if !admin && !leaf.HasRole(credential.RoleMember) {
		return fmt.Errorf("record from a member without a publishing role: %w", peererr.ErrNotAuthorized)
	}
	if r.ModifiedByID != r.CreatorID && !admin {
		return fmt.Errorf("record of %s changed by %s: %w", r.CreatorID, r.ModifiedByID, peererr.ErrNotAuthorized)
	}
	if _, err := search.ParseAttributes(r.Attributes); err != nil {
		return err
	}
	return nil
}
