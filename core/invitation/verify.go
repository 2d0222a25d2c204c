package invitation

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/sig"
)

// signingContext separates invitation signatures from every other
// signature an identity key makes (credentials, records).
const signingContext = "p2p-invitation-v1\x00"

// Sign checks the invitation and signs it with the issuer's identity key,
// which must be the key of the issuer's credential. It refuses what Verify
// would refuse for a reason other than the clock: malformed fields
// (E_INVALIDARG or the field's own code), a subject, roles or validity
// that differ from the credential's, password-invitation roles the issuer
// cannot issue (PEER_E_NOT_AUTHORIZED).
func (inv *Invitation) Sign(issuerKey ed25519.PrivateKey) error {
	if err := inv.check(); err != nil {
		return fmt.Errorf("sign invitation: %w", err)
	}
	if err := inv.consistent(); err != nil {
		return fmt.Errorf("sign invitation: %w", err)
	}
	if len(issuerKey) != ed25519.PrivateKeySize || !inv.issuerCredential().Subject.Key.Equal(issuerKey.Public()) {
		return fmt.Errorf("sign invitation: key is not %s's: %w", inv.IssuerPeerName, peererr.ErrInvalidArg)
	}
	b, err := inv.signedBytes()
	if err != nil {
		return fmt.Errorf("sign invitation: %w", err)
	}
	inv.Signature = ed25519.Sign(issuerKey, b)
	return nil
}

// Verify checks that the invitation can be trusted at time now: its form,
// the issuer's chain against GroupKey and GroupPeerName, the issuer's
// signature, and that a GMC invitation's credential is the one it
// describes (subject, issuer, roles, validity) or that a password
// invitation's issuer may grant its roles for its validity. Failures are
// PEER_E_INVITATION_NOT_TRUSTED ("altered or contains errors", as the
// PeerGroupJoin page says) wrapping the detail, except an invitation or
// chain that is sound but expired or not yet valid, which is
// PEER_E_INVALID_TIME_PERIOD as PeerGroupJoin documents.
func (inv *Invitation) Verify(now filetime.FILETIME) error {
	return inv.verify("", now)
}

// VerifyFor is Verify plus, for a GMC invitation, that it was issued to
// the identity identityPeerName: an invitation for another identity is
// PEER_E_INVITATION_NOT_TRUSTED. A password invitation is for anyone.
func (inv *Invitation) VerifyFor(identityPeerName string, now filetime.FILETIME) error {
	if identityPeerName == "" {
		return fmt.Errorf("verify invitation: no identity: %w", peererr.ErrInvalidArg)
	}
	return inv.verify(identityPeerName, now)
}

func (inv *Invitation) verify(identity string, now filetime.FILETIME) error {
	untrusted := func(err error) error {
		return fmt.Errorf("verify invitation: %w: %w", peererr.ErrInvitationNotTrusted, err)
	}
	if err := inv.check(); err != nil {
		return untrusted(err)
	}
	if len(inv.Signature) != ed25519.SignatureSize {
		return untrusted(fmt.Errorf("signature of %d bytes", len(inv.Signature)))
	}
	if err := inv.consistent(); err != nil {
		return untrusted(err)
	}
	// The chain's clock failure waits until everything else has passed.
	chainErr := inv.trustChain().Verify(inv.GroupPeerName, inv.GroupKey, now)
	if chainErr != nil && !errors.Is(chainErr, credential.ErrExpired) && !errors.Is(chainErr, credential.ErrNotYetValid) {
		return untrusted(chainErr)
	}
	b, err := inv.signedBytes()
	if err != nil {
		return untrusted(err)
	}
	if !sig.Verify(inv.issuerCredential().Subject.Key, b, inv.Signature) {
		return untrusted(fmt.Errorf("not signed by %s", inv.IssuerPeerName))
	}
	if identity != "" && inv.AuthScheme == AuthGMC && inv.SubjectPeerName != identity {
		return untrusted(fmt.Errorf("issued to %s, not %s", inv.SubjectPeerName, identity))
	}
	if chainErr != nil {
		return fmt.Errorf("verify invitation: %w: %w", peererr.ErrInvalidTimePeriod, chainErr)
	}
	if now < inv.NotBefore || now >= inv.NotAfter {
		return fmt.Errorf("verify invitation: valid from %s until %s, not at %s: %w",
			inv.NotBefore.Time(), inv.NotAfter.Time(), now.Time(), peererr.ErrInvalidTimePeriod)
	}
	return nil
}

