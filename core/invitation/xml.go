package invitation

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/peererr"
)

const rootElement = "PEERINVITATION"

// Encode writes the signed invitation as the XML document described in
// the package documentation. It refuses an unsigned or malformed
// invitation (E_INVALIDARG wrapping the detail); it does not check the
// signature.
func (inv *Invitation) Encode() (string, error) {
	if err := inv.check(); err != nil {
		return "", fmt.Errorf("encode invitation: %w: %w", peererr.ErrInvalidArg, err)
	}
	if len(inv.Signature) != ed25519.SignatureSize {
		return "", fmt.Errorf("encode invitation: not signed: %w", peererr.ErrInvalidArg)
	}
	doc, err := inv.encode()
	if err != nil {
		return "", fmt.Errorf("encode invitation: %w: %w", peererr.ErrInvalidArg, err)
	}
	if len(doc) > MaxDocumentSize {
		return "", fmt.Errorf("encode invitation: %d bytes: %w", len(doc), peererr.ErrInvalidArg)
	}
	return doc, nil
}

func (inv *Invitation) encode() (string, error) {
	var b strings.Builder
	b.Grow(4096)
	text := func(name, value string) {
		b.WriteString("<" + name + ">")
		xml.EscapeText(&b, []byte(value)) // strings.Builder writes never fail
		b.WriteString("</" + name + ">")
	}
	b64 := func(name string, v []byte) { text(name, base64.StdEncoding.EncodeToString(v)) }
	num := func(name string, v uint64) { text(name, strconv.FormatUint(v, 10)) }

	b.WriteString(`<` + rootElement + ` VERSION="` + Version + `">`)
	text("GROUPPEERNAME", inv.GroupPeerName)
	text("GROUPFRIENDLYNAME", inv.GroupFriendlyName)
	b64("GROUPKEY", inv.GroupKey)
	text("CLOUD", inv.Cloud)
	num("SCOPE", uint64(inv.Scope))
	num("CLOUDFLAGS", uint64(inv.CloudFlags))
	num("FLAGS", uint64(inv.Flags))
	text("ISSUERPEERNAME", inv.IssuerPeerName)
	text("ISSUERFRIENDLYNAME", inv.IssuerFriendlyName)
	if inv.AuthScheme == AuthGMC {
		text("SUBJECTPEERNAME", inv.SubjectPeerName)
		text("SUBJECTFRIENDLYNAME", inv.SubjectFriendlyName)
		b64("SUBJECTKEY", inv.SubjectKey)
	}
	num("VALIDITYSTART", uint64(inv.NotBefore))
	num("VALIDITYEND", uint64(inv.NotAfter))
	for _, r := range inv.Roles {
		text("ROLE", r.String())
	}
	for _, c := range inv.Classifiers {
		text("CLASSIFIER", c)
	}
	num("AUTHSCHEME", uint64(inv.AuthScheme))
	name, chain := "CREDENTIAL", inv.Credential
	if inv.AuthScheme == AuthPassword {
		name, chain = "ISSUERCHAIN", inv.IssuerChain
	}
	cb, err := chain.MarshalBinary()
	if err != nil {
		return "", err
	}
	b64(name, cb)
	for _, a := range inv.Addresses {
		text("ADDRESS", a.String())
	}
	b64("SIGNATURE", inv.Signature)
	b.WriteString("</" + rootElement + ">")
	return b.String(), nil
}

// document mirrors the XML for decoding; Parse then re-encodes what it
// decoded and requires the very same text.
type document struct {
	XMLName             xml.Name `xml:"PEERINVITATION"`
	Version             string   `xml:"VERSION,attr"`
	GroupPeerName       string   `xml:"GROUPPEERNAME"`
	GroupFriendlyName   string   `xml:"GROUPFRIENDLYNAME"`
	GroupKey            string   `xml:"GROUPKEY"`
	Cloud               string   `xml:"CLOUD"`
	Scope               string   `xml:"SCOPE"`
	CloudFlags          string   `xml:"CLOUDFLAGS"`
	Flags               string   `xml:"FLAGS"`
	IssuerPeerName      string   `xml:"ISSUERPEERNAME"`
	IssuerFriendlyName  string   `xml:"ISSUERFRIENDLYNAME"`
	SubjectPeerName     string   `xml:"SUBJECTPEERNAME"`
	SubjectFriendlyName string   `xml:"SUBJECTFRIENDLYNAME"`
	SubjectKey          string   `xml:"SUBJECTKEY"`
	ValidityStart       string   `xml:"VALIDITYSTART"`
	ValidityEnd         string   `xml:"VALIDITYEND"`
	Roles               []string `xml:"ROLE"`
	Classifiers         []string `xml:"CLASSIFIER"`
	AuthScheme          string   `xml:"AUTHSCHEME"`
	Credential          string   `xml:"CREDENTIAL"`
	IssuerChain         string   `xml:"ISSUERCHAIN"`
	Addresses           []string `xml:"ADDRESS"`
	Signature           string   `xml:"SIGNATURE"`
}

