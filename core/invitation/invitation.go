// Package invitation builds, encodes, parses and verifies the invitations
// of the Peer Grouping API: the XML text PeerGroupCreateInvitation,
// PeerGroupIssueCredentials and PeerGroupCreatePasswordInvitation return
// and PeerGroupJoin, PeerGroupPasswordJoin and PeerGroupParseInvitation
// take. Its fields are those of PEER_INVITATION_INFO plus what a joiner
// needs to trust and reach the group: the group key, the issuer's
// credential chain and member addresses.
//
// There are two kinds (PEER_GROUP_AUTHENTICATION_SCHEME):
//   - AuthGMC: issued to one identity (Subject*), carrying that identity's
//     new credential chain, whose leaf repeats the invitation's subject,
//     issuer, roles and validity; the rest of the chain is the issuer's.
//   - AuthPassword: for anyone who knows the group password; no subject,
//     no credential, and IssuerChain proves the issuer is a member that
//     may issue Roles (the role a password joiner will receive).
//
// Every invitation is signed by its issuer's identity key over every
// other field (signing context "p2p-invitation-v1\x00", then a canonical
// binary encoding of the fields).
//
// # Document format, version "p2p-1"
//
// One line of XML, no declaration, no whitespace between elements,
// elements in exactly this order; text is escaped as encoding/xml's
// EscapeText does; binary parts are standard base64 with padding:
//
//	<PEERINVITATION VERSION="p2p-1">
//	<GROUPPEERNAME>…</GROUPPEERNAME>          group peer name
//	<GROUPFRIENDLYNAME>…</GROUPFRIENDLYNAME>  may be empty
//	<GROUPKEY>base64</GROUPKEY>              Ed25519 public key, 32 bytes
//	<CLOUD>…</CLOUD>                          PNRP cloud name, may be empty
//	<SCOPE>n</SCOPE>                          PNRP_SCOPE, 0..3
//	<CLOUDFLAGS>n</CLOUDFLAGS>                PNRP_CLOUD_FLAGS bits, 0..7
//	<FLAGS>0</FLAGS>                          dwFlags, must be 0
//	<ISSUERPEERNAME>…</ISSUERPEERNAME>
//	<ISSUERFRIENDLYNAME>…</ISSUERFRIENDLYNAME>
//	<SUBJECTPEERNAME>…</SUBJECTPEERNAME>      \
//	<SUBJECTFRIENDLYNAME>…</SUBJECTFRIENDLYNAME> > GMC invitations only
//	<SUBJECTKEY>base64</SUBJECTKEY>           /
//	<VALIDITYSTART>n</VALIDITYSTART>          FILETIME, decimal
//	<VALIDITYEND>n</VALIDITYEND>              FILETIME, decimal
//	<ROLE>uuid</ROLE>                         1..16, lower-case UUIDs
//	<CLASSIFIER>…</CLASSIFIER>                0..16
//	<AUTHSCHEME>n</AUTHSCHEME>                1 GMC, 2 password
//	<CREDENTIAL>base64</CREDENTIAL>           GMC: credential.Chain, 2..24 links
//	<ISSUERCHAIN>base64</ISSUERCHAIN>         password: credential.Chain, 1..24
//	<ADDRESS>ip:port</ADDRESS>                0..32, netip.AddrPort text
//	<SIGNATURE>base64</SIGNATURE>             64 bytes
//	</PEERINVITATION>
//
// (shown on several lines for reading only). Parse accepts exactly what
// Encode produces, byte for byte, and nothing else: no other spacing,
// attribute, comment, character reference, case or trailing byte.
package invitation