// consistent checks the invitation against its own chain: the issuer it
// names holds the issuer credential; a GMC invitation's leaf is the
// credential it describes; a password invitation's issuer may grant its
// roles for its whole validity. check must have passed.
func (inv *Invitation) consistent() error {
	issuer := inv.issuerCredential()
	if issuer.Subject.PeerName != inv.IssuerPeerName {
		return fmt.Errorf("issuer %s does not hold the issuer credential (%s): %w", inv.IssuerPeerName, issuer.Subject.PeerName, peererr.ErrInvalidArg)
	}
	if inv.AuthScheme == AuthPassword {
		if !issuer.CanIssue(inv.Roles) {
			return fmt.Errorf("issuer's roles %v cannot grant %v: %w", issuer.Roles, inv.Roles, peererr.ErrNotAuthorized)
		}
		if inv.NotBefore < issuer.NotBefore || inv.NotAfter > issuer.NotAfter {
			return fmt.Errorf("validity outside the issuer's: %w", peererr.ErrInvalidTimePeriod)
		}
		return nil
	}
	leaf := inv.Credential[0]
	switch {
	case leaf.Subject.PeerName != inv.SubjectPeerName || leaf.Subject.FriendlyName != inv.SubjectFriendlyName ||
		!leaf.Subject.Key.Equal(inv.SubjectKey):
		return fmt.Errorf("credential is for %s, not the subject %s: %w", leaf.Subject.PeerName, inv.SubjectPeerName, peererr.ErrInvalidArg)
	case leaf.IssuerPeerName != inv.IssuerPeerName || leaf.IssuerFriendlyName != inv.IssuerFriendlyName:
		return fmt.Errorf("credential issued by %s, not %s: %w", leaf.IssuerPeerName, inv.IssuerPeerName, peererr.ErrInvalidArg)
	case leaf.GroupPeerName != inv.GroupPeerName:
		return fmt.Errorf("credential for group %s: %w", leaf.GroupPeerName, peererr.ErrInvalidArg)
	case !sameRoles(leaf.Roles, inv.Roles):
		return fmt.Errorf("credential roles %v, invitation roles %v: %w", leaf.Roles, inv.Roles, peererr.ErrInvalidArg)
	case leaf.NotBefore != inv.NotBefore || leaf.NotAfter != inv.NotAfter:
		return fmt.Errorf("credential validity differs from the invitation's: %w", peererr.ErrInvalidTimePeriod)
	}
	return nil
}

// sameRoles compares two duplicate-free role lists as sets.
func sameRoles(a, b []uuid.UUID) bool {
	if len(a) != len(b) {
		return false
	}
	for _, r := range a {
		found := false
		for _, o := range b {
			found = found || o == r
		}
		if !found {
			return false
		}
	}
	return true
}

// signedBytes is what the issuer signs: the context, then every field but
// the signature in a canonical binary form (integers big-endian, strings
// and byte strings with a 32-bit length, lists with an 8-bit count).
func (inv *Invitation) signedBytes() ([]byte, error) {
	var chain, issuerChain []byte
	var err error
	if len(inv.Credential) > 0 {
		if chain, err = inv.Credential.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	if len(inv.IssuerChain) > 0 {
		if issuerChain, err = inv.IssuerChain.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 0, 1024+len(chain)+len(issuerChain))
	b = append(b, signingContext...)
	b = appendBytes(b, []byte(inv.GroupPeerName))
	b = appendBytes(b, []byte(inv.GroupFriendlyName))
	b = appendBytes(b, inv.GroupKey)
	b = appendBytes(b, []byte(inv.Cloud))
	b = binary.BigEndian.AppendUint32(b, inv.Scope)
	b = binary.BigEndian.AppendUint32(b, inv.CloudFlags)
	b = binary.BigEndian.AppendUint32(b, inv.Flags)
	b = appendBytes(b, []byte(inv.IssuerPeerName))
	b = appendBytes(b, []byte(inv.IssuerFriendlyName))
	b = appendBytes(b, []byte(inv.SubjectPeerName))
	b = appendBytes(b, []byte(inv.SubjectFriendlyName))
	b = appendBytes(b, inv.SubjectKey)
	b = append(b, byte(len(inv.Roles)))
	for _, r := range inv.Roles {
		b = append(b, r[:]...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(inv.NotBefore))
	b = binary.BigEndian.AppendUint64(b, uint64(inv.NotAfter))
	b = append(b, byte(len(inv.Classifiers)))
	for _, c := range inv.Classifiers {
		b = appendBytes(b, []byte(c))
	}
	b = binary.BigEndian.AppendUint32(b, inv.AuthScheme)
	b = appendBytes(b, chain)
	b = appendBytes(b, issuerChain)
	b = append(b, byte(len(inv.Addresses)))
	for _, a := range inv.Addresses {
		b = appendBytes(b, []byte(a.String()))
	}
	return b, nil
}

func appendBytes(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}
