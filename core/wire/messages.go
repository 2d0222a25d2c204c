package wire

import (
	"bytes"
	"encoding/binary"
	"net/netip"
)

// Hello opens a neighbour connection: the dialling member names the group
// and shows its credential chain (bound to the TLS certificate it
// presented).
type Hello struct {
	Version      byte
	Group        string
	NodeID       uint64
	Chain        []byte
	FriendlyName string
	Addresses    []netip.AddrPort
	Flags        uint32
}

// Welcome accepts a Hello with the listening member's own credentials;
// after a password proof it also carries the credential issued to the
// joiner. To a Hello with HelloNAT it adds, after the fields above, the
// address the member sees the dialler's packets come from (Observed: the
// dialler's reflexive address) and its own capabilities (Caps, CapNAT
// set); a Welcome to an older dialler ends at Issued.
type Welcome struct {
	NodeID       uint64
	Chain        []byte
	FriendlyName string
	Addresses    []netip.AddrPort
	Issued       []byte
	Observed     netip.AddrPort // with Caps != 0 only
	Caps         uint32         // 0: the fields end at Issued
}

// Refuse ends a connection attempt with an HRESULT and a reason.
type Refuse struct {
	HR     uint32
	Reason string
}

// Records carries encoded records (record.Record binary form).
type Records struct {
	Records [][]byte
}

// Range-based reconciliation (core/recon) compares the record ids two
// members hold range by range: ranges are consecutive spans of the id
// space, each message covering all of it from the lowest id up, and each
// range says one thing about the records whose ids fall in it.

// Sizes of a range's fingerprint and of a record's digest in a listing.
const (
	FingerprintSize = 8
	DigestSize      = 8
	// MaxBound is the longest range bound: a record id.
	MaxBound = 16
	// MaxRanges bounds the ranges of one message.
	MaxRanges = 1 << 14
	// MaxDigests bounds the digests of one range.
	MaxDigests = 1 << 16
)

// Range modes.
const (
	RangeSkip        byte = 0 // nothing (more) to do here
	RangeFingerprint byte = 1 // the sender's fingerprint of its records here
	RangeList        byte = 2 // the digests of all the sender's records here (in RangeWant: those it wants)
	RangeEmpty       byte = 3 // the sender has no records here: send all of yours
	RangeSent        byte = 4 // the sender is sending all its records here
)

// Range is one span of the id space, from the previous range's Upper (or
// the lowest id) up to Upper, exclusive: a prefix of a record id
// compared as bytes, or empty for the top of the id space, which the last
// range of every message reaches.
type Range struct {
	Upper   []byte
	Mode    byte
	FP      [FingerprintSize]byte // RangeFingerprint
	Digests [][DigestSize]byte    // RangeList
}

// RangeRequest is a reconciliation message from the member that started
// the reconciliation; RangeReply answers it.
type RangeRequest struct {
	Round  uint64
	Ranges []Range
}

// RangeReply answers a RangeRequest.
type RangeReply RangeRequest

// RangeWant asks for the records whose digests its RangeList ranges
// list.
type RangeWant struct {
	Ranges []Range
}

// Barrier asks the peer to answer with BarrierAck once it has handled
// every message sent before it.
type Barrier struct{ Seq uint64 }

// Hello flags.
const (
	// HelloDirectOnly asks for a connection that carries direct
	// connections only: not a neighbour, no flooding or reconciliation.
	HelloDirectOnly uint32 = 0x1
	// HelloPassword asks to join with the group password: the Hello
	// carries no credential and the member answers with a challenge.
	HelloPassword uint32 = 0x2
	// HelloNAT says the dialler speaks the NAT-traversal messages (Punch,
	// Relay, DirectOpen with DirectResume) and wants the Welcome's
	// Observed and Caps.
	HelloNAT uint32 = 0x4
)

// Welcome capabilities.
const (
	// CapNAT: the member speaks the NAT-traversal messages.
	CapNAT uint32 = 0x1
)

// DirectOpen starts a direct connection on a new stream; the accepting
// side answers with its own DirectOpen.
type DirectOpen struct {
	ConnectionID uint64 // the sender's id for it
	Flags        uint32
	Resume       uint64 // with DirectResume only: the receiver's id of the connection moved here
}

// DirectOpen flags.
const (
	// DirectNeighborData marks the stream that carries PeerGroupSendData
	// on a neighbour connection: data arrives under the neighbour
	// connection's id and no DIRECT_CONNECTION events are raised.
	DirectNeighborData uint32 = 0x1
	// DirectResume moves an open direct connection (the receiver's id in
	// Resume) onto this stream, which may belong to another QUIC
	// connection to the same member: after it, each side sends a
	// DirectMoved on the old stream and its later messages here. Sent only
	// to members whose Welcome or Hello showed the NAT capability.
	DirectResume uint32 = 0x2
)

