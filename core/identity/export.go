package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"p2p/core/peererr"
)

// Export protection: Argon2id (RFC 9106) turns the password into an
// AES-256-GCM key.
const (
	kdfName    = "argon2id"
	cipherName = "AES-256-GCM"
	saltSize   = 16

	// The parameters Export uses: RFC 9106's second recommended option
	// (64 MiB) with three passes.
	DefaultKDFTime      = 3
	DefaultKDFMemoryKiB = 64 * 1024
	DefaultKDFThreads   = 2

	// Import refuses documents that ask for more than this, so a hostile
	// document cannot make it allocate gigabytes or spin for minutes.
	MaxKDFTime      = 16
	MaxKDFMemoryKiB = 256 * 1024
	MaxKDFThreads   = 16

	payloadVersion = 1
	aadContext     = "p2p-identity-export-v1\x00"
)

// kdfParams are the Argon2id parameters of one export.
type kdfParams struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// defaultKDF returns the parameters Export uses.
func defaultKDF() kdfParams {
	return kdfParams{Time: DefaultKDFTime, MemoryKiB: DefaultKDFMemoryKiB, Threads: DefaultKDFThreads}
}

// check enforces Argon2's own minimums and our import maximums;
// maxMemoryKiB is MaxKDFMemoryKiB except in tests.
func (p kdfParams) check(maxMemoryKiB uint32) error {
	if p.Time < 1 || p.Time > MaxKDFTime || p.Threads < 1 || p.Threads > MaxKDFThreads ||
		p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB {
		return fmt.Errorf("key derivation time=%d memory=%d KiB threads=%d out of bounds: %w",
			p.Time, p.MemoryKiB, p.Threads, peererr.ErrInvalidArg)
	}
	return nil
}

// exportDoc is one export document's fields.
type exportDoc struct {
	PeerName   string
	KDF        kdfParams
	Salt       []byte
	Nonce      []byte
	Ciphertext []byte
}

// encode writes the export document (see the package documentation).
func (e *exportDoc) encode() string {
	b64 := base64.StdEncoding.EncodeToString
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	var b strings.Builder
	b.WriteString(`<` + exportRoot + ` VERSION="` + Version + `">`)
	textElem(&b, "PEERNAME", e.PeerName)
	b.WriteString(`<KDF ALGORITHM="` + kdfName + `" TIME="` + u(e.KDF.Time) + `" MEMORY="` + u(e.KDF.MemoryKiB) +
		`" THREADS="` + u(uint32(e.KDF.Threads)) + `" SALT="` + b64(e.Salt) + `"></KDF>`)
	b.WriteString(`<DATA ALGORITHM="` + cipherName + `" NONCE="` + b64(e.Nonce) + `" ` + binAttrs + `>` +
		b64(e.Ciphertext) + `</DATA>`)
	b.WriteString(`</` + exportRoot + `>`)
	return b.String()
}

// aad is the additional authenticated data of the ciphertext: everything
// else the document says, so no field can be changed undetected.
func (e *exportDoc) aad() []byte {
	b := []byte(aadContext)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.PeerName)))
	b = append(b, e.PeerName...)
	b = append(b, kdfName+"\x00"...)
	b = binary.BigEndian.AppendUint32(b, e.KDF.Time)
	b = binary.BigEndian.AppendUint32(b, e.KDF.MemoryKiB)
	b = append(b, e.KDF.Threads)
	b = append(b, e.Salt...)
	return append(b, cipherName...)
}

