package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// The binary form of a record, used on the wire and in exported database
// files: a version byte, the fixed fields, then length-prefixed strings
// and byte strings (uvarint lengths).
const codecVersion = 1

// maxStringBytes bounds a peer-name field in bytes: MaxPeerName UTF-16
// units are at most 3 UTF-8 bytes each.
const maxStringBytes = 3 * peername.MaxPeerName

var errMalformed = errors.New("malformed record encoding")

// MarshalBinary encodes r.
func (r *Record) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 96+len(r.CreatorID)+len(r.ModifiedByID)+len(r.Attributes)+len(r.Data)+len(r.Signature))
	return r.AppendBinary(b)
}

// AppendBinary appends the encoding of r to b.
func (r *Record) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, codecVersion)
	b = append(b, r.Type[:]...)
	b = append(b, r.ID[:]...)
	b = binary.BigEndian.AppendUint32(b, r.Version)
	b = binary.BigEndian.AppendUint32(b, r.Flags)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Created))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Expires))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Modified))
	b = appendBytes(b, []byte(r.CreatorID))
	b = appendBytes(b, []byte(r.ModifiedByID))
	b = appendBytes(b, []byte(r.Attributes))
	b = appendBytes(b, r.Data)
	b = appendBytes(b, r.Signature)
	return b, nil
}

// UnmarshalBinary decodes a record encoded by MarshalBinary. It checks
// shape and bounds only; trust comes from Verify. Errors wrap
// PEER_E_INVALID_RECORD.
func (r *Record) UnmarshalBinary(b []byte) error {
	if err := r.decode(b); err != nil {
		return fmt.Errorf("decode record: %v: %w", err, peererr.ErrInvalidRecord)
	}
	return nil
}

func (r *Record) decode(b []byte) error {
	const fixed = 1 + 16 + 16 + 4 + 4 + 8 + 8 + 8
	if len(b) < fixed {
		return errMalformed
	}
	if b[0] != codecVersion {
		return fmt.Errorf("unknown record encoding version %d", b[0])
	}
	p := b[1:]
	copy(r.Type[:], p[0:16])
	copy(r.ID[:], p[16:32])
	r.Version = binary.BigEndian.Uint32(p[32:])
	r.Flags = binary.BigEndian.Uint32(p[36:])
	r.Created = filetime.FILETIME(binary.BigEndian.Uint64(p[40:]))
	r.Expires = filetime.FILETIME(binary.BigEndian.Uint64(p[48:]))
	r.Modified = filetime.FILETIME(binary.BigEndian.Uint64(p[56:]))
	p = p[64:]
	var creator, modifier, attrs []byte
	var err error
	if creator, p, err = readBytes(p, maxStringBytes); err != nil {
		return err
	}
	if modifier, p, err = readBytes(p, maxStringBytes); err != nil {
		return err
	}
	if attrs, p, err = readBytes(p, MaxAttributesSize); err != nil {
		return err
	}
	if r.Data, p, err = readBytes(p, MaxDataSize); err != nil {
		return err
	}
	if r.Signature, p, err = readBytes(p, 1024); err != nil {
		return err
	}
	if len(p) != 0 {
		return errors.New("trailing bytes")
	}
	if !utf8.Valid(creator) || !utf8.Valid(modifier) || !utf8.Valid(attrs) {
		return errors.New("invalid UTF-8")
	}
	r.CreatorID, r.ModifiedByID, r.Attributes = string(creator), string(modifier), string(attrs)
	r.Data = cloneOrEmpty(r.Data)
	r.Signature = cloneOrEmpty(r.Signature)
	return nil
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readBytes(p []byte, max int) (field, rest []byte, err error) {
	n, k := binary.Uvarint(p)
	if k <= 0 {
		return nil, nil, errMalformed
	}
	if n > uint64(max) || n > uint64(len(p)-k) {
		return nil, nil, errors.New("field too long")
	}
	return p[k : k+int(n)], p[k+int(n):], nil
}

func cloneOrEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
