package mesh

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"p2p/core/group"
	"p2p/core/recon"
	"p2p/core/record"
	"p2p/core/wire"
)

// Reconciliation is range-based (core/recon): the dialling side sends
// the fingerprints of ranges of its record ids, the other answers per
// range "equal", "here are my digests" (few records there), "I am
// sending you all of mine" (the asker has none) or the fingerprints of
// its split of the range, and the asker goes on with the ranges that
// still differ. A listing settles a range: the asker sends the records
// the other lacks or holds in another version and asks for the ones it
// lacks by digest (RangeWant); the conflict rule at the receiver keeps
// the winner of two versions. The cost grows with the number of
// differences, not with the size of the database: 10 differences among
// 1,000,000 records take 2 round trips and about 6.5 KB.

// syncTimeout bounds one reconciliation round trip.
const syncTimeout = 2 * time.Minute

// maxRounds bounds the round trips of one reconciliation: far more than
// an honest neighbour needs (a few, or a few hundred after a long
// separation with a message full of ranges each time).
const maxRounds = 10000

// index holds the id and digest of every record, for reconciliation. It
// also knows which received records a neighbour's pipeline is verifying
// or storing, so that the copies other neighbours flood meanwhile are
// not verified a second time.
type index struct {
	mu      sync.Mutex
	m       map[[recon.IDSize]byte][recon.HashSize]byte
	set     *recon.Set                      // sorted snapshot; nil before the first
	changed map[[recon.IDSize]byte]struct{} // ids added, changed or removed since set was built
	claimed map[[32]byte]struct{}           // digests of the received records being verified or stored
}

// loadIndex reads the id and digest of every stored record.
func loadIndex(e engine) (*index, error) {
	x := &index{m: make(map[[recon.IDSize]byte][recon.HashSize]byte), changed: make(map[[recon.IDSize]byte]struct{}),
		claimed: make(map[[32]byte]struct{})}
	err := e.RecordDigests(func(id, hash []byte) {
		var k [recon.IDSize]byte
		var v [recon.HashSize]byte
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
		var v [recon.HashSize]byte
		copy(v[:], h[:])
		x.m[r.ID] = v
		x.changed[r.ID] = struct{}{}
	}
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
	if v, ok := x.m[r.ID]; ok && bytes.Equal(v[:], h[:recon.HashSize]) {
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
		x.changed[r.ID] = struct{}{}
	}
}

// snapshot returns every item sorted by id. After a few changes it
// merges them into the previous snapshot (linear) rather than sorting
// everything again.
func (x *index) snapshot() *recon.Set {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.set != nil && len(x.changed) == 0 {
		return x.set
	}
	if x.set == nil || len(x.changed) > len(x.m)/8 {
		items := make([]recon.Item, 0, len(x.m))
		for id, h := range x.m {
			items = append(items, recon.Item{ID: id, Hash: h})
		}
		recon.SortItems(items)
		x.set = recon.NewSet(items)
	} else {
		var fresh []recon.Item
		for id := range x.changed {
			if h, ok := x.m[id]; ok {
				fresh = append(fresh, recon.Item{ID: id, Hash: h})
			}
		}
		recon.SortItems(fresh)
		old := x.set.Items()
		items := make([]recon.Item, 0, len(x.m))
		for _, it := range old {
			if _, ok := x.changed[it.ID]; ok {
				continue // gone, or among fresh with its current digest
			}
			for len(fresh) > 0 && bytes.Compare(fresh[0].ID[:], it.ID[:]) < 0 {
				items = append(items, fresh[0])
				fresh = fresh[1:]
			}
			items = append(items, it)
		}
		x.set = recon.NewSet(append(items, fresh...))
	}
	clear(x.changed)
	return x.set
}

// ---- responder ----

// answer replies to a RangeRequest, then sends every record of the
// ranges the asker has none of.
func (nb *neighbor) answer(m *wire.RangeRequest) {
	out, sendAll := nb.n.index.snapshot().Respond(m.Ranges)
	if !nb.enqueue(wire.TRangeReply, (&wire.RangeReply{Round: m.Round, Ranges: out}).Encode(), true) {
		return
	}
	for _, sp := range sendAll {
		if !nb.sendSpan(sp) {
			return
		}
	}
}

// sendWanted sends the records a RangeWant asks for.
func (nb *neighbor) sendWanted(m *wire.RangeWant) {
	nb.sendRecords(nb.records(nb.n.index.snapshot().Wanted(m.Ranges)), true)
}

// sendSpan sends every record whose id falls in sp, in frames, waiting
// for room in the queue.
func (nb *neighbor) sendSpan(sp recon.Span) bool {
	var batch []*record.Record
	size := 0
	ok := true
	err := nb.n.e.RecordsInRange(sp.Lower, sp.Upper, func(r *record.Record) bool {
		batch = append(batch, r)
		size += len(r.Data) + 256
		if size >= recordsFrame {
			ok = nb.sendRecords(batch, true)
			batch, size = nil, 0
		}
		return ok
	})
	if err != nil {
		nb.n.log.Warn("read records to send", "err", err)
	}
	if ok && len(batch) > 0 {
		ok = nb.sendRecords(batch, true)
	}
	return ok
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
	set := nb.n.index.snapshot()
	req := set.First()
	round := seq << 16
	for n := 0; req != nil; n++ {
		if n == maxRounds {
			return fmt.Errorf("reconciliation: no end after %d rounds", n)
		}
		round++
		if !nb.enqueue(wire.TRangeRequest, (&wire.RangeRequest{Round: round, Ranges: req}).Encode(), true) {
			return errClosed
		}
		reply, err := nb.awaitReply(round)
		if err != nil {
			return err
		}
		o, err := set.Continue(req, reply.Ranges)
		if err != nil {
			return err
		}
		if len(o.Send) > 0 && !nb.sendRecords(nb.records(o.Send), true) {
			return errClosed
		}
		for _, sp := range o.SendAll {
			if !nb.sendSpan(sp) {
				return errClosed
			}
		}
		if o.Want != nil && !nb.enqueue(wire.TRangeWant, (&wire.RangeWant{Ranges: o.Want}).Encode(), true) {
			return errClosed
		}
		req = o.Next
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

func (nb *neighbor) awaitReply(round uint64) (*wire.RangeReply, error) {
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

// records reads the records of items from the database.
func (nb *neighbor) records(items []recon.Item) []*record.Record {
	out := make([]*record.Record, 0, len(items))
	for _, it := range items {
		if r, err := nb.n.e.StoredRecord(uuid.UUID(it.ID)); err == nil {
			out = append(out, r)
		}
	}
	return out
}
