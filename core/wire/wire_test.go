package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/netip"
	"reflect"
	"testing"
)

func samples() map[Type][]byte {
	addrs := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:4000"), netip.MustParseAddrPort("[::1]:5")}
	return map[Type][]byte{
		THello:             (&Hello{Version: 1, Group: "g.x", NodeID: 7, Chain: []byte{1, 2}, FriendlyName: "a", Addresses: addrs, Flags: 3}).Encode(),
		TWelcome:           (&Welcome{NodeID: 9, Chain: []byte{3}, FriendlyName: "b", Addresses: addrs, Issued: []byte{4}}).Encode(),
		TPasswordChallenge: (&PasswordChallenge{Chain: []byte{1}, Nonce: [32]byte{2}, Salt: []byte{3}, KDFTime: 3, KDFMemory: 65536, KDFLanes: 2}).Encode(),
		TPasswordProof:     (&PasswordProof{Proof: []byte{5}}).Encode(),
		TRefuse:            (&Refuse{HR: 0x80632020, Reason: "no"}).Encode(),
		TRecords:           (&Records{Records: [][]byte{{1}, {2, 3}}}).Encode(),
		TRangeRequest: (&RangeRequest{Round: 1, Ranges: []Range{
			{Upper: []byte{1}, Mode: RangeSkip},
			{Upper: []byte{2, 0}, Mode: RangeFingerprint, FP: [FingerprintSize]byte{9}},
			{Upper: []byte{3}, Mode: RangeEmpty},
			{Mode: RangeList, Digests: [][DigestSize]byte{{1}, {2}}},
		}}).Encode(),
		TRangeReply: (&RangeReply{Round: 2, Ranges: []Range{
			{Upper: []byte{7, 1}, Mode: RangeSent},
			{Mode: RangeList},
		}}).Encode(),
		TRangeWant:  (&RangeWant{Ranges: []Range{{Upper: []byte{4}, Mode: RangeSkip}, {Mode: RangeList, Digests: [][DigestSize]byte{{3}}}}}).Encode(),
		TBarrier:    (&Barrier{Seq: 5}).Encode(),
		TDirectOpen: (&DirectOpen{ConnectionID: 11, Flags: 1}).Encode(),
		TData:       (&Data{Type: [16]byte{1}, Data: []byte("x")}).Encode(),
		TPunch: (&Punch{Kind: PunchReply, Session: 3, Peer: "p", Flags: PunchNeighbor, Token: [16]byte{1},
			Observed: addrs[0], Candidates: addrs, Key: []byte{1, 2}, Sig: []byte{3}, HR: 4}).Encode(),
		TRelay: (&Relay{Kind: RelayOffer, Session: 5, Peer: "q", Port: 4242, Token: [16]byte{2}, HR: 1}).Encode(),
	}
}

// decode dispatches a payload to its decoder and re-encodes the result.
func decode(t Type, b []byte) ([]byte, error) {
	switch t {
	case THello:
		m, err := DecodeHello(b)
		return enc1(m, err)
	case TWelcome:
		m, err := DecodeWelcome(b)
		return enc1(m, err)
	case TRefuse:
		m, err := DecodeRefuse(b)
		return enc1(m, err)
	case TRecords:
		m, err := DecodeRecords(b)
		return enc1(m, err)
	case TRangeRequest:
		m, err := DecodeRangeRequest(b)
		return enc1(m, err)
	case TRangeReply:
		m, err := DecodeRangeReply(b)
		return enc1(m, err)
	case TRangeWant:
		m, err := DecodeRangeWant(b)
		return enc1(m, err)
	case TBarrier, TBarrierAck:
		m, err := DecodeBarrier(b)
		return enc1(m, err)
	case TDirectOpen:
		m, err := DecodeDirectOpen(b)
		return enc1(m, err)
	case TData:
		m, err := DecodeData(b)
		return enc1(m, err)
	case TPasswordChallenge:
		m, err := DecodePasswordChallenge(b)
		return enc1(m, err)
	case TPasswordProof:
		m, err := DecodePasswordProof(b)
		return enc1(m, err)
	case TPunch:
		m, err := DecodePunch(b)
		return enc1(m, err)
	case TRelay:
		m, err := DecodeRelay(b)
		return enc1(m, err)
	}
	return nil, ErrMalformed
}

func enc1[T interface{ Encode() []byte }](m T, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return m.Encode(), nil
}