import (
	"crypto/ed25519"
	"fmt"
	"net/netip"
	"unicode/utf8"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// Authentication schemes, PEER_GROUP_AUTHENTICATION_SCHEME.
const (
	AuthGMC      uint32 = 1 // PEER_GROUP_GMC_AUTHENTICATION
	AuthPassword uint32 = 2 // PEER_GROUP_PASSWORD_AUTHENTICATION
)

// Limits of an invitation.
const (
	// Version is the VERSION attribute of the documents this package
	// writes and reads.
	Version = "p2p-1"
	// MaxDocumentSize bounds the text Parse reads, in bytes; the largest
	// invitation Encode can produce is well below it.
	MaxDocumentSize = 256 << 10
	MaxRoles        = credential.MaxRoles
	MaxClassifiers  = 16
	MaxAddresses    = 32
	// MaxCloudName is MAX_CLOUD_NAME (256 WCHARs with the NUL) less the NUL.
	MaxCloudName = 255
	// maxZone bounds the IPv6 zone of an address.
	maxZone = 32
	// maxScope is PNRP_LINK_LOCAL_SCOPE, the largest PNRP_SCOPE.
	maxScope = 3
	// cloudFlagBits are PNRP_CLOUD_NAME_LOCAL | RESOLVE_ONLY |
	// FULL_PARTICIPANT.
	cloudFlagBits = 0x7
)

// Invitation is one invitation, PEER_INVITATION_INFO and what the joiner
// needs besides.
type Invitation struct {
	GroupPeerName, GroupFriendlyName, Cloud string
	// Scope is PNRP_SCOPE, CloudFlags PNRP_CLOUD_FLAGS; Flags is
	// PEER_INVITATION_INFO's dwFlags, which "must be set to 0x00000000".
	Scope, CloudFlags, Flags uint32
	GroupKey                 ed25519.PublicKey
	IssuerPeerName           string
	IssuerFriendlyName       string
	// Subject names the invitee of a GMC invitation; empty (and
	// SubjectKey nil) in a password invitation.
	SubjectPeerName, SubjectFriendlyName string
	SubjectKey                           ed25519.PublicKey
	Roles                                []uuid.UUID
	NotBefore, NotAfter                  filetime.FILETIME
	// Classifiers is PEER_INVITATION_INFO's ppwzClassifiers, "reserved
	// for future use" by the Windows documentation; MS-PPSEC 2.2.5.3
	// issues non-administrator roles with "participant" (see
	// credential.Classifiers). Carried and signed, not interpreted.
	Classifiers []string
	AuthScheme  uint32
	// Credential is the invitee's chain in a GMC invitation: leaf =
	// subject, then the issuer's own chain.
	Credential credential.Chain
	// IssuerChain is the issuer's chain in a password invitation.
	IssuerChain credential.Chain
	// Addresses are where members can be reached.
	Addresses []netip.AddrPort
	// Signature is the issuer's over every other field.
	Signature []byte
}

// check validates the form of every field but the signature: what any
// invitation, signed or not, must satisfy. Errors wrap the code of the
// offending field; callers put their own category in front.
func (inv *Invitation) check() error {
	if len(inv.GroupKey) != ed25519.PublicKeySize {
		return fmt.Errorf("group key of %d bytes: %w", len(inv.GroupKey), peererr.ErrInvalidArg)
	}
	if a, _, err := peername.Parse(inv.GroupPeerName); err != nil || a != peername.Authority(inv.GroupKey) ||
		peername.UTF16Len(inv.GroupPeerName) > peername.MaxGroupName {
		return fmt.Errorf("group peer name %q is not the group key's: %w", inv.GroupPeerName, peererr.ErrInvalidPeerName)
	}
	if err := checkText(inv.GroupFriendlyName, peername.MaxFriendlyName, peererr.ErrInvalidFriendlyName); err != nil {
		return fmt.Errorf("group friendly name: %w", err)
	}
	if err := checkText(inv.Cloud, MaxCloudName, peererr.ErrInvalidArg); err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	if inv.Scope > maxScope || inv.CloudFlags&^cloudFlagBits != 0 || inv.Flags != 0 {
		return fmt.Errorf("scope %d, cloud flags %#x, flags %#x: %w", inv.Scope, inv.CloudFlags, inv.Flags, peererr.ErrInvalidArg)
	}
	if err := checkPeer(inv.IssuerPeerName, inv.IssuerFriendlyName); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	switch inv.AuthScheme {
	case AuthGMC:
		if err := checkPeer(inv.SubjectPeerName, inv.SubjectFriendlyName); err != nil {
			return fmt.Errorf("subject: %w", err)
		}
		if len(inv.SubjectKey) != ed25519.PublicKeySize {
			return fmt.Errorf("subject key of %d bytes: %w", len(inv.SubjectKey), peererr.ErrInvalidArg)
		}
		if a, _, _ := peername.Parse(inv.SubjectPeerName); a != peername.Authority(inv.SubjectKey) {
			return fmt.Errorf("subject peer name %q is not the subject key's: %w", inv.SubjectPeerName, peererr.ErrInvalidPeerName)
		}
		if len(inv.Credential) < 2 || len(inv.IssuerChain) != 0 {
			return fmt.Errorf("GMC invitation needs a credential of 2 or more links and no issuer chain: %w", peererr.ErrInvalidCredential)
		}
	case AuthPassword:
		if inv.SubjectPeerName != "" || inv.SubjectFriendlyName != "" || len(inv.SubjectKey) != 0 {
			return fmt.Errorf("password invitation names a subject: %w", peererr.ErrInvalidArg)
		}
		if len(inv.IssuerChain) == 0 || len(inv.Credential) != 0 {
			return fmt.Errorf("password invitation needs an issuer chain and no credential: %w", peererr.ErrInvalidCredential)
		}
	default:
		return fmt.Errorf("authentication scheme %d: %w", inv.AuthScheme, peererr.ErrInvalidArg)
	}
	if _, err := inv.trustChain().MarshalBinary(); err != nil {
		return err
	}
	if err := checkRoles(inv.Roles); err != nil {
		return err
	}
	if inv.NotBefore >= inv.NotAfter || inv.NotAfter > filetime.Forever {
		return fmt.Errorf("validity [%d, %d): %w", inv.NotBefore, inv.NotAfter, peererr.ErrInvalidTimePeriod)
	}
	if len(inv.Classifiers) > MaxClassifiers {
		return fmt.Errorf("%d classifiers, at most %d: %w", len(inv.Classifiers), MaxClassifiers, peererr.ErrInvalidArg)
	}
	for _, c := range inv.Classifiers {
		if err := peername.CheckClassifier(c); err != nil {
			return err
		}
		if err := checkText(c, peername.MaxClassifier, peererr.ErrInvalidClassifier); err != nil {
			return fmt.Errorf("classifier: %w", err)
		}
	}
	if len(inv.Addresses) > MaxAddresses {
		return fmt.Errorf("%d addresses, at most %d: %w", len(inv.Addresses), MaxAddresses, peererr.ErrInvalidArg)
	}
	for _, a := range inv.Addresses {
		if !a.IsValid() || a.Port() == 0 || a.Addr().IsUnspecified() || len(a.Addr().Zone()) > maxZone ||
			checkText(a.Addr().Zone(), maxZone, peererr.ErrInvalidAddress) != nil {
			return fmt.Errorf("address %s: %w", a, peererr.ErrInvalidAddress)
		}
	}
	return nil
}

// checkPeer checks a secure peer name and its friendly name.
func checkPeer(name, friendly string) error {
	if a, _, err := peername.Parse(name); err != nil || a == "0" {
		return fmt.Errorf("peer name %q: %w", name, peererr.ErrInvalidPeerName)
	}
	if err := checkText(name, peername.MaxPeerName, peererr.ErrInvalidPeerName); err != nil {
		return err
	}
	return checkText(friendly, peername.MaxFriendlyName, peererr.ErrInvalidFriendlyName)
}

// checkRoles requires 1..MaxRoles distinct, defined roles.
func checkRoles(roles []uuid.UUID) error {
	if len(roles) == 0 || len(roles) > MaxRoles {
		return fmt.Errorf("%d roles: %w", len(roles), peererr.ErrInvalidRoleProperty)
	}
	for i, r := range roles {
		if r != credential.RoleAdmin && r != credential.RoleMember && r != credential.RoleInvitingMember {
			return fmt.Errorf("unknown role %s: %w", r, peererr.ErrInvalidRoleProperty)
		}
		for _, o := range roles[:i] {
			if o == r {
				return fmt.Errorf("role %s twice: %w", r, peererr.ErrInvalidRoleProperty)
			}
		}
	}
	return nil
}

// checkText requires valid UTF-8 of at most max UTF-16 units made only of
// characters XML 1.0 can carry (so the text survives the document).
func checkText(s string, max int, code *peererr.Code) error {
	if !utf8.ValidString(s) || peername.UTF16Len(s) > max {
		return fmt.Errorf("%q: %w", s, code)
	}
	for _, r := range s {
		if !xmlChar(r) {
			return fmt.Errorf("%q: character %U: %w", s, r, code)
		}
	}
	return nil
}

// xmlChar reports whether r is a Char of XML 1.0 (section 2.2).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// issuerCredential is the credential of the invitation's issuer: the
// second link of a GMC invitation's chain, the leaf of a password
// invitation's issuer chain. check must have passed.
func (inv *Invitation) issuerCredential() *credential.Credential {
	if inv.AuthScheme == AuthGMC {
		return inv.Credential[1]
	}
	return inv.IssuerChain[0]
}

// trustChain is the chain Verify checks against the group key.
func (inv *Invitation) trustChain() credential.Chain {
	if inv.AuthScheme == AuthGMC {
		return inv.Credential
	}
	return inv.IssuerChain
}
