package mesh

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"p2p/core/group"
	"p2p/core/record"
	"p2p/core/store"
	"p2p/core/wire"
)

// Reconciliation compares two databases by buckets of record ids: a
// bucket is the set of records whose id starts with a byte prefix,
// summarised by its size and the XOR of the records' digests. The
// dialling side sends the fingerprints of the 256 one-byte buckets; the
// other answers per bucket "equal", "here are my ids and digests" (small
// buckets), "I am sending you all of mine" (when the asker has none) or
// "split" with its 256 children, and the asker recurses into the buckets
// that still differ. Differences found in listed buckets are settled by
// sending the records each side lacks or holds in another version; the
// conflict rule at the receiver keeps the winner. The cost grows with
// the number of differences, not with the size of the database.

// listThreshold is the bucket size below which ids are listed rather
// than split further.
const listThreshold = 64

// syncTimeout bounds one reconciliation round trip.
const syncTimeout = 2 * time.Minute

// index holds the id and digest of every record, for fingerprints. It
// also knows which received records a neighbour's pipeline is verifying
// or storing, so that the copies other neighbours flood meanwhile are
// not verified a second time.
type index struct {
	mu      sync.Mutex
	m       map[[wire.IDSize]byte][wire.HashSize]byte
	sorted  []wire.Item           // nil when stale
	claimed map[[32]byte]struct{} // digests of the received records being verified or stored
}

func loadIndex(db *store.DB) (*index, error) {
	x := &index{m: make(map[[wire.IDSize]byte][wire.HashSize]byte), claimed: make(map[[32]byte]struct{})}
	err := db.Digests(func(id, hash []byte) {
		var k [wire.IDSize]byte
		var v [wire.HashSize]byte
		copy(k[:], id)
		copy(v[:], hash)
		x.m[k] = v
	})
	return x, err
}

func (x *index) add(group string, recs []*record.Record) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, r := range recs {
		h := r.Hash(group)
		var v [wire.HashSize]byte
		copy(v[:], h[:])
		x.m[r.ID] = v
	}
	x.sorted = nil
}

// Outcomes of index.claim.
const (
	claimHeld     = iota // this exact version is stored: nothing to do
	claimBusy            // another neighbour's pipeline has this exact version
	claimed              // claimed for the caller until release
	claimUnneeded        // verify it, no claim taken
)

// claim decides whether a received record with digest h needs verifying.
// A record is claimed by its exact digest (signature included), so a
// forged copy never stands in for the genuine one. Only records signed by
// a stored member (signerKnown) are claimed, and never system records
// (membership, credentials), so whether a claimed record verifies depends
// on its bytes alone: a copy skipped while another is claimed would have
// fared the same.
func (x *index) claim(r *record.Record, h [32]byte, signerKnown bool) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	if v, ok := x.m[r.ID]; ok && bytes.Equal(v[:], h[:wire.HashSize]) {
		return claimHeld
	}
	if !signerKnown || group.IsSystemType(r.Type) {
		return claimUnneeded
	}
	if _, ok := x.claimed[h]; ok {
		return claimBusy
	}
	x.claimed[h] = struct{}{}
	return claimed
}

// release ends claims once their records are stored or dropped.
func (x *index) release(hs [][32]byte) {
	if len(hs) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, h := range hs {
		delete(x.claimed, h)
	}
}

func (x *index) remove(recs []*record.Record) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, r := range recs {
		delete(x.m, r.ID)
	}
	x.sorted = nil
}

// snapshot returns every item sorted by id; callers must not modify it.
func (x *index) snapshot() []wire.Item {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.sorted == nil {
		s := make([]wire.Item, 0, len(x.m))
		for id, h := range x.m {
			s = append(s, wire.Item{ID: id, Hash: h})
		}
		slices.SortFunc(s, func(a, b wire.Item) int { return bytes.Compare(a.ID[:], b.ID[:]) })
		x.sorted = s
	}
	return x.sorted
}

// span returns the items whose id starts with prefix.
func span(items []wire.Item, prefix []byte) []wire.Item {
	lo, _ := slices.BinarySearchFunc(items, prefix, func(it wire.Item, p []byte) int {
		return bytes.Compare(it.ID[:len(p)], p)
	})
	hi := lo
	for hi < len(items) && bytes.HasPrefix(items[hi].ID[:], prefix) {
		hi++
	}
	return items[lo:hi]
}