func TestRoundTrip(t *testing.T) {
	for typ, b := range samples() {
		again, err := decode(typ, b)
		if err != nil {
			t.Fatalf("type %d: %v", typ, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("type %d: re-encoding differs", typ)
		}
		for cut := 0; cut < len(b); cut++ {
			if _, err := decode(typ, b[:cut]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("type %d cut at %d: %v", typ, cut, err)
			}
		}
		if _, err := decode(typ, append(bytes.Clone(b), 0)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("type %d with a trailing byte accepted", typ)
		}
	}
}

func TestFrames(t *testing.T) {
	var buf bytes.Buffer
	WriteFrame(&buf, TRecords, []byte("abc"))
	WriteFrame(&buf, TBarrier, nil)
	r := bufio.NewReader(&buf)
	typ, p, err := ReadFrame(r, 100)
	if err != nil || typ != TRecords || string(p) != "abc" {
		t.Fatalf("%d %q %v", typ, p, err)
	}
	if typ, p, err = ReadFrame(r, 100); err != nil || typ != TBarrier || len(p) != 0 {
		t.Fatalf("%d %q %v", typ, p, err)
	}
	if _, _, err := ReadFrame(r, 100); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	// An announced length beyond the bound is refused before reading it.
	buf.Reset()
	WriteFrame(&buf, TRecords, make([]byte, 200))
	if _, _, err := ReadFrame(bufio.NewReader(&buf), 100); !errors.Is(err, ErrMalformed) {
		t.Fatalf("oversized frame: %v", err)
	}
	// A truncated frame is an unexpected EOF.
	buf.Reset()
	WriteFrame(&buf, TRecords, make([]byte, 50))
	if _, _, err := ReadFrame(bufio.NewReader(bytes.NewReader(buf.Bytes()[:20])), 100); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated frame: %v", err)
	}
	// A huge claimed length with little data does not allocate the claim.
	huge := []byte{0xff, 0xff, 0xff, 0x1f, byte(TRecords), 1, 2}
	if _, _, err := ReadFrame(bufio.NewReader(bytes.NewReader(huge)), MaxFrame); err != io.ErrUnexpectedEOF {
		t.Fatalf("huge claim: %v", err)
	}
}

// TestRangeBounds: bounds must rise, and only the last range, which
// must, reaches the top of the id space.
func TestRangeBounds(t *testing.T) {
	for name, rs := range map[string][]Range{
		"no ranges":          nil,
		"last bounded":       {{Upper: []byte{1}}},
		"unbounded first":    {{}, {Upper: []byte{1}}, {}},
		"falling":            {{Upper: []byte{2}}, {Upper: []byte{1}}, {}},
		"equal":              {{Upper: []byte{2}}, {Upper: []byte{2}}, {}},
		"prefix of previous": {{Upper: []byte{2, 1}}, {Upper: []byte{2}}, {}},
		"too long":           {{Upper: make([]byte, 17)}, {}},
		"unknown mode":       {{Mode: 9}},
	} {
		b := (&RangeWant{Ranges: rs}).Encode()
		if _, err := DecodeRangeWant(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	ok := []Range{{Upper: []byte{2}}, {Upper: []byte{2, 0}}, {Upper: []byte{3}}, {}}
	if _, err := DecodeRangeWant((&RangeWant{Ranges: ok}).Encode()); err != nil {
		t.Fatal(err)
	}
}

func TestHelloFields(t *testing.T) {
	h := &Hello{Version: 1, Group: "g", NodeID: 1, Addresses: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:9")}}
	got, err := DecodeHello(h.Encode())
	if err != nil || !reflect.DeepEqual(got.Addresses, h.Addresses) || got.Group != "g" {
		t.Fatalf("%+v %v", got, err)
	}
}

func FuzzDecode(f *testing.F) {
	for typ, b := range samples() {
		f.Add(byte(typ), b)
	}
	f.Fuzz(func(t *testing.T, typ byte, b []byte) {
		again, err := decode(Type(typ), b)
		if err != nil {
			return
		}
		// What decodes must re-encode to something that decodes the same.
		third, err := decode(Type(typ), again)
		if err != nil || !bytes.Equal(third, again) {
			t.Fatalf("type %d: unstable encoding", typ)
		}
	})
}

func FuzzReadFrame(f *testing.F) {
	var buf bytes.Buffer
	WriteFrame(&buf, TRecords, []byte("abc"))
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		for {
			if _, _, err := ReadFrame(r, 1<<20); err != nil {
				return
			}
		}
	})
}

func TestAppendDataFrame(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 70000, MaxData} {
		data := bytes.Repeat([]byte{7}, n)
		frame := AppendDataFrame(nil, [16]byte{1, 2}, data)
		typ, payload, err := ReadFrame(bufio.NewReader(bytes.NewReader(frame)), MaxFrame)
		if err != nil || typ != TData {
			t.Fatalf("%d: %v", n, err)
		}
		m, err := DecodeData(payload)
		if err != nil || m.Type != [16]byte{1, 2} || !bytes.Equal(m.Data, data) {
			t.Fatalf("%d bytes: %v", n, err)
		}
	}
}