// aead derives the AES-256-GCM cipher from the password.
func (e *exportDoc) aead(password string) (cipher.AEAD, error) {
	key := argon2.IDKey([]byte(password), e.Salt, e.KDF.Time, e.KDF.MemoryKiB, e.KDF.Threads, 32)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// encodeExport seals id under password with the given KDF parameters.
func encodeExport(id *Identity, password string, kdf kdfParams) (string, error) {
	e := &exportDoc{PeerName: id.PeerName, KDF: kdf, Salt: make([]byte, saltSize)}
	if _, err := rand.Read(e.Salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	gcm, err := e.aead(password)
	if err != nil {
		return "", fmt.Errorf("export cipher: %w", err)
	}
	e.Nonce = make([]byte, gcm.NonceSize())
	if _, err := rand.Read(e.Nonce); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	e.Ciphertext = gcm.Seal(nil, e.Nonce, marshalPayload(id), e.aad())
	return e.encode(), nil
}

// marshalPayload is the plaintext of an export: version byte, the 32-byte
// Ed25519 seed, the friendly name (2-byte big-endian length, UTF-8), and
// the certificate DER to the end.
func marshalPayload(id *Identity) []byte {
	b := []byte{payloadVersion}
	b = append(b, id.Key.Seed()...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(id.FriendlyName)))
	b = append(b, id.FriendlyName...)
	return append(b, id.CertDER...)
}

// exportXML mirrors the export document for decoding; parseExport then
// re-encodes what it decoded and requires the very same text.
type exportXML struct {
	XMLName  xml.Name `xml:"PEERIDENTITYEXPORT"`
	Version  string   `xml:"VERSION,attr"`
	PeerName string   `xml:"PEERNAME"`
	KDF      struct {
		Algorithm string `xml:"ALGORITHM,attr"`
		Time      string `xml:"TIME,attr"`
		Memory    string `xml:"MEMORY,attr"`
		Threads   string `xml:"THREADS,attr"`
		Salt      string `xml:"SALT,attr"`
	} `xml:"KDF"`
	Data struct {
		Algorithm string `xml:"ALGORITHM,attr"`
		Nonce     string `xml:"NONCE,attr"`
		Text      string `xml:",chardata"`
	} `xml:"DATA"`
}

// parseExport decodes an export document without decrypting it; the KDF
// parameters are checked against maxMemoryKiB. Errors wrap E_INVALIDARG.
func parseExport(doc string, maxMemoryKiB uint32) (*exportDoc, error) {
	doc = strings.TrimSpace(doc)
	if len(doc) == 0 || len(doc) > MaxDocumentSize {
		return nil, fmt.Errorf("%d bytes: %w", len(doc), peererr.ErrInvalidArg)
	}
	var d exportXML
	if err := xml.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("%v: %w", err, peererr.ErrInvalidArg)
	}
	if d.Version != Version {
		return nil, fmt.Errorf("version %q, this library reads %q: %w: %w", d.Version, Version, peererr.ErrInvalidArg, peererr.ErrUnsupportedVersion)
	}
	if d.KDF.Algorithm != kdfName || d.Data.Algorithm != cipherName {
		return nil, fmt.Errorf("algorithms %q/%q, want %s/%s: %w", d.KDF.Algorithm, d.Data.Algorithm, kdfName, cipherName, peererr.ErrInvalidArg)
	}
	e := &exportDoc{PeerName: d.PeerName}
	var err error
	num := func(what, s string, bits int) uint64 {
		v, perr := strconv.ParseUint(s, 10, bits)
		if perr != nil && err == nil {
			err = fmt.Errorf("%s %q: %w", what, s, peererr.ErrInvalidArg)
		}
		return v
	}
	bin := func(what, s string) []byte {
		v, berr := strictBase64(what, s)
		if berr != nil && err == nil {
			err = berr
		}
		return v
	}
	e.KDF.Time = uint32(num("TIME", d.KDF.Time, 32))
	e.KDF.MemoryKiB = uint32(num("MEMORY", d.KDF.Memory, 32))
	e.KDF.Threads = uint8(num("THREADS", d.KDF.Threads, 8))
	e.Salt = bin("SALT", d.KDF.Salt)
	e.Nonce = bin("NONCE", d.Data.Nonce)
	e.Ciphertext = bin("DATA", d.Data.Text)
	if err != nil {
		return nil, err
	}
	if e.encode() != doc {
		return nil, fmt.Errorf("not in canonical form: %w", peererr.ErrInvalidArg)
	}
	if len(e.Salt) != saltSize || len(e.Nonce) != 12 {
		return nil, fmt.Errorf("salt of %d bytes, nonce of %d: %w", len(e.Salt), len(e.Nonce), peererr.ErrInvalidArg)
	}
	if err := checkIdentityName(e.PeerName); err != nil {
		return nil, err
	}
	if err := e.KDF.check(maxMemoryKiB); err != nil {
		return nil, err
	}
	return e, nil
}

// decodeExport parses and decrypts an export document and checks that
// what it holds is one consistent identity. A wrong password and a
// tampered document are indistinguishable and both wrap E_INVALIDARG, as
// the PeerIdentityImport page documents ("the XML data ... has been
// tampered with").
func decodeExport(doc, password string, maxMemoryKiB uint32) (*Identity, error) {
	e, err := parseExport(doc, maxMemoryKiB)
	if err != nil {
		return nil, err
	}
	gcm, err := e.aead(password)
	if err != nil {
		return nil, fmt.Errorf("import cipher: %w", err)
	}
	plain, err := gcm.Open(nil, e.Nonce, e.Ciphertext, e.aad())
	if err != nil {
		return nil, fmt.Errorf("wrong password or tampered document: %w", peererr.ErrInvalidArg)
	}
	return unmarshalPayload(e.PeerName, plain)
}

// unmarshalPayload rebuilds the identity named peerName from an export's
// plaintext and checks key, certificate and names agree.
func unmarshalPayload(peerName string, p []byte) (*Identity, error) {
	if len(p) < 1+ed25519.SeedSize+2 || p[0] != payloadVersion {
		return nil, fmt.Errorf("export payload: bad header: %w", peererr.ErrInvalidArg)
	}
	key := ed25519.NewKeyFromSeed(p[1 : 1+ed25519.SeedSize])
	p = p[1+ed25519.SeedSize:]
	n := int(binary.BigEndian.Uint16(p))
	p = p[2:]
	if n > len(p) {
		return nil, fmt.Errorf("export payload: friendly name of %d bytes: %w", n, peererr.ErrInvalidArg)
	}
	friendly, cert := string(p[:n]), p[n:]
	if err := checkFriendlyName(friendly); err != nil {
		return nil, fmt.Errorf("export payload: %w", err)
	}
	info, err := ParseCertificate(cert)
	if err != nil {
		return nil, fmt.Errorf("export payload: %w", err)
	}
	if info.PeerName != peerName || !info.PublicKey.Equal(key.Public()) {
		return nil, fmt.Errorf("export payload: certificate of %q does not match key and name %q: %w", info.PeerName, peerName, peererr.ErrInvalidArg)
	}
	return fromParts(info, friendly, key), nil
}

// fromParts assembles an identity from its verified certificate
// information, friendly name and key.
func fromParts(info *Info, friendlyName string, key ed25519.PrivateKey) *Identity {
	_, classifier, _ := strings.Cut(info.PeerName, ".")
	return &Identity{
		PeerName: info.PeerName, Classifier: classifier, FriendlyName: friendlyName,
		Key: key, CertDER: info.CertDER,
	}
}
