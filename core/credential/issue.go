package credential

import (
	"crypto/ed25519"
	"fmt"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// IssueRoot makes the group's root credential: signed by the group key,
// for the group's creator, with any roles (MS-PPSEC 2.2.5.2.3: "for a GRC
// parent and GMC child, any Role is valid"). Its issuer names are the
// group peer name, which must be the secure name of groupKey.
func IssueRoot(groupKey ed25519.PrivateKey, groupPeerName string, creator Subject, roles []uuid.UUID, notBefore, notAfter filetime.FILETIME) (Chain, error) {
	if len(groupKey) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("issue root credential: group key of %d bytes: %w", len(groupKey), peererr.ErrInvalidArg)
	}
	pub := groupKey.Public().(ed25519.PublicKey)
	if a, _, err := peername.Parse(groupPeerName); err != nil || a != peername.Authority(pub) {
		return nil, fmt.Errorf("issue root credential: %q is not the group key's name: %w", groupPeerName, peererr.ErrInvalidArg)
	}
	if err := checkSubject(creator); err != nil {
		return nil, fmt.Errorf("issue root credential: %w: %w", peererr.ErrInvalidCredentialInfo, err)
	}
	roles = canonicalRoles(roles)
	if err := checkRoles(roles); err != nil {
		return nil, fmt.Errorf("issue root credential: %w: %w", peererr.ErrInvalidCredentialInfo, err)
	}
	if creator.Key.Equal(pub) {
		return nil, fmt.Errorf("issue root credential: creator is the group key: %w", peererr.ErrCircularChainDetected)
	}
	c := &Credential{
		GroupPeerName: groupPeerName, Subject: cloneSubject(creator),
		IssuerPeerName: groupPeerName, IssuerFriendlyName: groupPeerName,
		Roles: roles, NotBefore: notBefore, NotAfter: notAfter,
	}
	if err := c.sign(groupKey); err != nil {
		return nil, fmt.Errorf("issue root credential: %w", err)
	}
	return Chain{c}, nil
}

// Issue makes a credential for subject signed by issuer, a member whose
// own chain is issuerChain (leaf = issuer), and returns the subject's
// chain: the new credential followed by issuerChain.
//
// It refuses, rather than narrows:
//   - roles the issuer's roles cannot issue (MS-PPSEC 2.2.5.3):
//     PEER_E_NOT_AUTHORIZED;
//   - a validity not inside the issuer's (PeerGroupCreateInvitation: the
//     expiration "cannot be greater than the remaining lifetime of the
//     issuing peer"): PEER_E_INVALID_TIME_PERIOD;
//   - a chain longer than 24 ("How Group Security Works"):
//     PEER_E_CHAIN_TOO_LONG;
//   - a subject already in the issuer's chain:
//     PEER_E_CIRCULAR_CHAIN_DETECTED.
//
// Roles are stored sorted and without duplicates. Issue does not check
// the issuer's chain against the group key or the clock; Verify does.
func Issue(issuer Subject, issuerKey ed25519.PrivateKey, issuerChain Chain, subject Subject, roles []uuid.UUID, notBefore, notAfter filetime.FILETIME) (Chain, error) {
	if err := issuerChain.checkShape(); err != nil {
		return nil, fmt.Errorf("issue credential: issuer's chain: %w", err)
	}
	if len(issuerChain) >= MaxChainLength {
		return nil, fmt.Errorf("issue credential: issuer's chain has %d links, the new one would exceed %d: %w",
			len(issuerChain), MaxChainLength, peererr.ErrChainTooLong)
	}
	parent := issuerChain[0]
	if len(issuerKey) != ed25519.PrivateKeySize || !parent.Subject.Key.Equal(issuerKey.Public()) ||
		!issuer.Key.Equal(parent.Subject.Key) || issuer.PeerName != parent.Subject.PeerName {
		return nil, fmt.Errorf("issue credential: issuer %s does not hold the leaf of its chain: %w", issuer.PeerName, peererr.ErrInvalidArg)
	}
	if err := checkSubject(subject); err != nil {
		return nil, fmt.Errorf("issue credential: %w: %w", peererr.ErrInvalidCredentialInfo, err)
	}
	for _, link := range issuerChain {
		if link.Subject.Key.Equal(subject.Key) {
			return nil, fmt.Errorf("issue credential: %s is already in the issuer's chain: %w", subject.PeerName, peererr.ErrCircularChainDetected)
		}
	}
	roles = canonicalRoles(roles)
	if err := checkRoles(roles); err != nil {
		return nil, fmt.Errorf("issue credential: %w: %w", peererr.ErrInvalidCredentialInfo, err)
	}
	if !parent.CanIssue(roles) {
		return nil, fmt.Errorf("issue credential: roles %v not issuable with %v: %w", roles, parent.Roles, peererr.ErrNotAuthorized)
	}
	if notBefore < parent.NotBefore || notAfter > parent.NotAfter {
		return nil, fmt.Errorf("issue credential: validity [%d, %d) outside the issuer's [%d, %d): %w",
			notBefore, notAfter, parent.NotBefore, parent.NotAfter, peererr.ErrInvalidTimePeriod)
	}
	c := &Credential{
		GroupPeerName: parent.GroupPeerName, Subject: cloneSubject(subject),
		IssuerPeerName: issuer.PeerName, IssuerFriendlyName: issuer.FriendlyName,
		Roles: roles, NotBefore: notBefore, NotAfter: notAfter,
	}
	if err := c.sign(issuerKey); err != nil {
		return nil, fmt.Errorf("issue credential: %w", err)
	}
	return append(Chain{c}, issuerChain...), nil
}

// sign checks the credential's form and sets its signature.
func (c *Credential) sign(key ed25519.PrivateKey) error {
	c.Signature = make([]byte, ed25519.SignatureSize) // so check sees a complete credential
	if err := c.check(); err != nil {
		c.Signature = nil
		return err
	}
	c.Signature = ed25519.Sign(key, c.signedBytes())
	return nil
}

func cloneSubject(s Subject) Subject {
	s.Key = append(ed25519.PublicKey(nil), s.Key...)
	return s
}
