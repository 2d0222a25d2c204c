package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"time"

	"p2p/core/invitation"
	"p2p/core/password"
	"p2p/core/wire"
)

// exporterLabel is the TLS exporter label password proofs are bound to
// (core/mesh, documented in SECURITY.md).
const exporterLabel = "EXPORTER-p2p-group-password"

// guessPasswords tries count wrong passwords against the member at addr
// (the password handshake: a Hello with HelloPassword, the member's
// challenge, a proof), then the right one, each on a new connection.
// Each try prints "attempt <label>", "challenged yes|no" (whether the
// member got as far as a challenge) and the result.
func guessPasswords(ctx context.Context, d *dialer, inv *invitation.Invitation, addr string, count int, right string) error {
	keys := map[string][]byte{} // password/salt -> key, derived once
	for i := 1; i <= count+1; i++ {
		label, guess := fmt.Sprintf("wrong-%d", i), "not the password"
		if i > count {
			label, guess = "right-password-same-address", right
		}
		fmt.Printf("attempt %s\n", label)
		start := time.Now()
		challenged, t, payload, err := passwordAttempt(ctx, d, inv, addr, guess, keys)
		fmt.Printf("challenged %v\n", map[bool]string{true: "yes", false: "no"}[challenged])
		switch {
		case err != nil:
			fmt.Printf("result error %v\n", oneLine(err))
		case t == wire.TRefuse:
			r, derr := wire.DecodeRefuse(payload)
			if derr != nil {
				fmt.Printf("result error malformed refuse: %v\n", derr)
			} else {
				fmt.Printf("result refused 0x%08x %s\n", r.HR, oneLine(errors.New(r.Reason)))
			}
		case t == wire.TWelcome:
			fmt.Println("result welcome")
		default:
			fmt.Printf("result error unexpected message %d\n", t)
		}
		fmt.Printf("elapsed ms=%d\n", time.Since(start).Milliseconds())
	}
	return nil
}

// passwordAttempt runs one password handshake with guess.
func passwordAttempt(ctx context.Context, d *dialer, inv *invitation.Invitation, addr, guess string, keys map[string][]byte) (bool, wire.Type, []byte, error) {
	conn, err := d.dial(ctx, addr)
	if err != nil {
		return false, 0, nil, err
	}
	defer conn.CloseWithError(0, "")
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return false, 0, nil, err
	}
	if err := wire.WriteFrame(s, wire.THello, helloMsg(inv.GroupPeerName, nil, wire.HelloPassword).Encode()); err != nil {
		return false, 0, nil, err
	}
	br := bufio.NewReader(s)
	s.SetReadDeadline(time.Now().Add(15 * time.Second))
	t, payload, err := wire.ReadFrame(br, 1<<20)
	if err != nil || t != wire.TPasswordChallenge {
		return false, t, payload, err
	}
	ch, err := wire.DecodePasswordChallenge(payload)
	if err != nil {
		return true, 0, nil, err
	}
	params := password.Params{Time: ch.KDFTime, MemoryKiB: ch.KDFMemory, Lanes: ch.KDFLanes}
	if err := params.Check(); err != nil {
		return true, 0, nil, err
	}
	id := fmt.Sprintf("%s/%x/%v", guess, ch.Salt, params)
	key, ok := keys[id]
	if !ok {
		key = password.Derive(guess, ch.Salt, params)
		keys[id] = key
	}
	st := conn.ConnectionState().TLS
	session, err := st.ExportKeyingMaterial(exporterLabel, nil, 32)
	if err != nil {
		return true, 0, nil, err
	}
	proof := &wire.PasswordProof{Proof: password.Proof(key, session, ch.Nonce[:], d.id.PeerName)}
	if err := wire.WriteFrame(s, wire.TPasswordProof, proof.Encode()); err != nil {
		return true, 0, nil, err
	}
	t, payload, err = wire.ReadFrame(br, 1<<20)
	return true, t, payload, err
}
