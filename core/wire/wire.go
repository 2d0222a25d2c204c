// Package wire is the message format spoken between members over QUIC
// streams: length-prefixed frames, each one message, with codecs that
// check every length against a bound before allocating. Everything a
// peer sends is untrusted until the receiver verifies it; this package
// only guarantees shape.
package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"p2p/core/peererr"
)

// Version is the protocol version carried in Hello. Version 2 replaced
// the bucket reconciliation of version 1 (message types 5 to 7, no longer
// used) with range-based reconciliation (RangeRequest, RangeReply,
// RangeWant) and verifies signatures under ZIP 215's rules; a member
// refuses a Hello of another version with PEER_E_UNSUPPORTED_VERSION.
const Version = 2

// ALPN is the TLS application protocol of group connections.
const ALPN = "p2p-group/1"

// MaxFrame bounds one frame: the largest record (60 MB of data plus its
// fields) fits.
const MaxFrame = 64 << 20

// Type identifies a message.
type Type byte

// Message types.
const (
	THello             Type = 1  // client -> server: who I am, which group
	TWelcome           Type = 2  // server -> client: accepted, who I am
	TRefuse            Type = 3  // either way: refused, with an HRESULT
	TRecords           Type = 4  // records, flooded or sent for synchronisation
	TBarrier           Type = 8  // answer with BarrierAck once all before is handled
	TBarrierAck        Type = 9  // every message before the barrier is handled
	TDirectOpen        Type = 10 // first frame of a direct-connection stream
	TData              Type = 11 // one message on a direct connection
	TDirectClose       Type = 12 // the direct connection ends
	TPasswordChallenge Type = 13 // member -> password joiner: credential and KDF parameters
	TPasswordProof     Type = 14 // password joiner -> member: proof of the password
	TPunch             Type = 15 // hole punching through a common neighbour (HelloNAT / CapNAT peers only)
	TRelay             Type = 16 // relay sessions through a common neighbour (HelloNAT / CapNAT peers only)
	TDirectMoved       Type = 17 // the last frame of a direct stream whose connection moved (DirectResume)
	TRangeRequest      Type = 18 // reconciliation, initiator -> responder: ranges of ids
	TRangeReply        Type = 19 // reconciliation, responder -> initiator: ranges of ids
	TRangeWant         Type = 20 // send me the records with these digests in these ranges
)

// ErrMalformed is wrapped by every decoding failure.
var ErrMalformed = fmt.Errorf("malformed message: %w", peererr.ErrInvalidArg)

// Limits of message fields.
const (
	maxString    = 1024
	maxAddresses = 32
	maxChain     = 128 << 10
	maxRecords   = 1 << 16
)

// WriteFrame writes one frame: uvarint(length of type+payload), type,
// payload.
func WriteFrame(w io.Writer, t Type, payload []byte) error {
	var hdr [binary.MaxVarintLen64 + 1]byte
	n := binary.PutUvarint(hdr[:], uint64(len(payload)+1))
	hdr[n] = byte(t)
	if _, err := w.Write(hdr[:n+1]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// eagerPayload is the largest payload ReadFrame allocates at the length
// the frame announces: room for the largest data message and a full
// records frame. Longer payloads grow with the data actually received, so
// an announced length costs a peer nothing it does not send.
const eagerPayload = MaxData + 1<<10

// ReadFrame reads one frame of at most max bytes.
func ReadFrame(r *bufio.Reader, max int) (Type, []byte, error) {
	return ReadFrameInto(r, max, nil)
}

// ReadFrameInto is ReadFrame with the payload, when at most eagerPayload
// bytes, read into the buffer get returns for its length (nil: a new one),
// so that a reader of many large frames can recycle their buffers.
func ReadFrameInto(r *bufio.Reader, max int, get func(n int) []byte) (Type, []byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, nil, err
	}
	if n == 0 || n > uint64(max) {
		return 0, nil, fmt.Errorf("frame of %d bytes: %w", n, ErrMalformed)
	}
	t, err := r.ReadByte()
	if err != nil {
		return 0, nil, unexpected(err)
	}
	if n-1 <= eagerPayload {
		var payload []byte
		if get != nil {
			payload = get(int(n - 1))
		} else {
			payload = make([]byte, n-1)
		}
		if _, err := io.ReadFull(r, payload); err != nil {
			return 0, nil, unexpected(err)
		}
		return Type(t), payload, nil
	}
	payload, err := io.ReadAll(io.LimitReader(r, int64(n-1)))
	if err != nil {
		return 0, nil, err
	}
	if uint64(len(payload)) != n-1 {
		return 0, nil, io.ErrUnexpectedEOF
	}
	return Type(t), payload, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// enc builds a payload.
type enc struct{ b []byte }

func (e *enc) u8(v byte)      { e.b = append(e.b, v) }
func (e *enc) u32(v uint32)   { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64)   { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *enc) uvar(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) bytes(v []byte) { e.uvar(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) str(v string)   { e.uvar(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) fixed(v []byte) { e.b = append(e.b, v...) }

// addr writes one address; the zero AddrPort is written empty.
func (e *enc) addr(a netip.AddrPort) {
	if !a.IsValid() {
		e.bytes(nil)
		return
	}
	b, _ := a.MarshalBinary()
	e.bytes(b)
}

func (e *enc) addrs(a []netip.AddrPort) {
	e.uvar(uint64(len(a)))
	for _, ap := range a {
		b, _ := ap.MarshalBinary()
		e.bytes(b)
	}
}

// dec reads a payload; the first error sticks and later reads return
// zero values.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %w", what, ErrMalformed)
	}
}

func (d *dec) take(n int, what string) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.fail(what)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) u8() byte {
	if v := d.take(1, "u8"); v != nil {
		return v[0]
	}
	return 0
}

func (d *dec) u32() uint32 {
	if v := d.take(4, "u32"); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (d *dec) u64() uint64 {
	if v := d.take(8, "u64"); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *dec) uvar(max uint64, what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > max {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) bytes(max int, what string) []byte {
	n := d.uvar(uint64(max), what)
	v := d.take(int(n), what)
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}

// view is bytes without the copy: the value shares the payload's memory.
func (d *dec) view(max int, what string) []byte {
	n := d.uvar(uint64(max), what)
	return d.take(int(n), what)
}

func (d *dec) str(max int, what string) string { return string(d.bytes(max, what)) }

func (d *dec) addrs() []netip.AddrPort {
	n := d.uvar(maxAddresses, "addresses")
	var out []netip.AddrPort
	for i := uint64(0); i < n && d.err == nil; i++ {
		var ap netip.AddrPort
		if err := ap.UnmarshalBinary(d.bytes(64, "address")); err != nil || !ap.IsValid() {
			d.fail("address")
			return nil
		}
		out = append(out, ap)
	}
	return out
}

// optAddr reads an address written by enc.addr: empty is the zero
// AddrPort.
func (d *dec) optAddr() netip.AddrPort {
	b := d.bytes(64, "address")
	if d.err != nil || len(b) == 0 {
		return netip.AddrPort{}
	}
	var ap netip.AddrPort
	if err := ap.UnmarshalBinary(b); err != nil || !ap.IsValid() {
		d.fail("address")
		return netip.AddrPort{}
	}
	return ap
}

// end fails unless the payload was consumed exactly.
func (d *dec) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}