// TestWelcomeNAT: a Welcome to a dialler that sent HelloNAT carries the
// observed address and capabilities after Issued; one to an older
// dialler ends at Issued, and both decode.
func TestWelcomeNAT(t *testing.T) {
	obs := netip.MustParseAddrPort("198.51.100.7:40000")
	w := &Welcome{NodeID: 9, Chain: []byte{3}, FriendlyName: "b", Issued: []byte{4}, Observed: obs, Caps: CapNAT}
	b := w.Encode()
	got, err := DecodeWelcome(b)
	if err != nil || got.Observed != obs || got.Caps != CapNAT {
		t.Fatalf("%+v %v", got, err)
	}
	old := (&Welcome{NodeID: 9, Chain: []byte{3}, FriendlyName: "b", Issued: []byte{4}}).Encode()
	if !bytes.HasPrefix(b, old) {
		t.Fatal("the NAT fields are not a suffix of the old encoding")
	}
	if got, err := DecodeWelcome(old); err != nil || got.Caps != 0 || got.Observed.IsValid() {
		t.Fatalf("old welcome: %+v %v", got, err)
	}
	for cut := len(old) + 1; cut < len(b); cut++ {
		if _, err := DecodeWelcome(b[:cut]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("cut at %d: %v", cut, err)
		}
	}
	// Capabilities 0 after an address is not a valid encoding.
	bad := append(bytes.Clone(old), (&Welcome{Observed: obs, Caps: 1}).Encode()[len((&Welcome{}).Encode()):]...)
	bad[len(bad)-1] = 0
	if _, err := DecodeWelcome(bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("zero capabilities accepted: %v", err)
	}
}

// TestDirectOpenResume: the Resume field is present exactly when the
// DirectResume flag is.
func TestDirectOpenResume(t *testing.T) {
	m := &DirectOpen{ConnectionID: 1, Flags: DirectResume, Resume: 77}
	got, err := DecodeDirectOpen(m.Encode())
	if err != nil || got.Resume != 77 {
		t.Fatalf("%+v %v", got, err)
	}
	if len((&DirectOpen{ConnectionID: 1, Resume: 77}).Encode()) != 12 {
		t.Fatal("Resume written without the flag")
	}
}

// TestPacket: control packets round-trip, are never taken for QUIC
// (first byte's two high bits clear) and verify only with their token.
func TestPacket(t *testing.T) {
	tok := [16]byte{9, 9}
	for _, k := range []byte{PacketProbe, PacketProbeAck, PacketBind, PacketBindAck} {
		p := NewPacket(tok, k, 0x0102030405060708, RoleTarget)
		b := p.Append(nil)
		if len(b) != PacketSize || b[0]&0xc0 != 0 {
			t.Fatalf("kind %#x: %d bytes, first byte %#x", k, len(b), b[0])
		}
		got, ok := ParsePacket(b)
		if !ok || got != p || !got.Valid(tok) || got.Valid([16]byte{1}) {
			t.Fatalf("kind %#x: %+v %v", k, got, ok)
		}
		b[20] ^= 1
		if got, ok := ParsePacket(b); !ok || got.Valid(tok) {
			t.Fatal("a changed MAC verifies")
		}
		if _, ok := ParsePacket(b[:len(b)-1]); ok {
			t.Fatal("a short packet parses")
		}
	}
}

func FuzzParsePacket(f *testing.F) {
	p := NewPacket([16]byte{1}, PacketBind, 5, RoleOrigin)
	f.Add(p.Append(nil))
	f.Add([]byte{0x31, 'p', '2', 'p', 'N'})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := ParsePacket(b)
		if !ok {
			return
		}
		if again := p.Append(nil); !bytes.Equal(again, b) {
			t.Fatalf("unstable: %x -> %x", b, again)
		}
	})
}
