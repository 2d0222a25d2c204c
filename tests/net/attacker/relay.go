package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"p2p/core/invitation"
	"p2p/core/peererr"
	"p2p/core/wire"
)

// tamperingRelay is a genuine member that members connect to (its
// address is given to them with PeerGroupConnectByAddress) and that
// relays for them, dishonestly: of the datagrams it forwards it changes
// one byte of every 5th and sends every 7th again, a few datagrams
// later. It answers reconciliation as if it held what they hold, refuses
// to coordinate punches, and relays every session it is asked for.
// Prints "listening <addr>", "member <peer name>" per member that
// connects, "relaying <session>" per session, and once stdin closes
// "relay-stats forwarded=<n> tampered=<n> replayed=<n>".
func tamperingRelay(ctx context.Context, d *dialer, inv *invitation.Invitation) error {
	chain, err := inv.Credential.MarshalBinary()
	if err != nil {
		return err
	}
	tc := tlsConfig(d.id.TLSCertificate())
	tc.ClientAuth = tls.RequireAnyClientCert
	ln, err := d.tr.Listen(tc, &quic.Config{MaxIdleTimeout: 30 * time.Second, KeepAlivePeriod: 5 * time.Second})
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Printf("listening %s\n", d.udp.LocalAddr())
	r := &badRelay{d: d, group: inv.GroupPeerName, chain: chain, members: map[string]*session{}}
	go func() {
		for {
			conn, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			go r.serve(ctx, conn)
		}
	}()
	// Until stdin closes.
	buf := make([]byte, 64)
	for {
		if _, err := os.Stdin.Read(buf); err != nil {
			break
		}
	}
	r.mu.Lock()
	fmt.Printf("relay-stats forwarded=%d tampered=%d replayed=%d\n", r.forwarded, r.tampered, r.replayed)
	r.mu.Unlock()
	return nil
}

// badRelay is the state of tamperingRelay.
type badRelay struct {
	d     *dialer
	group string
	chain []byte

	mu                            sync.Mutex
	members                       map[string]*session
	forwarded, tampered, replayed int
}

// serve welcomes a member and handles what it sends.
func (r *badRelay) serve(ctx context.Context, conn *quic.Conn) {
	s, err := conn.AcceptStream(ctx)
	if err != nil {
		return
	}
	br := bufio.NewReader(s)
	t, payload, err := wire.ReadFrame(br, 1<<20)
	if err != nil || t != wire.THello {
		conn.CloseWithError(0, "")
		return
	}
	h, err := wire.DecodeHello(payload)
	if err != nil {
		conn.CloseWithError(0, "")
		return
	}
	var node [8]byte
	rand.Read(node[:])
	w := &wire.Welcome{NodeID: binary.BigEndian.Uint64(node[:]) | 1, Chain: r.chain, FriendlyName: "attacker"}
	if h.Flags&wire.HelloNAT != 0 {
		w.Observed, w.Caps = conn.RemoteAddr().(*net.UDPAddr).AddrPort(), wire.CapNAT
	}
	if err := wire.WriteFrame(s, wire.TWelcome, w.Encode()); err != nil {
		return
	}
	ss := &session{id: r.d.id, group: r.group, conn: conn, s: s, serving: true,
		acks: make(chan uint64, 16), replies: make(chan *wire.RangeReply, 16), nat: make(chan natMessage, 256),
		done: make(chan struct{})}
	peer := peerOf(conn)
	r.mu.Lock()
	r.members[peer] = ss
	r.mu.Unlock()
	fmt.Printf("member %s\n", peer)
	go ss.readLoop(br)
	for {
		select {
		case m := <-ss.nat:
			r.handle(ss, peer, m)
		case <-ss.done:
			return
		}
	}
}

// handle answers a Punch (refused) or sets up a Relay session.
func (r *badRelay) handle(from *session, fromPeer string, m natMessage) {
	switch m.t {
	case wire.TPunch:
		p, err := wire.DecodePunch(m.payload)
		if err == nil && p.Kind == wire.PunchRequest {
			from.write(wire.TPunch, (&wire.Punch{Kind: wire.PunchRefuse, Session: p.Session, Peer: p.Peer,
				HR: peererr.ErrConnectionFailed.HR}).Encode())
		}
	case wire.TRelay:
		q, err := wire.DecodeRelay(m.payload)
		if err != nil || q.Kind != wire.RelayRequest {
			return
		}
		r.mu.Lock()
		to := r.members[q.Peer]
		r.mu.Unlock()
		if to == nil {
			from.write(wire.TRelay, (&wire.Relay{Kind: wire.RelayRefuse, Session: q.Session, Peer: q.Peer,
				HR: peererr.ErrConnectionFailed.HR}).Encode())
			return
		}
		la := r.d.udp.LocalAddr().(*net.UDPAddr)
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: la.IP})
		if err != nil {
			return
		}
		var token [16]byte
		rand.Read(token[:])
		port := uint16(conn.LocalAddr().(*net.UDPAddr).Port)
		fmt.Printf("relaying %d\n", q.Session)
		go r.forward(conn, q.Session, token, port, from, to, q.Peer)
		to.write(wire.TRelay, (&wire.Relay{Kind: wire.RelayOffer, Session: q.Session, Peer: fromPeer, Port: port, Token: token}).Encode())
	}
}

// forward relays one session, changing and replaying datagrams.
func (r *badRelay) forward(conn *net.UDPConn, id uint64, token [16]byte, port uint16, origin, target *session, targetPeer string) {
	defer conn.Close()
	var addrs [2]netip.AddrPort
	ready := false
	n := 0
	type held struct {
		b  []byte
		to netip.AddrPort
		at int
	}
	var replays []held
	buf := make([]byte, 2048)
	for {
		conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		k, src, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if p, ok := wire.ParsePacket(buf[:k]); ok && p.Kind == wire.PacketBind && p.Valid(token) && (p.Role == wire.RoleOrigin || p.Role == wire.RoleTarget) {
			addrs[p.Role-1] = src
			ack := wire.NewPacket(token, wire.PacketBindAck, id, p.Role)
			conn.WriteToUDPAddrPort(ack.Append(nil), src)
			if p.Role == wire.RoleTarget && !ready {
				ready = true
				origin.write(wire.TRelay, (&wire.Relay{Kind: wire.RelayReady, Session: id, Peer: targetPeer, Port: port, Token: token}).Encode())
			}
			continue
		}
		var dst netip.AddrPort
		switch src {
		case addrs[0]:
			dst = addrs[1]
		case addrs[1]:
			dst = addrs[0]
		default:
			continue
		}
		if !dst.IsValid() {
			continue
		}
		n++
		out := buf[:k]
		tampered, replayed := false, false
		if n%7 == 0 {
			replays = append(replays, held{b: append([]byte(nil), out...), to: dst, at: n + 3})
		}
		if n%5 == 0 && k > 40 {
			out = append([]byte(nil), out...)
			out[k/2] ^= 0x5a
			tampered = true
		}
		conn.WriteToUDPAddrPort(out, dst)
		for len(replays) > 0 && replays[0].at <= n {
			conn.WriteToUDPAddrPort(replays[0].b, replays[0].to)
			replays = replays[1:]
			replayed = true
		}
		r.mu.Lock()
		r.forwarded++
		if tampered {
			r.tampered++
		}
		if replayed {
			r.replayed++
		}
		r.mu.Unlock()
	}
}
