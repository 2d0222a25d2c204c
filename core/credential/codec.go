package credential

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// Binary format of a chain (version 1), all integers big-endian:
//
//	chain      = "GMC" version:u8(=1) count:u8(1..24) credential{count}
//	credential = fields signature:[64]
//	fields     = str(GroupPeerName) str(Subject.PeerName)
//	             str(Subject.FriendlyName) Subject.Key:[32]
//	             str(IssuerPeerName) str(IssuerFriendlyName)
//	             roles:u8(1..16) role:[16]{roles}   (strictly ascending)
//	             NotBefore:u64 NotAfter:u64
//	str        = len:u16 UTF-8 bytes
//
// The encoding is canonical: ParseChain accepts exactly the bytes
// MarshalBinary produces, so a credential has one encoding. A credential
// is signed over signingContext followed by its fields.
const (
	magic          = "GMC"
	formatVersion  = 1
	signingContext = "p2p-gmc-v1\x00"
	roleSize       = 16
	// maxStringBytes bounds any string field: a peer name of MaxPeerName
	// UTF-16 units is at most three UTF-8 bytes a unit.
	maxStringBytes = 3 * peername.MaxPeerName
	// maxCredentialSize is the largest encoded credential.
	maxCredentialSize = 5*(2+maxStringBytes) + ed25519.PublicKeySize + 1 + MaxRoles*roleSize + 16 + ed25519.SignatureSize
	// MaxEncodedSize is the largest encoded chain ParseChain reads.
	MaxEncodedSize = len(magic) + 2 + MaxChainLength*maxCredentialSize
)

// signedBytes is what the issuer signs: a fixed context string, then
// every field but the signature.
func (c *Credential) signedBytes() []byte {
	b := make([]byte, 0, 256)
	b = append(b, signingContext...)
	return c.appendFields(b)
}

