package dht

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"

	anacrolix "github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/bep44"
	"github.com/anacrolix/dht/v2/int160"
	k_nearest_nodes "github.com/anacrolix/dht/v2/k-nearest-nodes"
	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/dht/v2/traversal"

	"p2p/core/sig"
)

// A BEP 44 get traversal, written here rather than taken from
// anacrolix/dht's exts/getput so that it is bounded (queries, nodes taken
// from a reply, values held), stops as soon as its caller has what it
// wants, and checks BEP 44 signatures with the library's one verifier.

// value is a BEP 44 value a node returned for a slot's key: not checked
// yet.
type value struct {
	v   []byte // the item, bencode's string decoded
	seq int64
	sig [64]byte
	raw []byte // v as bencoded, what the BEP 44 signature covers
}

// closeNode is a node close to a target that gave a write token.
type closeNode struct {
	addr  krpc.NodeAddr
	token string
}

var errNoStartingNodes = errors.New("no DHT node to start from")

// traverse runs a get traversal towards s.Target and hands each value
// returned for s's key to onValue, which returns true to end the
// traversal. It returns the closest nodes that answered with a token.
func (n *Node) traverse(ctx context.Context, s *Slot, onValue func(value) bool) ([]closeNode, error) {
	select {
	case n.traversals <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-n.traversals }()
	ctx, cancel := context.WithTimeout(ctx, traversalTimeout)
	defer cancel()
	n.stats.Traversals.Add(1)

	values := make(chan value, maxValues)
	var queries atomic.Int64
	op := traversal.Start(traversal.OperationInput{
		Target: s.Target,
		Alpha:  8,
		K:      8,
		DoQuery: func(qctx context.Context, addr krpc.NodeAddr) traversal.QueryResult {
			if queries.Add(1) > maxQueries {
				return traversal.QueryResult{}
			}
			n.stats.Queries.Add(1)
			res := n.srv.Get(qctx, anacrolix.NewAddr(addr.UDP()), s.Target, nil, anacrolix.QueryRateLimiting{})
			r := res.Reply.R
			if r == nil {
				return traversal.QueryResult{}
			}
			if r.K == s.Public && r.Seq != nil {
				if v, ok := decodeValue(r.V); ok {
					select {
					case values <- value{v: v, seq: *r.Seq, sig: r.Sig, raw: bytes.Clone(r.V)}:
					default: // the check is behind: drop it, others will come
					}
				}
			}
			r.Nodes = r.Nodes[:min(len(r.Nodes), maxNodesPerReply)]
			r.Nodes6 = r.Nodes6[:min(len(r.Nodes6), maxNodesPerReply)]
			tqr := res.TraversalQueryResult(addr)
			if _, ok := tqr.ClosestData.(string); !ok {
				tqr.ResponseFrom = nil // no token: useless for a put
			}
			return tqr
		},
		NodeFilter: n.srv.TraversalNodeFilter,
	})
	stop := func() {
		op.Stop()
		<-op.Stopped()
	}
	start, err := n.srv.TraversalStartingNodes()
	if err != nil || len(start) == 0 {
		stop()
		if err == nil {
			err = errNoStartingNodes
		}
		return nil, err
	}
	op.AddNodes(start)
	done := false
	for !done {
		select {
		case v := <-values:
			done = onValue(v)
		case <-op.Stalled():
			done = true
		case <-ctx.Done():
			done = true
			err = ctx.Err()
		}
	}
	stop()
	for len(values) > 0 && err == nil { // values that came while stopping
		if onValue(<-values) {
			break
		}
	}
	var closest []closeNode
	op.Closest().Range(func(e k_nearest_nodes.Elem) {
		if token, ok := e.Data.(string); ok {
			closest = append(closest, closeNode{addr: e.Addr.ToNodeAddr(), token: token})
		}
	})
	return closest, err
}

// bootstrap fills the routing table: a find_node traversal towards the
// node's own id from the bootstrap nodes, as anacrolix's
// Server.BootstrapContext does, but stopping the traversal whatever
// happens (BootstrapContext v2.23.0 leaves it running for ever when there
// is no node to start from, one goroutine every maintainEvery offline).
func (n *Node) bootstrap(ctx context.Context) error {
	self := n.srv.ID()
	op := traversal.Start(traversal.OperationInput{
		Target: self,
		K:      16,
		DoQuery: func(qctx context.Context, addr krpc.NodeAddr) traversal.QueryResult {
			return n.srv.FindNode(anacrolix.NewAddr(addr.UDP()), int160.FromByteArray(self), anacrolix.QueryRateLimiting{}).TraversalQueryResult(addr)
		},
		NodeFilter: n.srv.TraversalNodeFilter,
	})
	defer func() {
		op.Stop()
		<-op.Stopped()
	}()
	start, err := n.srv.TraversalStartingNodes()
	if err != nil {
		return err
	}
	if len(start) == 0 {
		return errNoStartingNodes
	}
	op.AddNodes(start)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-op.Stalled():
		return nil
	}
}

// decodeValue takes the item out of a bencoded BEP 44 value: a string of
// exactly SealedSize bytes; anything else is not an item of ours.
func decodeValue(raw []byte) ([]byte, bool) {
	prefix := strconv.Itoa(SealedSize) + ":"
	if len(raw) != len(prefix)+SealedSize || !bytes.HasPrefix(raw, []byte(prefix)) {
		return nil, false
	}
	return bytes.Clone(raw[len(prefix):]), true
}

// validSeq reports whether v carries a BEP 44 signature of its seq and
// value by the slot's key (checked by core/sig, the library's one
// verifier), so that its seq may count.
func validSeq(s *Slot, v value) bool {
	msg := append([]byte("3:seqi"+strconv.FormatInt(v.seq, 10)+"e1:v"), v.raw...)
	return sig.Verify(s.Public[:], msg, v.sig[:])
}

// put stores value in s on the nodes closest to its target, with a
// sequence number above seqFloor and above any validly signed one found
// there. It returns the sequence number used and how many nodes took it.
func (n *Node) put(ctx context.Context, s *Slot, item []byte, seqFloor int64) (int64, int, error) {
	seen := int64(-1)
	closest, err := n.traverse(ctx, s, func(v value) bool {
		if v.seq > seen && validSeq(s, v) {
			seen = v.seq
		}
		return false
	})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return 0, 0, err
	}
	if len(closest) == 0 {
		return 0, 0, fmt.Errorf("no DHT node close to the slot answered")
	}
	seq := seqFloor
	if seen >= seqFloor && seen < math.MaxInt64 {
		seq = seen + 1
	}
	p := bep44.Put{V: item, K: &s.Public, Seq: seq}
	p.Sign(s.Key)
	var wg sync.WaitGroup
	var stored atomic.Int64
	for _, c := range closest {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := n.srv.Put(ctx, anacrolix.NewAddr(c.addr.UDP()), p, c.token, anacrolix.QueryRateLimiting{})
			if res.ToError() == nil {
				stored.Add(1)
				n.stats.Puts.Add(1)
			}
		}()
	}
	wg.Wait()
	if stored.Load() == 0 {
		return seq, 0, fmt.Errorf("no DHT node stored the item")
	}
	return seq, int(stored.Load()), nil
}
