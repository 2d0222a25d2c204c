package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/sig"
)

// certNotAfter is the expiry of every identity certificate: RFC 5280's
// "no well-defined expiration date" (99991231235959Z). An identity lives
// until it is deleted; group credentials carry their own validity.
var certNotAfter = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// Identity is one peer identity of the local user: an Ed25519 key pair,
// its self-signed certificate and its names. Values returned by a Store
// are copies: changing one changes nothing on disk.
type Identity struct {
	// PeerName is the secure peer name: Authority(public key) "." Classifier.
	PeerName string
	// Classifier is the part of PeerName after the first dot; may be empty.
	Classifier string
	// FriendlyName is the human-readable name; the peer name by default.
	FriendlyName string
	// Key is the private key; its public half names the identity.
	Key ed25519.PrivateKey
	// CertDER is the self-signed X.509 certificate of Key's public half,
	// subject CN = PeerName, as presented in mutual TLS.
	CertDER []byte
}

// PublicKey returns the identity's public key.
func (id *Identity) PublicKey() ed25519.PublicKey { return id.Key.Public().(ed25519.PublicKey) }

// TLSCertificate returns the identity's certificate and key for
// crypto/tls (quic-go), to present on both sides of a TLS 1.3 handshake.
// The peer checks it with ParseCertificate.
func (id *Identity) TLSCertificate() tls.Certificate {
	leaf, _ := x509.ParseCertificate(id.CertDER) // checked when the identity was made or loaded
	return tls.Certificate{Certificate: [][]byte{id.CertDER}, PrivateKey: id.Key, Leaf: leaf}
}

// XML returns the identity XML (PeerIdentityGetXML): the public part
// only, peer name, friendly name and certificate, for handing to a group
// administrator. ParseXML reads it back.
func (id *Identity) XML() string { return encodeInfo(id.PeerName, id.FriendlyName, id.CertDER) }

// newIdentity makes a fresh identity: a new key pair and its certificate.
// The names must have been checked; an empty friendly name becomes the
// peer name.
func newIdentity(classifier, friendlyName string) (*Identity, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	name := peername.Secure(pub, classifier)
	cert, err := selfSign(name, key, time.Now())
	if err != nil {
		return nil, err
	}
	if friendlyName == "" {
		friendlyName = name
	}
	return &Identity{PeerName: name, Classifier: classifier, FriendlyName: friendlyName, Key: key, CertDER: cert}, nil
}

// selfSign issues the self-signed certificate of key for peer name name.
func selfSign(name string, key ed25519.PrivateKey, now time.Time) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial.Add(serial, big.NewInt(1)), // positive, never 0
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.UTC().Add(-time.Hour).Truncate(time.Second), // tolerate skewed clocks
		NotAfter:              certNotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("self-sign certificate: %w", err)
	}
	return der, nil
}

// Info is what identity XML carries, verified by ParseXML.
type Info struct {
	// PeerName is the identity's secure peer name (the certificate's CN).
	PeerName string
	// FriendlyName is the name the identity gave itself; it is not
	// covered by the certificate's signature.
	FriendlyName string
	// PublicKey is the identity's key; PeerName's authority is its SHA-1.
	PublicKey ed25519.PublicKey
	// CertDER is the identity's self-signed certificate.
	CertDER []byte
}

// MaxCertSize bounds an identity certificate: ours are well under 2 KiB
// even with the longest classifier.
const MaxCertSize = 4096

// ParseCertificate checks an identity certificate, as received in identity
// XML or from the peer of a TLS handshake: at most MaxCertSize bytes,
// X.509, Ed25519 key and signature, a valid self-signature, and a subject
// CN that is a secure peer name whose authority is the SHA-1 of that key.
// It returns the Info with an empty FriendlyName. Errors wrap
// E_INVALIDARG. It does not check validity dates: identity certificates
// do not expire.
func ParseCertificate(der []byte) (*Info, error) {
	if len(der) == 0 || len(der) > MaxCertSize {
		return nil, fmt.Errorf("identity certificate of %d bytes: %w", len(der), peererr.ErrInvalidArg)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("identity certificate: %v: %w", err, peererr.ErrInvalidArg)
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok || cert.SignatureAlgorithm != x509.PureEd25519 {
		return nil, fmt.Errorf("identity certificate: %v key, %v signature, want Ed25519: %w",
			cert.PublicKeyAlgorithm, cert.SignatureAlgorithm, peererr.ErrInvalidArg)
	}
	if !sig.Verify(pub, cert.RawTBSCertificate, cert.Signature) {
		return nil, fmt.Errorf("identity certificate: bad self-signature: %w", peererr.ErrInvalidArg)
	}
	name := cert.Subject.CommonName
	if err := checkIdentityName(name); err != nil {
		return nil, fmt.Errorf("identity certificate: %w", err)
	}
	if a, _, _ := peername.Parse(name); a != peername.Authority(pub) {
		return nil, fmt.Errorf("identity certificate: peer name %q is not named for its key: %w", name, peererr.ErrInvalidArg)
	}
	return &Info{PeerName: name, PublicKey: pub, CertDER: der}, nil
}

// checkIdentityName accepts a secure peer name "<authority>.<classifier>"
// (the dot required) whose classifier is valid and XML-safe.
func checkIdentityName(name string) error {
	a, c, err := peername.Parse(name)
	if err != nil {
		return fmt.Errorf("%w: %w", peererr.ErrInvalidArg, err)
	}
	if a == "0" || !strings.Contains(name, ".") {
		return fmt.Errorf("peer name %q is not an identity's: %w", name, peererr.ErrInvalidArg)
	}
	return checkXMLText("classifier", c)
}

// checkClassifier validates a classifier for a new identity. The
// PeerIdentityCreate and PeerCreatePeerName pages document E_INVALIDARG
// for any invalid parameter (learn.microsoft.com, "PeerIdentityCreate
// function (p2p.h)"), so that is the HRESULT; peername's specific code
// (PEER_E_CLASSIFIER_TOO_LONG...) stays in the chain for Go callers.
func checkClassifier(classifier string) error {
	if err := peername.CheckClassifier(classifier); err != nil {
		return fmt.Errorf("%w: %w", peererr.ErrInvalidArg, err)
	}
	return checkXMLText("classifier", classifier)
}

// checkFriendlyName validates a friendly name: at most 255 UTF-16 units
// ("256 characters long, including the NULL terminator", PeerIdentityCreate
// page) and XML-safe. E_INVALIDARG, as documented for Create and
// SetFriendlyName.
func checkFriendlyName(name string) error {
	if err := peername.CheckFriendlyName(name); err != nil {
		return fmt.Errorf("%w: %w", peererr.ErrInvalidArg, err)
	}
	return checkXMLText("friendly name", name)
}

// checkXMLText rejects text that XML cannot carry unchanged: invalid
// UTF-8 and characters outside XML 1.0's Char production (C0 controls
// other than tab, newline and carriage return; U+FFFE, U+FFFF).
func checkXMLText(what, s string) error {
	for i, r := range s {
		ok := r == '\t' || r == '\n' || r == '\r' ||
			(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000
		if r == utf8.RuneError {
			_, n := utf8.DecodeRuneInString(s[i:])
			ok = n == 3 // a real U+FFFD, not a decoding error
		}
		if !ok {
			return fmt.Errorf("%s %q: character %U not allowed: %w", what, s, r, peererr.ErrInvalidArg)
		}
	}
	return nil
}
