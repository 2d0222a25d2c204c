// Package record defines the group database record: its fields, the
// canonical bytes its signature covers, and the conflict rule that decides
// which of two versions of a record every member keeps.
package record

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"strings"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/sig"
)

// Record flags, as PEER_RECORD_FLAGS.
const (
	FlagAutoRefresh uint32 = 0x1
	FlagDeleted     uint32 = 0x2
)

// Limits on what a record may hold.
const (
	// MaxDataSize is the largest data payload: Windows' default maximum
	// record size of 60 MB.
	MaxDataSize = 60 << 20
	// MaxAttributesSize bounds the attribute XML, in bytes of UTF-8.
	MaxAttributesSize = 1 << 20
)

// Record is one entry of a group database. The zero Type and ID are
// invalid; Version starts at 1 and grows with every update.
type Record struct {
	Type         uuid.UUID
	ID           uuid.UUID
	Version      uint32
	Flags        uint32
	CreatorID    string // peer name of the identity that added it
	ModifiedByID string // peer name of the identity that last changed it
	Attributes   string // XML <attributes> document, may be empty
	Created      filetime.FILETIME
	Expires      filetime.FILETIME
	Modified     filetime.FILETIME
	Data         []byte
	// Signature is the modifier's Ed25519 signature over SigningBytes; the
	// API exposes it as the record's securityData.
	Signature []byte
}

// Deleted reports whether r is a tombstone.
func (r *Record) Deleted() bool { return r.Flags&FlagDeleted != 0 }

// Expired reports whether r has expired at time now.
func (r *Record) Expired(now filetime.FILETIME) bool { return r.Expires <= now }

// Clone returns a deep copy of r.
func (r *Record) Clone() *Record {
	c := *r
	c.Data = bytes.Clone(r.Data)
	c.Signature = bytes.Clone(r.Signature)
	return &c
}

// signingContext starts every signed record encoding.
const signingContext = "p2p-record-v1\x00"

// SigningBytes is the canonical encoding of every field but the
// signature, bound to the group so a record cannot be replayed into
// another group.
func (r *Record) SigningBytes(groupPeerName string) []byte {
	return r.AppendSigningBytes(make([]byte, 0, r.SigningSize(groupPeerName)), groupPeerName)
}

// SigningSize is the length of the signing bytes.
func (r *Record) SigningSize(groupPeerName string) int {
	return len(signingContext) + 2*16 + 10*8 + len(groupPeerName) + len(r.CreatorID) + len(r.ModifiedByID) + len(r.Attributes) + len(r.Data)
}

// AppendSigningBytes appends the signing bytes to b, for callers that
// reuse one buffer for many records.
func (r *Record) AppendSigningBytes(b []byte, groupPeerName string) []byte {
	b = r.appendSigningHeader(b, groupPeerName)
	return append(b, r.Data...)
}

// appendSigningHeader appends the signing bytes up to the data.
func (r *Record) appendSigningHeader(b []byte, groupPeerName string) []byte {
	b = append(b, signingContext...)
	b = appendString(b, groupPeerName)
	b = append(b, r.Type[:]...)
	b = append(b, r.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Version))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Flags))
	b = appendString(b, r.CreatorID)
	b = appendString(b, r.ModifiedByID)
	b = appendString(b, r.Attributes)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Created))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Expires))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Modified))
	return binary.BigEndian.AppendUint64(b, uint64(len(r.Data)))
}

// Sign sets r.Signature with the modifier's key.
func (r *Record) Sign(groupPeerName string, key ed25519.PrivateKey) {
	r.Signature = ed25519.Sign(key, r.SigningBytes(groupPeerName))
}

// Verify reports whether r.Signature is the modifier's signature, made with
// the private half of pub, under the rules of core/sig (ZIP 215).
func (r *Record) Verify(groupPeerName string, pub ed25519.PublicKey) bool {
	return sig.Verify(pub, r.SigningBytes(groupPeerName), r.Signature)
}

// Hash is a digest of the whole record, signature included: two members
// hold the same record exactly when their hashes match. It is SHA-256 of
// the signing bytes and the signature, hashed in place: only the fields
// before the data are copied.
func (r *Record) Hash(groupPeerName string) [32]byte {
	var buf [512]byte
	return r.hash(r.appendSigningHeader(buf[:0], groupPeerName), r.Data)
}

// HashSigned is Hash for a caller that has built the signing bytes
// already (AppendSigningBytes, for groupPeerName).
func (r *Record) HashSigned(signing []byte) [32]byte { return r.hash(signing) }

// hash is SHA-256 of the signing bytes, given in parts, then the
// signature.
func (r *Record) hash(signing ...[]byte) [32]byte {
	h := sha256.New()
	for _, p := range signing {
		h.Write(p)
	}
	h.Write(r.Signature)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// Compare orders two versions of the same record by the conflict rule of
// MS-PPGRH 3.1.7.32, so every member keeps the same one: the higher
// version wins; then a record that was updated (modified after creation)
// beats one never updated; then the lexically higher last modifier; then
// the later modification time; then the larger signature. It returns +1
// if a wins, -1 if b wins and 0 if they are identical in all of these.
func Compare(a, b *Record) int {
	if c := cmpUint(uint64(a.Version), uint64(b.Version)); c != 0 {
		return c
	}
	if au, bu := a.Modified != a.Created, b.Modified != b.Created; au != bu {
		if au {
			return 1
		}
		return -1
	}
	if c := strings.Compare(a.ModifiedByID, b.ModifiedByID); c != 0 {
		return c
	}
	if c := cmpUint(uint64(a.Modified), uint64(b.Modified)); c != 0 {
		return c
	}
	if c := cmpUint(uint64(len(a.Signature)), uint64(len(b.Signature))); c != 0 {
		return c
	}
	return bytes.Compare(a.Signature, b.Signature)
}

func cmpUint(a, b uint64) int {
	switch {
	case a > b:
		return 1
	case a < b:
		return -1
	}
	return 0
}

// appendString appends s with its length before it.
func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}
