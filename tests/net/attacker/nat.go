package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"p2p/core/invitation"
	"p2p/core/wire"
)

// natMessage is a Punch or Relay frame a member sent.
type natMessage struct {
	t       wire.Type
	payload []byte
}

// natAttacks abuses hole punching and relaying as a genuine member
// connected to the member at addr (the coordinator and relay), with the
// honest member victim (connected to it) as the other side. A UDP socket
// of the attacker's stands for a third party that must never receive a
// packet. Prints "result <case> refused 0x<hr>" or "result <case>
// <answer>" per case, "punch-flood ...", "relay-flood ...", then
// "third-party packets=<n> bytes=<n>" and "ack".
func natAttacks(ctx context.Context, d *dialer, inv *invitation.Invitation, addr, victim string) error {
	ss, err := joinFlags(ctx, d, inv, addr, wire.HelloNAT)
	if err != nil {
		return err
	}
	defer ss.close()
	la := d.udp.LocalAddr().(*net.UDPAddr)
	third, err := net.ListenUDP("udp", &net.UDPAddr{IP: la.IP})
	if err != nil {
		return err
	}
	defer third.Close()
	var packets, bytes atomic.Int64
	go func() {
		buf := make([]byte, 2048)
		for {
			k, _, err := third.ReadFromUDP(buf)
			if err != nil {
				return
			}
			packets.Add(1)
			bytes.Add(int64(k))
		}
	}()
	thirdAddr := third.LocalAddr().(*net.UDPAddr).AddrPort()
	thirdAddr = netip.AddrPortFrom(thirdAddr.Addr().Unmap(), thirdAddr.Port())

	// 1. A relay to somebody who is not a member.
	var raw [20]byte
	rand.Read(raw[:])
	ss.write(wire.TRelay, (&wire.Relay{Kind: wire.RelayRequest, Session: 1, Peer: hex.EncodeToString(raw[:]) + "."}).Encode())
	fmt.Printf("result relay-non-member %s\n", ss.answer(1, 10*time.Second))

	var token [16]byte
	rand.Read(token[:])
	cands := []netip.AddrPort{thirdAddr}
	request := func(session uint64, key ed25519.PrivateKey) *wire.Punch {
		m := &wire.Punch{Kind: wire.PunchRequest, Session: session, Peer: victim, Token: token, Candidates: cands}
		if key != nil {
			m.Key = key.Public().(ed25519.PublicKey)
			m.Sig = ed25519.Sign(key, wire.PunchSigningBytes(ss.group, m.Kind, m.Session, m.Token, m.Candidates))
		}
		return m
	}
	// 2. A punch naming the third party, unsigned.
	ss.write(wire.TPunch, request(2, nil).Encode())
	fmt.Printf("result punch-unsigned %s\n", ss.answer(2, 10*time.Second))
	// 3. The same signed by a key that is not the attacker's.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	ss.write(wire.TPunch, request(3, other).Encode())
	fmt.Printf("result punch-forged %s\n", ss.answer(3, 10*time.Second))
	// 4. Signed by the attacker: the third party is "its" address, but the
	// coordinator sees the attacker elsewhere.
	ss.write(wire.TPunch, request(4, d.id.Key).Encode())
	fmt.Printf("result punch-unpublished %s\n", ss.answer(4, 10*time.Second))
	ss.write(wire.TPunch, (&wire.Punch{Kind: wire.PunchSync, Session: 4, Peer: victim}).Encode())
	time.Sleep(4 * time.Second) // longer than a punch's probing

	// 5. A flood of such punches.
	const punches = 40
	for i := range punches {
		ss.write(wire.TPunch, request(uint64(100+i), d.id.Key).Encode())
	}
	replies, refused := ss.count(100, punches, 10*time.Second)
	fmt.Printf("punch-flood sent=%d replies=%d refused=%d\n", punches, replies, refused)
	time.Sleep(4 * time.Second)

	// 6. Relay exhaustion: many sessions to the victim at once, never used.
	const relays = 12
	for i := range relays {
		ss.write(wire.TRelay, (&wire.Relay{Kind: wire.RelayRequest, Session: uint64(200 + i), Peer: victim}).Encode())
	}
	ready, refusedRelays := ss.count(200, relays, 15*time.Second)
	fmt.Printf("relay-flood sent=%d ready=%d refused=%d\n", relays, ready, refusedRelays)

	fmt.Printf("third-party packets=%d bytes=%d\n", packets.Load(), bytes.Load())
	if err := ss.barrier(7); err != nil {
		return err
	}
	fmt.Println("ack")
	return nil
}

// natAnswer decodes a Punch or Relay frame: its session, whether it
// refuses (and with which HRESULT), and its kind's name.
func natAnswer(m natMessage) (session uint64, refused bool, hr uint32, kind string) {
	switch m.t {
	case wire.TPunch:
		p, err := wire.DecodePunch(m.payload)
		if err != nil {
			return 0, false, 0, "malformed"
		}
		names := map[byte]string{wire.PunchReply: "reply", wire.PunchRefuse: "refused", wire.PunchRequest: "request", wire.PunchSync: "sync"}
		return p.Session, p.Kind == wire.PunchRefuse, p.HR, names[p.Kind]
	case wire.TRelay:
		r, err := wire.DecodeRelay(m.payload)
		if err != nil {
			return 0, false, 0, "malformed"
		}
		names := map[byte]string{wire.RelayReady: "ready", wire.RelayRefuse: "refused", wire.RelayOffer: "offer", wire.RelayClose: "close"}
		return r.Session, r.Kind == wire.RelayRefuse, r.HR, names[r.Kind]
	}
	return 0, false, 0, "?"
}

// answer waits for the member's answer in a session: "refused 0x<hr>"
// or the answer's kind, "none" if it gives none in time.
func (ss *session) answer(session uint64, timeout time.Duration) string {
	deadline := time.After(timeout)
	for {
		select {
		case m := <-ss.nat:
			id, refused, hr, kind := natAnswer(m)
			if id != session {
				continue
			}
			if refused {
				return fmt.Sprintf("refused 0x%08x", hr)
			}
			return kind
		case <-deadline:
			return "none"
		case <-ss.done:
			return "closed"
		}
	}
}

// count collects answers to sessions first..first+n-1 for timeout: how
// many accepted (reply, ready) and how many refused.
func (ss *session) count(first uint64, n int, timeout time.Duration) (accepted, refused int) {
	deadline := time.After(timeout)
	seen := map[uint64]bool{}
	for len(seen) < n {
		select {
		case m := <-ss.nat:
			id, ref, _, kind := natAnswer(m)
			if id < first || id >= first+uint64(n) || seen[id] || kind == "close" {
				continue
			}
			seen[id] = true
			if ref {
				refused++
			} else {
				accepted++
			}
		case <-deadline:
			return
		case <-ss.done:
			return
		}
	}
	return
}
