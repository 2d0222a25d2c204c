package group

import (
	"fmt"
	"maps"
	"runtime"
	"sync"
	"sync/atomic"

	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/record"
	"p2p/core/sig"
)

// A record from outside is stored only if it passes, in this order: its
// shape (checkShape); its signer, a member whose credential chain
// verifies (signerOf; a member record is signed by the member it
// introduces); the rules of its kind (kinds.go); and its signature, which
// Check verifies in batches (core/sig) once the rest has passed.

// candidate is a received record that passed every check but its
// signature.
type candidate struct {
	r          *record.Record
	hash       [32]byte // r.Hash
	signer     *member
	introduced *member // the member a member record introduces
}

// prepare runs every check of r but its signature, against the members
// known (members of the batch so far, then the engine's).
func (e *Engine) prepare(r *record.Record, now filetime.FILETIME, known map[string]*member) (*candidate, error) {
	if err := checkShape(r); err != nil {
		return nil, err
	}
	signer, introduced, err := e.signerOf(r, now, known)
	if err != nil {
		return nil, err
	}
	if err := kindOf(r.Type).check(e, r, signer.Chain.Leaf(), now); err != nil {
		return nil, err
	}
	return &candidate{r: r, signer: signer, introduced: introduced}, nil
}

// signerOf returns the member who signed r, whose credential chain
// verifies now; for a member record, that is the member it introduces.
func (e *Engine) signerOf(r *record.Record, now filetime.FILETIME, known map[string]*member) (signer, introduced *member, err error) {
	if r.Type == MemberType {
		m, err := decodeMember(r.Data)
		if err != nil {
			return nil, nil, err
		}
		if m.PeerName != r.ModifiedByID || m.PeerName != r.CreatorID || r.ID != MemberRecordID(e.groupName, m.PeerName) {
			return nil, nil, fmt.Errorf("member record not written by its member: %w", peererr.ErrNotAuthorized)
		}
		if err := m.checkChain(e.groupName, e.groupKey, now); err != nil {
			return nil, nil, fmt.Errorf("member %s: %w", m.PeerName, err)
		}
		return m, m, nil
	}
	signer = known[r.ModifiedByID]
	if signer == nil {
		e.mu.Lock()
		signer = e.members[r.ModifiedByID]
		e.mu.Unlock()
	}
	if signer == nil {
		return nil, nil, fmt.Errorf("record signed by unknown member %q: %w", r.ModifiedByID, peererr.ErrNotAuthorized)
	}
	if err := signer.checkChain(e.groupName, e.groupKey, now); err != nil {
		return nil, nil, fmt.Errorf("signer %s: %w", signer.PeerName, err)
	}
	return signer, nil, nil
}

// checkShape rejects records no honest member produces.
func checkShape(r *record.Record) error {
	bad := func(what string) error { return fmt.Errorf("record %s: %s: %w", r.ID, what, peererr.ErrInvalidRecord) }
	switch {
	case r.Version == 0:
		return bad("version 0")
	case r.Flags&^(record.FlagAutoRefresh|record.FlagDeleted) != 0:
		return bad("unknown flags")
	case r.Version == 1 && r.CreatorID != r.ModifiedByID:
		return bad("first version not written by its creator")
	case r.Modified < r.Created:
		return bad("modified before created")
	case r.Deleted() && len(r.Data) != 0:
		return bad("tombstone with data")
	case len(r.Data) > record.MaxDataSize:
		return bad("too large")
	}
	if _, _, err := peername.Parse(r.CreatorID); err != nil {
		return bad("creator id")
	}
	if _, _, err := peername.Parse(r.ModifiedByID); err != nil {
		return bad("modifier id")
	}
	return nil
}

// Checked is a batch of received records that passed verification,
// waiting for Store. Check and Store are Apply in two steps, so that a
// receiver can verify batches while it stores earlier ones.
type Checked struct {
	recs     []*record.Record
	hashes   [][32]byte         // recs' hashes (record.Hash), for the store
	members  map[string]*member // members this batch and the earlier ones it was checked after introduce
	rejected int
}

// Len is how many records of the batch passed.
func (c *Checked) Len() int { return len(c.recs) }

// Merge joins checked batches, in order, so that Store stores them in
// one transaction.
func Merge(cs ...*Checked) *Checked {
	if len(cs) == 1 {
		return cs[0]
	}
	m := &Checked{members: cs[len(cs)-1].members}
	for _, c := range cs {
		m.recs = append(m.recs, c.recs...)
		m.hashes = append(m.hashes, c.hashes...)
		m.rejected += c.rejected
	}
	return m
}

