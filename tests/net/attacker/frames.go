package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/quic-go/quic-go"

	"p2p/core/invitation"
	"p2p/core/wire"
)

// header is the start of a frame announcing length bytes of type t.
func header(length uint64, t wire.Type) []byte {
	return append(binary.AppendUvarint(nil, length), byte(t))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// frameAttack is one malformed thing to send on the control stream.
type frameAttack struct {
	label string
	data  []byte
	// then is what the attacker does after writing data: "wait" for the
	// member to react, "fin" to end its side of the stream first, or
	// "abandon" to close the connection itself.
	then string
}

// frames sends oversized, truncated and malformed frames, first instead
// of a Hello and then after a genuine Hello was welcomed, one connection
// each, and prints how the member reacted.
func frames(ctx context.Context, d *dialer, inv *invitation.Invitation, addr string) error {
	before := []frameAttack{
		{"oversized-hello", header(2<<20, wire.THello), "wait"},
		{"oversized-frame-before-hello", header(wire.MaxFrame+1, wire.THello), "wait"},
		{"huge-length-before-hello", header(1<<63, wire.THello), "wait"},
		{"bad-varint-before-hello", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "wait"},
		{"truncated-hello", append(header(1000, wire.THello), randomBytes(10)...), "fin"},
		{"abandoned-hello", append(header(1000, wire.THello), randomBytes(10)...), "abandon"},
	}
	for _, a := range before {
		fmt.Printf("attempt %s\n", a.label)
		conn, err := d.dial(ctx, addr)
		if err != nil {
			fmt.Printf("result error %v\n", oneLine(err))
			continue
		}
		s, err := conn.OpenStreamSync(ctx)
		if err == nil {
			_, err = s.Write(a.data)
		}
		if err != nil {
			fmt.Printf("result error %v\n", oneLine(err))
			conn.CloseWithError(0, "")
			continue
		}
		reportBefore(conn, s, a.then)
	}

	chain, err := inv.Credential.MarshalBinary()
	if err != nil {
		return err
	}
	after := []frameAttack{
		{"oversized-frame-after-welcome", header(wire.MaxFrame+1, wire.TRecords), "wait"},
		{"huge-length-after-welcome", header(1<<62, wire.TRecords), "wait"},
		{"truncated-frame-after-welcome", append(header(100000, wire.TRecords), randomBytes(100)...), "fin"},
		{"malformed-records", append(header(201, wire.TRecords), randomBytes(200)...), "wait"},
		{"unknown-type", append(header(11, wire.Type(200)), randomBytes(10)...), "wait"},
		{"abandoned-frame-after-welcome", append(header(1<<20, wire.TRecords), randomBytes(1000)...), "abandon"},
	}
	for _, a := range after {
		fmt.Printf("attempt %s\n", a.label)
		conn, err := d.dial(ctx, addr)
		if err != nil {
			fmt.Printf("result error %v\n", oneLine(err))
			continue
		}
		s, _, t, _, err := hello(ctx, conn, helloMsg(inv.GroupPeerName, chain, 0))
		if err == nil && t != wire.TWelcome {
			err = fmt.Errorf("not welcomed: message %d", t)
		}
		if err == nil {
			_, err = s.Write(a.data)
		}
		if err != nil {
			fmt.Printf("result error %v\n", oneLine(err))
			conn.CloseWithError(0, "")
			continue
		}
		reportClosed(conn, s, a.then)
	}
	return nil
}

// reportBefore prints the member's answer to garbage sent instead of a
// Hello: "result refused ..." and then whether it closed the connection
// ("closed closed remote code=<n>").
func reportBefore(conn *quic.Conn, s *quic.Stream, then string) {
	switch then {
	case "abandon":
		conn.CloseWithError(0, "gone")
		fmt.Println("result abandoned")
		return
	case "fin":
		s.Close()
	}
	s.SetReadDeadline(time.Now().Add(15 * time.Second))
	t, payload, err := wire.ReadFrame(bufio.NewReader(s), 1<<20)
	switch {
	case err == nil && t == wire.TRefuse:
		if r, derr := wire.DecodeRefuse(payload); derr == nil {
			fmt.Printf("result refused 0x%08x %s\n", r.HR, oneLine(errors.New(r.Reason)))
		} else {
			fmt.Printf("result error malformed refuse: %v\n", derr)
		}
	case err == nil:
		fmt.Printf("result error unexpected message %d\n", t)
	default:
		fmt.Printf("result error %v\n", oneLine(err))
	}
	waitClosed(conn, "closed")
}

// reportClosed prints whether the member closed a welcomed connection
// after garbage.
func reportClosed(conn *quic.Conn, s *quic.Stream, then string) {
	switch then {
	case "abandon":
		conn.CloseWithError(0, "gone")
		fmt.Println("result abandoned")
		return
	case "fin":
		s.Close()
	}
	// Drain what the member sends meanwhile, so flow control never
	// stalls it.
	go func() {
		br := bufio.NewReader(s)
		for {
			if _, _, err := wire.ReadFrame(br, wire.MaxFrame); err != nil {
				return
			}
		}
	}()
	waitClosed(conn, "result")
}

// waitClosed prints "<key> closed remote code=<n>" (or "<key> closed
// <why>") if the member closes conn within 15 s, else "<key> open" (and
// closes it).
func waitClosed(conn *quic.Conn, key string) {
	select {
	case <-conn.Context().Done():
		var ae *quic.ApplicationError
		cause := context.Cause(conn.Context())
		if errors.As(cause, &ae) && ae.Remote {
			fmt.Printf("%s closed remote code=%d\n", key, ae.ErrorCode)
		} else {
			fmt.Printf("%s closed %s\n", key, oneLine(cause))
		}
	case <-time.After(15 * time.Second):
		fmt.Printf("%s open\n", key)
		conn.CloseWithError(0, "")
	}
}

// udpNoise sends n datagrams to addr and counts replies: random bytes
// (shape "random") or random datagrams shaped like QUIC v1 Initial
// packets (shape "initial": long header, version 1, random connection
// ids, padded to at least 1200 bytes).
func udpNoise(addr string, n int, shape string) error {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	c, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return err
	}
	defer c.Close()
	replies := make(chan int, 1)
	go func() {
		got := 0
		buf := make([]byte, 2048)
		for {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, err := c.Read(buf); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				continue // ICMP errors surface as read errors
			}
			got++
		}
		replies <- got
	}()
	sent, bytes := 0, 0
	send := func(b []byte) {
		if _, err := c.Write(b); err == nil {
			sent++
			bytes += len(b)
		}
		if sent%100 == 0 {
			// About 10000 a second: what a loaded member can read
			// without its socket buffer dropping them.
			time.Sleep(10 * time.Millisecond)
		}
	}
	for i := 0; i < n; i++ {
		switch shape {
		case "random":
			var size [2]byte
			rand.Read(size[:])
			send(randomBytes(1 + int(binary.BigEndian.Uint16(size[:]))%1472))
		case "initial":
			send(fakeInitial(1200 + i%200))
		default:
			return fmt.Errorf("unknown -shape %q", shape)
		}
	}
	fmt.Printf("sent datagrams=%d bytes=%d replies=%d\n", sent, bytes, <-replies)
	return nil
}

// fakeInitial is a datagram of size bytes whose header parses as a QUIC
// v1 Initial packet (random connection ids, no token) but whose
// protected payload is random: it reaches the server's Initial handling
// and fails decryption there.
func fakeInitial(size int) []byte {
	b := randomBytes(size)
	b[0] = 0xc3 // long header, fixed bit, Initial, 4-byte packet number
	binary.BigEndian.PutUint32(b[1:], 1)
	dcid := 8 + int(b[5]%13)
	b[5] = byte(dcid)
	i := 6 + dcid
	b[i] = 8 // source connection id length
	i += 1 + 8
	b[i] = 0 // token length
	i++
	binary.BigEndian.PutUint16(b[i:], 0x4000|uint16(size-i-2))
	return b
}