// bucket summarises items under prefix.
func bucket(items []wire.Item, prefix []byte) wire.Bucket {
	b := wire.Bucket{Prefix: prefix, Count: uint32(len(items))}
	for _, it := range items {
		for i := range b.FP {
			b.FP[i] ^= it.Hash[i]
		}
	}
	return b
}

// children returns the buckets one byte below prefix; empty ones only if
// withEmpty.
func children(items []wire.Item, prefix []byte, withEmpty bool) []wire.Bucket {
	var out []wire.Bucket
	for c := 0; c < 256; c++ {
		p := append(slices.Clip(prefix), byte(c))
		sub := span(items, p)
		if len(sub) > 0 || withEmpty {
			out = append(out, bucket(sub, p))
		}
	}
	return out
}

func sameBucket(a, b wire.Bucket) bool { return a.Count == b.Count && a.FP == b.FP }

// ---- responder ----

// answer replies to a Fingerprints request, then sends every record of
// the buckets the asker has none of.
func (nb *neighbor) answer(m *wire.Fingerprints) {
	items := nb.n.index.snapshot()
	reply := &wire.SyncReply{Round: m.Round}
	var sendAll [][]byte
	for _, theirs := range m.Buckets {
		if len(theirs.Prefix) > wire.IDSize {
			continue
		}
		sub := span(items, theirs.Prefix)
		mine := bucket(sub, theirs.Prefix)
		r := wire.BucketReply{Prefix: theirs.Prefix}
		switch {
		case sameBucket(mine, theirs):
			r.Outcome = wire.BucketEqual
		case theirs.Count == 0:
			r.Outcome = wire.BucketSent
			sendAll = append(sendAll, theirs.Prefix)
		case mine.Count <= listThreshold || theirs.Count <= listThreshold || len(theirs.Prefix) == wire.IDSize:
			r.Outcome = wire.BucketItems
			r.Items = sub
		default:
			r.Outcome = wire.BucketSplit
			r.Children = children(sub, theirs.Prefix, false)
		}
		reply.Replies = append(reply.Replies, r)
	}
	if !nb.enqueue(wire.TSyncReply, reply.Encode(), true) {
		return
	}
	for _, p := range sendAll {
		nb.sendPrefix(p)
	}
}

// sendPrefix sends every record whose id starts with prefix, in frames,
// waiting for room in the queue.
func (nb *neighbor) sendPrefix(prefix []byte) {
	var batch []*record.Record
	size := 0
	ok := true
	nb.n.e.DB().WithPrefix(prefix, func(r *record.Record) bool {
		batch = append(batch, r)
		size += len(r.Data) + 256
		if size >= recordsFrame {
			ok = nb.sendRecords(batch, true)
			batch, size = nil, 0
		}
		return ok
	})
	if ok && len(batch) > 0 {
		nb.sendRecords(batch, true)
	}
}

// sendWanted sends the records asked for by id.
func (nb *neighbor) sendWanted(ids [][wire.IDSize]byte) {
	var batch []*record.Record
	for _, id := range ids {
		if r, err := nb.n.e.DB().Get(uuid.UUID(id)); err == nil {
			batch = append(batch, r)
		}
	}
	nb.sendRecords(batch, true)
}

// ---- initiator ----

// syncLoop reconciles with the neighbour when the connection starts, then
// periodically and whenever a flood to it had to be dropped.
func (nb *neighbor) syncLoop() {
	t := time.NewTicker(nb.n.opts.SyncInterval)
	defer t.Stop()
	check := time.NewTicker(time.Second)
	defer check.Stop()
	round := uint64(0)
	for {
		round++
		if err := nb.reconcile(round); err != nil {
			if !errors.Is(err, errClosed) {
				nb.n.log.Warn("reconciliation failed", "peer", nb.peer, "err", err)
				nb.close(err)
			}
			return
		}
		if !nb.n.e.Ready() {
			if err := nb.n.e.MarkReady(); err != nil {
				nb.n.log.Error("mark synchronised", "err", err)
			}
		}
	wait:
		for {
			select {
			case <-nb.done:
				return
			case <-t.C:
				break wait
			case <-check.C:
				nb.mu.Lock()
				again := nb.resync && len(nb.queue) == 0
				nb.resync = nb.resync && !again
				nb.mu.Unlock()
				if again {
					break wait
				}
			}
		}
	}
}

