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