// Check verifies a batch of received records. Records of members that
// earlier (the batch checked before, perhaps not yet stored) or the
// batches before it introduce verify as if those batches were stored.
// hashes are the records' hashes if the caller has them (nil: Check
// computes them, on every CPU with the signatures, for the store).
func (e *Engine) Check(recs []*record.Record, hashes [][32]byte, earlier *Checked) *Checked {
	now := filetime.Now()
	c := &Checked{members: make(map[string]*member)}
	if earlier != nil {
		maps.Copy(c.members, earlier.members)
	}
	known := c.members
	var members, others hashed
	for i, r := range recs {
		if r.Expired(now) {
			continue // expired here already: nothing to store
		}
		to := &others
		if r.Type == MemberType {
			to = &members
		}
		to.recs = append(to.recs, r)
		if hashes != nil {
			to.hashes = append(to.hashes, hashes[i])
		}
	}
	// Member records first, so that records of a member the batch
	// introduces verify in the same batch.
	for _, cd := range e.verifyAll(members, now, known, c) {
		known[cd.introduced.PeerName] = cd.introduced
		c.recs, c.hashes = append(c.recs, cd.r), append(c.hashes, cd.hash)
	}
	for _, cd := range e.verifyAll(others, now, known, c) {
		c.recs, c.hashes = append(c.recs, cd.r), append(c.hashes, cd.hash)
	}
	return c
}

// hashed is records with their hashes (hashes nil: not known yet).
type hashed struct {
	recs   []*record.Record
	hashes [][32]byte
}

// verifyChunk is how many signatures one batch check covers: large
// enough that the per-batch work is small, small enough that a bad
// record costs little bisection and the CPUs share the work evenly.
const verifyChunk = 128

// verifyAll prepares recs and checks their signatures in batches on
// every CPU; it returns those that pass, in order, and counts the others
// as rejected in c.
func (e *Engine) verifyAll(h hashed, now filetime.FILETIME, known map[string]*member, c *Checked) []*candidate {
	recs := h.recs
	cands := make([]*candidate, len(recs))
	errs := make([]error, len(recs))
	chunks := (len(recs) + verifyChunk - 1) / verifyChunk
	parallel(chunks, func(ci int) error {
		lo, hi := ci*verifyChunk, min((ci+1)*verifyChunk, len(recs))
		size := 0
		for i := lo; i < hi; i++ {
			if cands[i], errs[i] = e.prepare(recs[i], now, known); errs[i] == nil {
				size += recs[i].SigningSize(e.groupName)
			}
		}
		// The signed bytes of the whole chunk in one buffer, recycled.
		buf := getBuffer(size)
		defer putBuffer(buf)
		var b sig.Batch
		var at []int
		for i := lo; i < hi; i++ {
			if cands[i] == nil {
				continue
			}
			start := len(buf)
			buf = recs[i].AppendSigningBytes(buf, e.groupName)
			b.Add(cands[i].signer.Chain.Leaf().Subject.Key, buf[start:], recs[i].Signature)
			at = append(at, i)
			if h.hashes != nil {
				cands[i].hash = h.hashes[i]
			} else { // from the signed bytes at hand
				cands[i].hash = recs[i].HashSigned(buf[start:])
			}
		}
		if b.Len() == 0 {
			return nil
		}
		for j, ok := range b.Verify() {
			if i := at[j]; !ok {
				cands[i], errs[i] = nil, fmt.Errorf("record %s: bad signature: %w", recs[i].ID, peererr.ErrInvalidRecord)
			}
		}
		return nil
	})
	var out []*candidate
	for i, r := range recs {
		if errs[i] != nil {
			c.reject(e, r, errs[i])
			continue
		}
		out = append(out, cands[i])
	}
	return out
}

func (c *Checked) reject(e *Engine, r *record.Record, why error) {
	c.rejected++
	e.log.Warn("rejected record", "id", r.ID, "type", r.Type, "modifier", r.ModifiedByID, "err", why)
}

// signedBuffers recycles the buffers of verifyAll's chunks.
var signedBuffers sync.Pool

// getBuffer returns an empty buffer with room for n bytes.
func getBuffer(n int) []byte {
	if b, ok := signedBuffers.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]byte, 0, n)
}

func putBuffer(b []byte) {
	if cap(b) <= 4<<20 { // a chunk of large records is not worth keeping
		signedBuffers.Put(&b)
	}
}

// parallel runs fn for 0..n-1 on every CPU and returns each error.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			errs[i] = fn(i)
		}
		return errs
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				errs[i] = fn(i)
			}
		}()
	}
	wg.Wait()
	return errs
}