func (c *Credential) appendFields(b []byte) []byte {
	b = appendString(b, c.GroupPeerName)
	b = appendString(b, c.Subject.PeerName)
	b = appendString(b, c.Subject.FriendlyName)
	b = append(b, c.Subject.Key...)
	b = appendString(b, c.IssuerPeerName)
	b = appendString(b, c.IssuerFriendlyName)
	b = append(b, byte(len(c.Roles)))
	for _, r := range c.Roles {
		b = append(b, r[:]...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(c.NotBefore))
	return binary.BigEndian.AppendUint64(b, uint64(c.NotAfter))
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// MarshalBinary encodes the chain in the canonical, versioned format
// above. It refuses chains ParseChain would refuse.
func (c Chain) MarshalBinary() ([]byte, error) {
	if err := c.checkShape(); err != nil {
		return nil, fmt.Errorf("marshal credential chain: %w", err)
	}
	b := make([]byte, 0, 512*len(c))
	b = append(b, magic...)
	b = append(b, formatVersion, byte(len(c)))
	for i, cr := range c {
		if err := cr.check(); err != nil {
			return nil, fmt.Errorf("marshal credential chain: link %d: %w", i, err)
		}
		b = cr.appendFields(b)
		b = append(b, cr.Signature...)
	}
	return b, nil
}

// checkShape checks the length of the chain and that no link is nil.
func (c Chain) checkShape() error {
	if len(c) == 0 {
		return fmt.Errorf("empty chain: %w", peererr.ErrInvalidCredential)
	}
	if len(c) > MaxChainLength {
		return fmt.Errorf("%d links, at most %d: %w", len(c), MaxChainLength, peererr.ErrChainTooLong)
	}
	for i, cr := range c {
		if cr == nil {
			return fmt.Errorf("link %d is nil: %w", i, peererr.ErrInvalidCredential)
		}
	}
	return nil
}

// ParseChain decodes a chain encoded by MarshalBinary. It is a decoder of
// outside input: it bounds every length, rejects anything but the
// canonical encoding (including trailing bytes) and never panics. It
// checks the form of every field but no signature or right: call Verify.
func ParseChain(b []byte) (Chain, error) {
	c, err := parseChain(b)
	if err != nil {
		return nil, fmt.Errorf("parse credential chain: %w", err)
	}
	return c, nil
}

func parseChain(b []byte) (Chain, error) {
	if len(b) > MaxEncodedSize {
		return nil, fmt.Errorf("%d bytes: %w", len(b), peererr.ErrInvalidCredential)
	}
	r := reader{b: b}
	if string(r.bytes(len(magic))) != magic {
		return nil, fmt.Errorf("not a credential chain: %w", peererr.ErrInvalidCredential)
	}
	if v := r.u8(); v != formatVersion {
		return nil, fmt.Errorf("format version %d: %w", v, peererr.ErrUnsupportedVersion)
	}
	n := int(r.u8())
	switch {
	case r.err:
		return nil, fmt.Errorf("truncated: %w", peererr.ErrInvalidCredential)
	case n == 0:
		return nil, fmt.Errorf("empty chain: %w", peererr.ErrInvalidCredential)
	case n > MaxChainLength:
		return nil, fmt.Errorf("%d links, at most %d: %w", n, MaxChainLength, peererr.ErrChainTooLong)
	}
	c := make(Chain, 0, n)
	for i := 0; i < n; i++ {
		cr := &Credential{
			GroupPeerName: r.str(),
			Subject:       Subject{PeerName: r.str(), FriendlyName: r.str(), Key: ed25519.PublicKey(r.bytes(ed25519.PublicKeySize))},
		}
		cr.IssuerPeerName = r.str()
		cr.IssuerFriendlyName = r.str()
		nr := int(r.u8())
		if nr > MaxRoles {
			return nil, fmt.Errorf("link %d: %d roles: %w", i, nr, peererr.ErrInvalidCredential)
		}
		for j := 0; j < nr; j++ {
			var role uuid.UUID
			copy(role[:], r.bytes(roleSize))
			cr.Roles = append(cr.Roles, role)
		}
		cr.NotBefore = filetime.FILETIME(r.u64())
		cr.NotAfter = filetime.FILETIME(r.u64())
		cr.Signature = r.bytes(ed25519.SignatureSize)
		if r.err {
			return nil, fmt.Errorf("link %d truncated: %w", i, peererr.ErrInvalidCredential)
		}
		if err := cr.check(); err != nil {
			return nil, fmt.Errorf("link %d: %w", i, err)
		}
		c = append(c, cr)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes: %w", len(r.b), peererr.ErrInvalidCredential)
	}
	return c, nil
}

// check validates the form of every field of one credential: what any
// credential, signed or not yet, must satisfy. Errors wrap
// PEER_E_INVALID_CREDENTIAL (PEER_E_INVALID_TIME_PERIOD for an empty or
// out-of-range validity).
func (c *Credential) check() error {
	if err := checkGroupName(c.GroupPeerName); err != nil {
		return err
	}
	if err := checkSubject(c.Subject); err != nil {
		return err
	}
	if a, _, err := peername.Parse(c.IssuerPeerName); err != nil || a == "0" {
		return fmt.Errorf("issuer peer name %q: %w", c.IssuerPeerName, peererr.ErrInvalidCredential)
	}
	if err := checkFriendlyName(c.IssuerFriendlyName); err != nil {
		return fmt.Errorf("issuer friendly name: %w", err)
	}
	if err := checkRoles(c.Roles); err != nil {
		return err
	}
	if err := checkValidity(c.NotBefore, c.NotAfter); err != nil {
		return err
	}
	if len(c.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("signature of %d bytes: %w", len(c.Signature), peererr.ErrInvalidCredential)
	}
	return nil
}

func checkGroupName(name string) error {
	a, _, err := peername.Parse(name)
	if err != nil || a == "0" || peername.UTF16Len(name) > peername.MaxGroupName {
		return fmt.Errorf("group peer name %q: %w", name, peererr.ErrInvalidCredential)
	}
	return nil
}

// checkSubject checks that s names a secure identity by its own key.
func checkSubject(s Subject) error {
	if len(s.Key) != ed25519.PublicKeySize {
		return fmt.Errorf("subject key of %d bytes: %w", len(s.Key), peererr.ErrInvalidCredential)
	}
	a, _, err := peername.Parse(s.PeerName)
	if err != nil || a != peername.Authority(s.Key) {
		return fmt.Errorf("subject peer name %q does not name its key: %w", s.PeerName, peererr.ErrInvalidCredential)
	}
	if err := checkFriendlyName(s.FriendlyName); err != nil {
		return fmt.Errorf("subject friendly name: %w", err)
	}
	return nil
}

// checkFriendlyName allows what a C caller can pass: valid UTF-8 without
// NUL, at most MaxFriendlyName UTF-16 units.
func checkFriendlyName(s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%q: %w", s, peererr.ErrInvalidCredential)
	}
	if err := peername.CheckFriendlyName(s); err != nil {
		return fmt.Errorf("%w: %w", peererr.ErrInvalidCredential, err)
	}
	return nil
}

// checkRoles requires 1..MaxRoles known roles in canonical order.
func checkRoles(roles []uuid.UUID) error {
	if len(roles) == 0 || len(roles) > MaxRoles {
		return fmt.Errorf("%d roles: %w", len(roles), peererr.ErrInvalidCredential)
	}
	for i, r := range roles {
		if !knownRole(r) {
			return fmt.Errorf("unknown role %s: %w", r, peererr.ErrInvalidCredential)
		}
		if i > 0 && string(roles[i-1][:]) >= string(r[:]) {
			return fmt.Errorf("roles not in canonical order: %w", peererr.ErrInvalidCredential)
		}
	}
	return nil
}

func checkValidity(notBefore, notAfter filetime.FILETIME) error {
	if notBefore >= notAfter || notAfter > filetime.Forever {
		return fmt.Errorf("validity [%d, %d): %w", notBefore, notAfter, peererr.ErrInvalidTimePeriod)
	}
	return nil
}

// reader consumes a byte slice; a read past the end sets err and yields
// zero values, so a decoder checks once per record.
type reader struct {
	b   []byte
	err bool
}

func (r *reader) bytes(n int) []byte {
	if r.err || n > len(r.b) {
		r.err = true
		return nil
	}
	out := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) str() string {
	var n int
	if b := r.bytes(2); b != nil {
		n = int(binary.BigEndian.Uint16(b))
	}
	if n > maxStringBytes {
		r.err = true
		return ""
	}
	return string(r.bytes(n))
}