var errClosed = errors.New("neighbour closed")

// reconcile runs one reconciliation with the neighbour, returning when
// both databases hold each other's records (up to the conflict rule).
func (nb *neighbor) reconcile(seq uint64) error {
	items := nb.n.index.snapshot()
	pending := children(items, nil, true)
	round := seq << 16
	for len(pending) > 0 {
		round++
		if !nb.enqueue(wire.TFingerprints, (&wire.Fingerprints{Round: round, Buckets: pending}).Encode(), true) {
			return errClosed
		}
		reply, err := nb.awaitReply(round)
		if err != nil {
			return err
		}
		mine := make(map[string]wire.Bucket, len(pending))
		for _, b := range pending {
			mine[string(b.Prefix)] = b
		}
		pending = nil
		var send []*record.Record
		var want [][wire.IDSize]byte
		for _, r := range reply.Replies {
			if _, asked := mine[string(r.Prefix)]; !asked {
				return errors.New("sync reply for a bucket not asked about")
			}
			sub := span(items, r.Prefix)
			switch r.Outcome {
			case wire.BucketItems:
				s, w := diff(sub, r.Items)
				send = append(send, nb.records(s)...)
				want = append(want, w...)
			case wire.BucketSplit:
				theirs := make(map[string]wire.Bucket, len(r.Children))
				for _, c := range r.Children {
					if len(c.Prefix) != len(r.Prefix)+1 || !bytes.HasPrefix(c.Prefix, r.Prefix) {
						return errors.New("malformed split")
					}
					theirs[string(c.Prefix)] = c
				}
				for _, c := range children(sub, r.Prefix, true) {
					t, ok := theirs[string(c.Prefix)]
					switch {
					case !ok && c.Count > 0: // they have none here
						send = append(send, nb.records(span(sub, c.Prefix))...)
					case ok && !sameBucket(c, t):
						pending = append(pending, c)
					}
				}
			}
		}
		if len(send) > 0 && !nb.sendRecords(send, true) {
			return errClosed
		}
		if len(want) > 0 && !nb.enqueue(wire.TWant, (&wire.Want{IDs: want}).Encode(), true) {
			return errClosed
		}
	}
	// Everything the neighbour owes us was queued before its answer to
	// this barrier, on the same stream.
	if !nb.enqueue(wire.TBarrier, (&wire.Barrier{Seq: seq}).Encode(), true) {
		return errClosed
	}
	select {
	case got := <-nb.barrierAcks:
		if got != seq {
			return errors.New("barrier out of order")
		}
	case <-nb.done:
		return errClosed
	case <-time.After(syncTimeout):
		return errors.New("reconciliation timed out")
	}
	nb.n.stats.SyncsCompleted.Add(1)
	return nil
}

func (nb *neighbor) awaitReply(round uint64) (*wire.SyncReply, error) {
	select {
	case r := <-nb.syncReplies:
		if r.Round != round {
			return nil, errors.New("sync reply out of order")
		}
		return r, nil
	case <-nb.done:
		return nil, errClosed
	case <-time.After(syncTimeout):
		return nil, errors.New("reconciliation timed out")
	}
}

// diff compares our items with theirs in one bucket: what to send them
// (missing there or different) and what to ask for (missing here or
// different).
func diff(mine, theirs []wire.Item) (send []wire.Item, want [][wire.IDSize]byte) {
	their := make(map[[wire.IDSize]byte][wire.HashSize]byte, len(theirs))
	for _, it := range theirs {
		their[it.ID] = it.Hash
	}
	have := make(map[[wire.IDSize]byte]bool, len(mine))
	for _, it := range mine {
		have[it.ID] = true
		if h, ok := their[it.ID]; !ok || h != it.Hash {
			send = append(send, it)
		}
		if h, ok := their[it.ID]; ok && h != it.Hash {
			want = append(want, it.ID)
		}
	}
	for _, it := range theirs {
		if !have[it.ID] {
			want = append(want, it.ID)
		}
	}
	return send, want
}

// records reads the records of items from the database.
func (nb *neighbor) records(items []wire.Item) []*record.Record {
	out := make([]*record.Record, 0, len(items))
	for _, it := range items {
		if r, err := nb.n.e.DB().Get(uuid.UUID(it.ID)); err == nil {
			out = append(out, r)
		}
	}
	return out
}
