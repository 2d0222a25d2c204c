package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/quic-go/quic-go"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/record"
	"p2p/core/wire"
)

// testType is the record type of tests/net/peer.c (TEST_TYPE).
var testType = uuid.MustParse("7e57d47a-0001-4e70-9e7a-6e6574746573")

// session is a connection a member welcomed: the attacker holds a genuine
// credential of the group. A reader goroutine collects what the member
// sends.
type session struct {
	id    *identity.Identity
	inv   *invitation.Invitation
	group string
	conn  *quic.Conn
	s     *quic.Stream

	wmu sync.Mutex // one frame at a time

	acks    chan uint64
	replies chan *wire.RangeReply
	nat     chan natMessage // Punch and Relay messages (sessions that sent HelloNAT)
	serving bool            // a member connected to the attacker: answer its reconciliation and barriers
	done    chan struct{}   // closed when the reader stops

	mu       sync.Mutex
	received []receivedRecord // every record the member sent, in order
	err      error            // why the reader stopped
}

// receivedRecord is a record the member sent and when it arrived.
type receivedRecord struct {
	at time.Time
	r  *record.Record
}

// join connects to addr (or the invitation's addresses) with the
// invitation's credential and requires a Welcome.
func join(ctx context.Context, d *dialer, inv *invitation.Invitation, addr string) (*session, error) {
	return joinFlags(ctx, d, inv, addr, 0)
}

// joinFlags is join with Hello flags.
func joinFlags(ctx context.Context, d *dialer, inv *invitation.Invitation, addr string, flags uint32) (*session, error) {
	var addrs []string
	if addr != "" {
		addrs = []string{addr}
	}
	for _, a := range inv.Addresses {
		addrs = append(addrs, a.String())
	}
	chain, err := inv.Credential.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var conn *quic.Conn
	for _, a := range addrs {
		if conn, err = d.dial(ctx, a); err == nil {
			break
		}
	}
	if conn == nil {
		return nil, fmt.Errorf("no member reachable at %v: %v", addrs, err)
	}
	s, br, t, payload, err := hello(ctx, conn, helloMsg(inv.GroupPeerName, chain, flags))
	if err != nil {
		conn.CloseWithError(0, "")
		return nil, err
	}
	if t != wire.TWelcome {
		r, _ := wire.DecodeRefuse(payload)
		conn.CloseWithError(0, "")
		return nil, fmt.Errorf("not welcomed: message %d %+v", t, r)
	}
	fmt.Printf("welcome %s\n", peerOf(conn))
	ss := &session{id: d.id, inv: inv, group: inv.GroupPeerName, conn: conn, s: s,
		acks: make(chan uint64, 16), replies: make(chan *wire.RangeReply, 16), nat: make(chan natMessage, 256),
		done: make(chan struct{})}
	go ss.readLoop(br)
	return ss, nil
}

func (ss *session) close() { ss.conn.CloseWithError(0, "") }

func (ss *session) readLoop(br *bufio.Reader) {
	defer close(ss.done)
	for {
		t, payload, err := wire.ReadFrame(br, wire.MaxFrame)
		if err != nil {
			ss.mu.Lock()
			ss.err = err
			ss.mu.Unlock()
			return
		}
		switch t {
		case wire.TRecords:
			m, err := wire.DecodeRecords(payload)
			if err != nil {
				continue
			}
			now := time.Now()
			ss.mu.Lock()
			for _, b := range m.Records {
				var r record.Record
				if r.UnmarshalBinary(b) == nil {
					ss.received = append(ss.received, receivedRecord{at: now, r: &r})
				}
			}
			ss.mu.Unlock()
		case wire.TBarrierAck:
			if m, err := wire.DecodeBarrier(payload); err == nil {
				ss.acks <- m.Seq
			}
		case wire.TRangeReply:
			if m, err := wire.DecodeRangeReply(payload); err == nil {
				ss.replies <- m
			}
		case wire.TRangeRequest:
			// Claim to hold exactly what the member holds: every range
			// it sends is settled.
			if m, err := wire.DecodeRangeRequest(payload); err == nil && ss.serving {
				reply := &wire.RangeReply{Round: m.Round}
				for _, r := range m.Ranges {
					reply.Ranges = append(reply.Ranges, wire.Range{Upper: r.Upper, Mode: wire.RangeSkip})
				}
				go ss.write(wire.TRangeReply, reply.Encode())
			}
		case wire.TBarrier:
			if ss.serving {
				go ss.write(wire.TBarrierAck, payload)
			}
		case wire.TPunch, wire.TRelay:
			select {
			case ss.nat <- natMessage{t, payload}:
			default:
			}
		}
	}
}