// Parse decodes an invitation document. It is a decoder of outside input:
// bounded (MaxDocumentSize, and every field's own limit) and strict (only
// the exact text Encode produces). It does not check trust: call Verify
// or VerifyFor. Errors, as PeerGroupParseInvitation documents them:
//   - E_INVALIDARG: not an invitation document at all (empty, too long,
//     not XML, another root element);
//   - PEER_E_UNSUPPORTED_VERSION: an invitation of another version (for
//     instance one written by Windows);
//   - PEER_E_INVITATION_NOT_TRUSTED: an invitation of this version that
//     "has been altered or contains errors".
func Parse(doc string) (*Invitation, error) {
	if len(doc) == 0 || len(doc) > MaxDocumentSize {
		return nil, fmt.Errorf("parse invitation: %d bytes: %w", len(doc), peererr.ErrInvalidArg)
	}
	if err := checkVersion(doc); err != nil {
		return nil, fmt.Errorf("parse invitation: %w", err)
	}
	inv, err := parse(doc)
	if err != nil {
		return nil, fmt.Errorf("parse invitation: %w: %w", peererr.ErrInvitationNotTrusted, err)
	}
	return inv, nil
}

// checkVersion reads up to the root element and checks its name and
// VERSION.
func checkVersion(doc string) error {
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("no root element: %w", peererr.ErrInvalidArg)
			}
			return fmt.Errorf("%v: %w", err, peererr.ErrInvalidArg)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if start.Name.Local != rootElement {
			return fmt.Errorf("root element %q: %w", start.Name.Local, peererr.ErrInvalidArg)
		}
		for _, a := range start.Attr {
			if a.Name.Local == "VERSION" {
				if a.Value != Version {
					return fmt.Errorf("version %q, this library reads %q: %w", a.Value, Version, peererr.ErrUnsupportedVersion)
				}
				return nil
			}
		}
		return fmt.Errorf("no VERSION: %w", peererr.ErrUnsupportedVersion)
	}
}

func parse(doc string) (*Invitation, error) {
	var d document
	if err := xml.Unmarshal([]byte(doc), &d); err != nil {
		return nil, err
	}
	f := fields{}
	inv := &Invitation{
		GroupPeerName:       d.GroupPeerName,
		GroupFriendlyName:   d.GroupFriendlyName,
		Cloud:               d.Cloud,
		Scope:               f.u32("SCOPE", d.Scope),
		CloudFlags:          f.u32("CLOUDFLAGS", d.CloudFlags),
		Flags:               f.u32("FLAGS", d.Flags),
		GroupKey:            f.b64("GROUPKEY", d.GroupKey),
		IssuerPeerName:      d.IssuerPeerName,
		IssuerFriendlyName:  d.IssuerFriendlyName,
		SubjectPeerName:     d.SubjectPeerName,
		SubjectFriendlyName: d.SubjectFriendlyName,
		SubjectKey:          f.b64("SUBJECTKEY", d.SubjectKey),
		NotBefore:           filetime.FILETIME(f.u64("VALIDITYSTART", d.ValidityStart)),
		NotAfter:            filetime.FILETIME(f.u64("VALIDITYEND", d.ValidityEnd)),
		Classifiers:         d.Classifiers,
		AuthScheme:          f.u32("AUTHSCHEME", d.AuthScheme),
		Credential:          f.chain("CREDENTIAL", d.Credential),
		IssuerChain:         f.chain("ISSUERCHAIN", d.IssuerChain),
		Signature:           f.b64("SIGNATURE", d.Signature),
	}
	if len(d.Roles) > MaxRoles || len(d.Addresses) > MaxAddresses {
		return nil, fmt.Errorf("%d roles, %d addresses", len(d.Roles), len(d.Addresses))
	}
	for _, s := range d.Roles {
		r, err := uuid.Parse(s)
		f.note("ROLE", err)
		inv.Roles = append(inv.Roles, r)
	}
	for _, s := range d.Addresses {
		a, err := netip.ParseAddrPort(s)
		f.note("ADDRESS", err)
		inv.Addresses = append(inv.Addresses, a)
	}
	if f.err != nil {
		return nil, f.err
	}
	if err := inv.check(); err != nil {
		return nil, err
	}
	if len(inv.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("signature of %d bytes", len(inv.Signature))
	}
	again, err := inv.encode()
	if err != nil {
		return nil, err
	}
	if again != doc {
		return nil, errors.New("not in the canonical form")
	}
	return inv, nil
}

// fields decodes text fields, keeping the first error.
type fields struct{ err error }

func (f *fields) note(name string, err error) {
	if err != nil && f.err == nil {
		f.err = fmt.Errorf("%s: %w", name, err)
	}
}

func (f *fields) u32(name, s string) uint32 {
	v, err := strconv.ParseUint(s, 10, 32)
	f.note(name, err)
	return uint32(v)
}

func (f *fields) u64(name, s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	f.note(name, err)
	return v
}

// b64 decodes base64; the empty text is nil.
func (f *fields) b64(name, s string) []byte {
	if s == "" {
		return nil
	}
	v, err := base64.StdEncoding.Strict().DecodeString(s)
	f.note(name, err)
	return v
}

// chain decodes a base64 credential chain; the empty text is nil.
func (f *fields) chain(name, s string) credential.Chain {
	b := f.b64(name, s)
	if b == nil {
		return nil
	}
	c, err := credential.ParseChain(b)
	f.note(name, err)
	return c
}