// Data is one application message on a direct connection.
type Data struct {
	Type [16]byte
	Data []byte
}

// MaxData is the largest PeerGroupSendData message: 1 MiB. Larger data
// must be split by the application.
const MaxData = 1 << 20

// AppendDataFrame appends a whole Data frame for one message to b, copying
// data once.
func AppendDataFrame(b []byte, typ [16]byte, data []byte) []byte {
	n := 1 + 16 + uvarintLen(uint64(len(data))) + len(data)
	b = binary.AppendUvarint(b, uint64(n))
	b = append(b, byte(TData))
	b = append(b, typ[:]...)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// Encode returns the payload of m.
func (m *Hello) Encode() []byte {
	var e enc
	e.u8(m.Version)
	e.str(m.Group)
	e.u64(m.NodeID)
	e.bytes(m.Chain)
	e.str(m.FriendlyName)
	e.addrs(m.Addresses)
	e.u32(m.Flags)
	return e.b
}

// DecodeHello parses a Hello payload.
func DecodeHello(b []byte) (*Hello, error) {
	d := dec{b: b}
	m := &Hello{Version: d.u8(), Group: d.str(maxString, "group"), NodeID: d.u64(),
		Chain: d.bytes(maxChain, "chain"), FriendlyName: d.str(maxString, "friendly name"),
		Addresses: d.addrs(), Flags: d.u32()}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Welcome) Encode() []byte {
	var e enc
	e.u64(m.NodeID)
	e.bytes(m.Chain)
	e.str(m.FriendlyName)
	e.addrs(m.Addresses)
	e.bytes(m.Issued)
	if m.Caps != 0 {
		e.addr(m.Observed)
		e.u32(m.Caps)
	}
	return e.b
}

// DecodeWelcome parses a Welcome payload.
func DecodeWelcome(b []byte) (*Welcome, error) {
	d := dec{b: b}
	m := &Welcome{NodeID: d.u64(), Chain: d.bytes(maxChain, "chain"),
		FriendlyName: d.str(maxString, "friendly name"), Addresses: d.addrs(), Issued: d.bytes(maxChain, "issued")}
	if d.err == nil && len(d.b) > 0 {
		m.Observed = d.optAddr()
		if m.Caps = d.u32(); m.Caps == 0 {
			d.fail("capabilities")
		}
	}
	return m, d.end()
}

// PasswordChallenge answers a Hello that asks to join with the group
// password: the member shows its credential and the parameters the
// joiner derives its proof with.
type PasswordChallenge struct {
	Chain     []byte
	Nonce     [32]byte
	Salt      []byte
	KDFTime   uint32
	KDFMemory uint32 // KiB
	KDFLanes  uint8
}

// Encode returns the payload of m.
func (m *PasswordChallenge) Encode() []byte {
	var e enc
	e.bytes(m.Chain)
	e.fixed(m.Nonce[:])
	e.bytes(m.Salt)
	e.u32(m.KDFTime)
	e.u32(m.KDFMemory)
	e.u8(m.KDFLanes)
	return e.b
}

// DecodePasswordChallenge parses a PasswordChallenge payload.
func DecodePasswordChallenge(b []byte) (*PasswordChallenge, error) {
	d := dec{b: b}
	m := &PasswordChallenge{Chain: d.bytes(maxChain, "chain")}
	copy(m.Nonce[:], d.take(32, "nonce"))
	m.Salt = d.bytes(64, "salt")
	m.KDFTime, m.KDFMemory, m.KDFLanes = d.u32(), d.u32(), d.u8()
	return m, d.end()
}

// PasswordProof proves knowledge of the group password, bound to this
// TLS session and challenge.
type PasswordProof struct {
	Proof []byte
}

// Encode returns the payload of m.
func (m *PasswordProof) Encode() []byte {
	var e enc
	e.bytes(m.Proof)
	return e.b
}

// DecodePasswordProof parses a PasswordProof payload.
func DecodePasswordProof(b []byte) (*PasswordProof, error) {
	d := dec{b: b}
	m := &PasswordProof{Proof: d.bytes(64, "proof")}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Refuse) Encode() []byte {
	var e enc
	e.u32(m.HR)
	e.str(m.Reason)
	return e.b
}

// DecodeRefuse parses a Refuse payload.
func DecodeRefuse(b []byte) (*Refuse, error) {
	d := dec{b: b}
	m := &Refuse{HR: d.u32(), Reason: d.str(maxString, "reason")}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Records) Encode() []byte {
	size := binary.MaxVarintLen64
	for _, r := range m.Records {
		size += binary.MaxVarintLen64 + len(r)
	}
	e := enc{b: make([]byte, 0, size)}
	e.uvar(uint64(len(m.Records)))
	for _, r := range m.Records {
		e.bytes(r)
	}
	return e.b
}

// DecodeRecords parses a Records payload; the records share b's memory.
func DecodeRecords(b []byte) (*Records, error) {
	d := dec{b: b}
	n := d.uvar(maxRecords, "record count")
	m := &Records{Records: make([][]byte, 0, min(n, 1024))}
	for i := uint64(0); i < n && d.err == nil; i++ {
		m.Records = append(m.Records, d.view(MaxFrame, "record"))
	}
	return m, d.end()
}

func (e *enc) ranges(rs []Range) {
	e.uvar(uint64(len(rs)))
	for _, r := range rs {
		e.bytes(r.Upper)
		e.u8(r.Mode)
		switch r.Mode {
		case RangeFingerprint:
			e.fixed(r.FP[:])
		case RangeList:
			e.uvar(uint64(len(r.Digests)))
			for _, d := range r.Digests {
				e.fixed(d[:])
			}
		}
	}
}

// ranges decodes ranges and checks that their bounds rise and the last
// reaches the top of the id space.
func (d *dec) ranges() []Range {
	n := d.uvar(MaxRanges, "range count")
	if n == 0 {
		d.fail("no ranges")
		return nil
	}
	out := make([]Range, 0, min(n, 256))
	var lower []byte
	for i := uint64(0); i < n && d.err == nil; i++ {
		r := Range{Upper: d.bytes(MaxBound, "bound"), Mode: d.u8()}
		switch {
		case len(r.Upper) == 0 && i != n-1:
			d.fail("unbounded range before the last")
		case len(r.Upper) != 0 && i == n-1:
			d.fail("last range bounded")
		case len(r.Upper) != 0 && bytes.Compare(r.Upper, lower) <= 0:
			d.fail("range bounds out of order")
		}
		lower = r.Upper
		switch r.Mode {
		case RangeSkip, RangeEmpty, RangeSent:
		case RangeFingerprint:
			copy(r.FP[:], d.take(FingerprintSize, "fingerprint"))
		case RangeList:
			k := d.uvar(MaxDigests, "digest count")
			r.Digests = make([][DigestSize]byte, 0, min(k, 1024))
			for j := uint64(0); j < k && d.err == nil; j++ {
				var dg [DigestSize]byte
				copy(dg[:], d.take(DigestSize, "digest"))
				r.Digests = append(r.Digests, dg)
			}
		default:
			d.fail("range mode")
		}
		out = append(out, r)
	}
	return out
}

// Encode returns the payload of m.
func (m *RangeRequest) Encode() []byte {
	var e enc
	e.u64(m.Round)
	e.ranges(m.Ranges)
	return e.b
}

// DecodeRangeRequest parses a RangeRequest payload.
func DecodeRangeRequest(b []byte) (*RangeRequest, error) {
	d := dec{b: b}
	m := &RangeRequest{Round: d.u64(), Ranges: d.ranges()}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *RangeReply) Encode() []byte { return (*RangeRequest)(m).Encode() }

// DecodeRangeReply parses a RangeReply payload.
func DecodeRangeReply(b []byte) (*RangeReply, error) {
	m, err := DecodeRangeRequest(b)
	return (*RangeReply)(m), err
}

// Encode returns the payload of m.
func (m *RangeWant) Encode() []byte {
	var e enc
	e.ranges(m.Ranges)
	return e.b
}

// DecodeRangeWant parses a RangeWant payload.
func DecodeRangeWant(b []byte) (*RangeWant, error) {
	d := dec{b: b}
	m := &RangeWant{Ranges: d.ranges()}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Barrier) Encode() []byte {
	var e enc
	e.u64(m.Seq)
	return e.b
}

// DecodeBarrier parses a Barrier or BarrierAck payload.
func DecodeBarrier(b []byte) (*Barrier, error) {
	d := dec{b: b}
	m := &Barrier{Seq: d.u64()}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *DirectOpen) Encode() []byte {
	var e enc
	e.u64(m.ConnectionID)
	e.u32(m.Flags)
	if m.Flags&DirectResume != 0 {
		e.u64(m.Resume)
	}
	return e.b
}

// DecodeDirectOpen parses a DirectOpen payload.
func DecodeDirectOpen(b []byte) (*DirectOpen, error) {
	d := dec{b: b}
	m := &DirectOpen{ConnectionID: d.u64(), Flags: d.u32()}
	if m.Flags&DirectResume != 0 {
		m.Resume = d.u64()
	}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Data) Encode() []byte {
	var e enc
	e.fixed(m.Type[:])
	e.bytes(m.Data)
	return e.b
}

// DecodeData parses a Data payload. The message's Data shares b's memory
// (a data message is most of its frame; copying it would double the work).
func DecodeData(b []byte) (*Data, error) {
	d := dec{b: b}
	m := &Data{}
	copy(m.Type[:], d.take(16, "type"))
	m.Data = d.view(MaxData, "data")
	return m, d.end()
}
