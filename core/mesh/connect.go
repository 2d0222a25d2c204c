package mesh

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"p2p/core/group"
	"p2p/core/peererr"
)

// punchHeadStart is how long direct dials run alone before a hole punch
// joins them: a member reachable at a published address answers well
// within it on a LAN, and the punch costs only a few small messages if it
// was not needed.
const punchHeadStart = 150 * time.Millisecond

// headStart is how long direct dials to peer run before a punch joins
// them: none when peer publishes a reflexive or mapped candidate (it
// knows it is behind a NAT, so its interface addresses are likely out of
// reach), else punchHeadStart.
func (n *Node) headStart(peer string) time.Duration {
	p, _ := n.e.MemberPresence(peer)
	for _, c := range p.Candidates {
		if c.Kind != group.CandidateHost {
			return 0
		}
	}
	return punchHeadStart
}

// upgradeAfter are the delays, after a relayed connection opened, of the
// punches that try to move it to a direct path.
var upgradeAfter = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}

// reach opens a direct-only link to the member peer: dials to each of
// addrs at once; with traverse, also a hole punch after punchHeadStart
// (or once every dial failed) and, if the punch finds no path, a relay.
// The first link wins; a relayed one is later moved to a direct path when
// a punch succeeds.
func (n *Node) reach(peer string, addrs []netip.AddrPort, traverse bool) (*neighbor, error) {
	ctx, cancel := context.WithCancel(n.ctx)
	type result struct {
		link    *neighbor
		err     error
		relayed bool
		punched bool
	}
	// Every attempt sends exactly one result; those after the winner are
	// collected by a goroutine of their own, which releases their links.
	results := make(chan result, len(addrs)+2)
	attempts := 0
	start := func(fn func() result) {
		attempts++
		n.run(func() { results <- fn() })
	}
	for _, a := range addrs {
		start(func() result {
			link, err := n.dialLink(ctx, a, peer, quicConfig())
			return result{link: link, err: err}
		})
	}
	var headStart <-chan time.Time
	if traverse {
		t := time.NewTimer(n.headStart(peer))
		defer t.Stop()
		headStart = t.C
	}
	punching, relaying := !traverse, !traverse
	startPunch := func() {
		punching = true
		start(func() result {
			link, err := n.punch(ctx, peer, 0)
			return result{link: link, err: err, punched: true}
		})
	}
	startRelay := func() {
		relaying = true
		start(func() result {
			link, err := n.relay(ctx, peer)
			return result{link: link, err: err, relayed: true}
		})
	}
	if traverse && len(addrs) == 0 {
		startPunch()
	}
	var lastErr error
	done := 0
	for done < attempts || !punching {
		select {
		case r := <-results:
			done++
			if r.err == nil {
				cancel()
				if rest := attempts - done; rest > 0 {
					n.run(func() {
						for range rest {
							if late := <-results; late.err == nil {
								n.releaseLink(late.link)
							}
						}
					})
				}
				how := "dialled"
				switch {
				case r.relayed:
					how = "relayed"
					n.run(func() { n.upgrade(r.link, peer) })
				case r.punched:
					how = "punched"
				}
				n.log.Info("reached member", "peer", peer, "how", how, "addr", r.link.addr)
				return r.link, nil
			}
			lastErr = r.err
			if r.punched && !relaying {
				startRelay()
			}
			if done == attempts && !punching {
				startPunch()
			}
		case <-headStart:
			headStart = nil
			if !punching {
				startPunch()
			}
		}
	}
	cancel()
	if lastErr == nil {
		lastErr = fmt.Errorf("%s not reached: %w", peer, peererr.ErrConnectionFailed)
	}
	return nil, lastErr
}
