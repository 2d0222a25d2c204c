package credential

import (
	"crypto/ed25519"
	"fmt"

	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/sig"
)

// The two ways a chain that is otherwise sound fails on the clock. Both
// wrap PEER_E_INVALID_TIME_PERIOD; callers that must tell "out of date"
// from "forged" (an invitation: PeerGroupJoin documents
// PEER_E_INVALID_TIME_PERIOD for the one and PEER_E_INVITATION_NOT_TRUSTED
// for the other) test for these with errors.Is.
var (
	ErrNotYetValid = fmt.Errorf("credential not yet valid: %w", peererr.ErrInvalidTimePeriod)
	ErrExpired     = fmt.Errorf("credential expired: %w", peererr.ErrInvalidTimePeriod)
)

// Verify checks the chain for the group groupPeerName whose public key is
// groupKey, at time now. It checks, in this order, and stops at the first
// failure:
//   - length 1..24 (PEER_E_CHAIN_TOO_LONG past 24);
//   - the form of every field and that groupPeerName is groupKey's secure
//     name (PEER_E_INVALID_CREDENTIAL);
//   - that no identity, nor the group key, appears twice
//     (PEER_E_CIRCULAR_CHAIN_DETECTED);
//   - every link from the root down: same group, issuer named and
//     signature made by the link above (the group key for the root)
//     (PEER_E_INVALID_CREDENTIAL); roles issuable by the link above
//     (PEER_E_NOT_AUTHORIZED); validity inside the link above's
//     (PEER_E_INVALID_TIME_PERIOD);
//   - now within every link's validity: ErrNotYetValid or ErrExpired.
//
// The clock comes last, so an out-of-date chain that fails with
// ErrExpired or ErrNotYetValid is otherwise sound.
func (c Chain) Verify(groupPeerName string, groupKey ed25519.PublicKey, now filetime.FILETIME) error {
	if err := c.verify(groupPeerName, groupKey, now); err != nil {
		return fmt.Errorf("verify credential chain: %w", err)
	}
	return nil
}

func (c Chain) verify(groupPeerName string, groupKey ed25519.PublicKey, now filetime.FILETIME) error {
	if err := c.checkShape(); err != nil {
		return err
	}
	if len(groupKey) != ed25519.PublicKeySize {
		return fmt.Errorf("group key of %d bytes: %w", len(groupKey), peererr.ErrInvalidCredential)
	}
	if err := checkGroupName(groupPeerName); err != nil {
		return err
	}
	if a, _, _ := peername.Parse(groupPeerName); a != peername.Authority(groupKey) {
		return fmt.Errorf("group peer name %s is not the group key's: %w", groupPeerName, peererr.ErrInvalidCredential)
	}
	for i, cr := range c {
		if err := cr.check(); err != nil {
			return fmt.Errorf("link %d: %w", i, err)
		}
	}
	seen := map[string]bool{string(groupKey): true}
	for i, cr := range c {
		k := string(cr.Subject.Key)
		if seen[k] {
			return fmt.Errorf("link %d: %s appears twice: %w", i, cr.Subject.PeerName, peererr.ErrCircularChainDetected)
		}
		seen[k] = true
	}
	for i := len(c) - 1; i >= 0; i-- {
		if err := c.verifyLink(i, groupPeerName, groupKey); err != nil {
			return fmt.Errorf("link %d (%s): %w", i, c[i].Subject.PeerName, err)
		}
	}
	for i, cr := range c {
		switch {
		case now < cr.NotBefore:
			return fmt.Errorf("link %d (%s) valid from %s: %w", i, cr.Subject.PeerName, cr.NotBefore.Time(), ErrNotYetValid)
		case now >= cr.NotAfter:
			return fmt.Errorf("link %d (%s) valid until %s: %w", i, cr.Subject.PeerName, cr.NotAfter.Time(), ErrExpired)
		}
	}
	return nil
}

// verifyLink checks link i against its issuer, link i+1 or the group key.
func (c Chain) verifyLink(i int, groupPeerName string, groupKey ed25519.PublicKey) error {
	cr := c[i]
	if cr.GroupPeerName != groupPeerName {
		return fmt.Errorf("issued for group %s: %w", cr.GroupPeerName, peererr.ErrInvalidCredential)
	}
	if i == len(c)-1 {
		// The root: MS-PPSEC 2.2.5.2.3 allows any role under the group key.
		if cr.IssuerPeerName != groupPeerName || !sig.Verify(groupKey, cr.signedBytes(), cr.Signature) {
			return fmt.Errorf("root not signed by the group key: %w", peererr.ErrInvalidCredential)
		}
		return nil
	}
	parent := c[i+1]
	if cr.IssuerPeerName != parent.Subject.PeerName || !sig.Verify(parent.Subject.Key, cr.signedBytes(), cr.Signature) {
		return fmt.Errorf("not signed by %s: %w", parent.Subject.PeerName, peererr.ErrInvalidCredential)
	}
	if !parent.CanIssue(cr.Roles) {
		return fmt.Errorf("roles %v not issuable with %v: %w", cr.Roles, parent.Roles, peererr.ErrNotAuthorized)
	}
	if cr.NotBefore < parent.NotBefore || cr.NotAfter > parent.NotAfter {
		return fmt.Errorf("validity [%s, %s) outside its issuer's [%s, %s): %w",
			cr.NotBefore.Time(), cr.NotAfter.Time(), parent.NotBefore.Time(), parent.NotAfter.Time(), peererr.ErrInvalidTimePeriod)
	}
	return nil
}
