package identity

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"

	"p2p/core/peererr"
)

// Document formats.
const (
	// Version is the VERSION attribute of the identity and export
	// documents this package writes and reads. Windows writes "1.0" with
	// RSA certificates and PFX blobs, which this library cannot use.
	Version = "p2p-1"
	// MaxDocumentSize bounds identity and export XML. The largest either
	// can be (longest names, every character escaped) is under 8 KiB.
	MaxDocumentSize = 16 * 1024

	infoRoot   = "PEERIDENTITYINFO"
	exportRoot = "PEERIDENTITYEXPORT"
	// binAttrs marks base64 content the way Windows' own documents do.
	binAttrs = `xmlns:dt="urn:schemas-microsoft-com:datatypes" dt:dt="bin.base64"`
)

// encodeInfo writes identity XML (see the package documentation).
func encodeInfo(peerName, friendlyName string, cert []byte) string {
	var b strings.Builder
	b.WriteString(`<` + infoRoot + ` VERSION="` + Version + `">`)
	textElem(&b, "PEERNAME", peerName)
	textElem(&b, "FRIENDLYNAME", friendlyName)
	b.WriteString(`<IDC ` + binAttrs + `>` + base64.StdEncoding.EncodeToString(cert) + `</IDC>`)
	b.WriteString(`</` + infoRoot + `>`)
	return b.String()
}

// textElem writes <name>escaped value</name>.
func textElem(b *strings.Builder, name, value string) {
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(value)) // a strings.Builder never fails
	b.WriteString("</" + name + ">")
}

// infoDoc mirrors identity XML for decoding; ParseXML then re-encodes
// what it decoded and requires the very same text.
type infoDoc struct {
	XMLName      xml.Name `xml:"PEERIDENTITYINFO"`
	Version      string   `xml:"VERSION,attr"`
	PeerName     string   `xml:"PEERNAME"`
	FriendlyName string   `xml:"FRIENDLYNAME"`
	IDC          string   `xml:"IDC"`
}

// ParseXML reads and verifies identity XML (from PeerIdentityGetXML, or
// an Identity's XML method). It is a decoder of outside input: bounded
// (MaxDocumentSize), strict (exactly the text XML produces, apart from
// surrounding white space) and verifying: the certificate must pass
// ParseCertificate and name the document's peer name, and the friendly
// name must be valid. Every failure wraps E_INVALIDARG, the code
// PeerGroupCreateInvitation documents for an invalid parameter.
func ParseXML(doc string) (*Info, error) {
	info, err := parseInfo(doc)
	if err != nil {
		return nil, fmt.Errorf("parse identity XML: %w", err)
	}
	return info, nil
}

func parseInfo(doc string) (*Info, error) {
	doc = strings.TrimSpace(doc)
	if len(doc) == 0 || len(doc) > MaxDocumentSize {
		return nil, fmt.Errorf("%d bytes: %w", len(doc), peererr.ErrInvalidArg)
	}
	var d infoDoc
	if err := xml.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("%v: %w", err, peererr.ErrInvalidArg)
	}
	if d.Version != Version {
		return nil, fmt.Errorf("version %q, this library reads %q: %w: %w", d.Version, Version, peererr.ErrInvalidArg, peererr.ErrUnsupportedVersion)
	}
	cert, err := strictBase64("IDC", d.IDC)
	if err != nil {
		return nil, err
	}
	if encodeInfo(d.PeerName, d.FriendlyName, cert) != doc {
		return nil, fmt.Errorf("not in canonical form: %w", peererr.ErrInvalidArg)
	}
	info, err := ParseCertificate(cert)
	if err != nil {
		return nil, err
	}
	if info.PeerName != d.PeerName {
		return nil, fmt.Errorf("peer name %q, certificate names %q: %w", d.PeerName, info.PeerName, peererr.ErrInvalidArg)
	}
	if err := checkFriendlyName(d.FriendlyName); err != nil {
		return nil, err
	}
	info.FriendlyName = d.FriendlyName
	return info, nil
}

// strictBase64 decodes padded standard base64 with no white space.
func strictBase64(what, s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%s: not base64: %w", what, peererr.ErrInvalidArg)
	}
	return b, nil
}
