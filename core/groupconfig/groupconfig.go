// Package groupconfig is the document of PeerGroupExportConfig and
// PeerGroupImportConfig: a member's identity (sealed with a password by
// the identity package) and its configuration of one group (group name
// and key, its credential chain, the signed group records it needs to
// work offline), signed with the identity's key so no part of it can be
// swapped.
//
//	<PEERGROUPCONFIG VERSION="p2p-1">
//	<IDENTITY>identity export document, XML-escaped</IDENTITY>
//	<GROUP>base64 of the configuration (JSON)</GROUP>
//	<SIGNATURE>base64 Ed25519 signature by the identity</SIGNATURE>
//	</PEERGROUPCONFIG>
package groupconfig

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"

	"p2p/core/peererr"
	"p2p/core/sig"
)

// Version is the document version this package reads and writes.
const Version = "p2p-1"

// MaxSize bounds a document, in bytes.
const MaxSize = 4 << 20

const signingContext = "p2p-groupconfig-v1\x00"

// Config is a member's configuration of one group.
type Config struct {
	GroupPeerName string `json:"group"`
	GroupKey      []byte `json:"groupKey"`
	Chain         []byte `json:"chain"`
	Ready         bool   `json:"ready"`
	Invitation    string `json:"invitation,omitempty"`
	// Records are signed records (binary) the member needs before it
	// synchronises: the group properties and its own member record.
	Records [][]byte `json:"records"`
	// Props are the provisional group properties of a member that never
	// synchronised (and so holds no properties record).
	Props []byte `json:"props,omitempty"`
}

// Document is a parsed export: the sealed identity and the signed
// configuration, not yet verified.
type Document struct {
	IdentityExport string
	config         []byte
	signature      []byte
}

type xmlDoc struct {
	XMLName   xml.Name `xml:"PEERGROUPCONFIG"`
	Version   string   `xml:"VERSION,attr"`
	Identity  string   `xml:"IDENTITY"`
	Group     string   `xml:"GROUP"`
	Signature string   `xml:"SIGNATURE"`
}

// Encode signs cfg with the identity key and writes the document around
// the identity's export document.
func Encode(identityExport string, cfg *Config, key ed25519.PrivateKey) (string, error) {
	body, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	sig := ed25519.Sign(key, append([]byte(signingContext), body...))
	var b bytes.Buffer
	b.WriteString(`<PEERGROUPCONFIG VERSION="` + Version + `"><IDENTITY>`)
	xml.EscapeText(&b, []byte(identityExport))
	b.WriteString(`</IDENTITY><GROUP>` + base64.StdEncoding.EncodeToString(body) + `</GROUP><SIGNATURE>` +
		base64.StdEncoding.EncodeToString(sig) + `</SIGNATURE></PEERGROUPCONFIG>`)
	return b.String(), nil
}

// Parse reads a document. Malformed input wraps E_INVALIDARG, another
// version PEER_E_UNSUPPORTED_VERSION.
func Parse(doc string) (*Document, error) {
	bad := func(what string) error { return fmt.Errorf("group configuration: %s: %w", what, peererr.ErrInvalidArg) }
	if len(doc) > MaxSize {
		return nil, bad("too large")
	}
	dec := xml.NewDecoder(strings.NewReader(doc))
	dec.Strict = true
	var x xmlDoc
	if err := dec.Decode(&x); err != nil {
		return nil, bad(err.Error())
	}
	if _, err := dec.Token(); err == nil {
		return nil, bad("data after the document")
	}
	if x.Version != Version {
		return nil, fmt.Errorf("group configuration version %q: %w", x.Version, peererr.ErrUnsupportedVersion)
	}
	body, err1 := base64.StdEncoding.DecodeString(x.Group)
	sig, err2 := base64.StdEncoding.DecodeString(x.Signature)
	if err1 != nil || err2 != nil || len(sig) != ed25519.SignatureSize || x.Identity == "" {
		return nil, bad("encoding")
	}
	return &Document{IdentityExport: x.Identity, config: body, signature: sig}, nil
}

// Config verifies the signature with the identity's public key (known
// once the identity is unsealed) and decodes the configuration.
func (d *Document) Config(pub ed25519.PublicKey) (*Config, error) {
	if !sig.Verify(pub, append([]byte(signingContext), d.config...), d.signature) {
		return nil, fmt.Errorf("group configuration: bad signature: %w", peererr.ErrInvalidArg)
	}
	var cfg Config
	if err := json.Unmarshal(d.config, &cfg); err != nil {
		return nil, fmt.Errorf("group configuration: %v: %w", err, peererr.ErrInvalidArg)
	}
	if cfg.GroupPeerName == "" || len(cfg.GroupKey) != ed25519.PublicKeySize || len(cfg.Chain) == 0 {
		return nil, fmt.Errorf("group configuration incomplete: %w", peererr.ErrInvalidArg)
	}
	return &cfg, nil
}