// closedErr describes why the connection ended, or nil if it has not.
func (ss *session) closedErr() error {
	select {
	case <-ss.done:
	default:
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if err := context.Cause(ss.conn.Context()); err != nil {
		return err
	}
	return ss.err
}

// write sends one frame.
func (ss *session) write(t wire.Type, payload []byte) error {
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	ss.s.SetWriteDeadline(time.Now().Add(20 * time.Second))
	return wire.WriteFrame(ss.s, t, payload)
}

// sendRecords sends records in one Records frame.
func (ss *session) sendRecords(recs ...*record.Record) error {
	var encoded [][]byte
	for _, r := range recs {
		b, err := r.MarshalBinary()
		if err != nil {
			return err
		}
		encoded = append(encoded, b)
	}
	return ss.write(wire.TRecords, (&wire.Records{Records: encoded}).Encode())
}

// barrier waits until the member has handled everything sent before it.
func (ss *session) barrier(seq uint64) error {
	if err := ss.write(wire.TBarrier, (&wire.Barrier{Seq: seq}).Encode()); err != nil {
		return err
	}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case got := <-ss.acks:
			if got == seq {
				return nil
			}
		case <-ss.done:
			return fmt.Errorf("connection closed: %v", ss.closedErr())
		case <-timeout:
			return errors.New("no barrier acknowledgement within 30 s")
		}
	}
}

// fetchAll asks for every record the member holds (a reconciliation in
// which the attacker claims an empty database) and returns what came.
func (ss *session) fetchAll(round uint64) ([]*record.Record, error) {
	ss.mu.Lock()
	start := len(ss.received)
	ss.mu.Unlock()
	all := []wire.Range{{Mode: wire.RangeEmpty}} // the whole id space
	if err := ss.write(wire.TRangeRequest, (&wire.RangeRequest{Round: round, Ranges: all}).Encode()); err != nil {
		return nil, err
	}
	select {
	case <-ss.replies:
	case <-ss.done:
		return nil, fmt.Errorf("connection closed: %v", ss.closedErr())
	case <-time.After(30 * time.Second):
		return nil, errors.New("no sync reply within 30 s")
	}
	if err := ss.barrier(round); err != nil {
		return nil, err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var out []*record.Record
	for _, rr := range ss.received[start:] {
		out = append(out, rr.r)
	}
	return out, nil
}

// receivedSince returns the records received after index i.
func (ss *session) receivedSince(i int) []receivedRecord {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]receivedRecord(nil), ss.received[min(i, len(ss.received)):]...)
}

// ---- records the attacker writes ----

// memberRecord is the attacker's member record, as an honest member
// writes its own.
func memberRecord(id *identity.Identity, groupName string, chain credential.Chain, friendly string) (*record.Record, error) {
	b, err := chain.MarshalBinary()
	if err != nil {
		return nil, err
	}
	now := filetime.Now()
	r := &record.Record{Type: group.MemberType, ID: group.MemberRecordID(groupName, id.PeerName), Version: 1,
		CreatorID: id.PeerName, ModifiedByID: id.PeerName, Created: now, Modified: now, Expires: chain.Leaf().NotAfter}
	r.Data, err = json.Marshal(struct {
		FriendlyName string `json:"friendlyName"`
		Chain        []byte `json:"chain"`
	}{friendly, b})
	if err != nil {
		return nil, err
	}
	r.Sign(groupName, id.Key)
	return r, nil
}

// newTestRecord is an unsigned record of the test type by author in
// group, under an id bound to author, expiring in a day.
func newTestRecord(groupName, author string, now filetime.FILETIME, text string) *record.Record {
	return &record.Record{Type: testType, ID: group.NewRecordID(groupName, author), Version: 1, CreatorID: author, ModifiedByID: author,
		Created: now, Modified: now, Expires: now + filetime.FILETIME(24*time.Hour/100), Data: []byte(text)}
}

// ---- captured records on disk: uvarint length, record bytes ----

func writeRecords(path string, recs []*record.Record) error {
	var b []byte
	for _, r := range recs {
		rb, err := r.MarshalBinary()
		if err != nil {
			return err
		}
		b = binary.AppendUvarint(b, uint64(len(rb)))
		b = append(b, rb...)
	}
	return os.WriteFile(path, b, 0o600)
}

func readRecords(path string) (map[uuid.UUID]*record.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	out := make(map[uuid.UUID]*record.Record)
	for {
		n, err := binary.ReadUvarint(br)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		var r record.Record
		if err := r.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if prev := out[r.ID]; prev == nil || record.Compare(&r, prev) > 0 {
			out[r.ID] = &r
		}
	}
}
