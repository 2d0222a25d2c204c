package group

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/record"
	"p2p/core/search"
	"p2p/core/store"
)

// NewRecord is what an application supplies to AddRecord and
// UpdateRecord; the library fills in the rest.
type NewRecord struct {
	ID         uuid.UUID // UpdateRecord only
	Type       uuid.UUID
	Flags      uint32 // only record.FlagAutoRefresh may be set
	Attributes string
	Expires    filetime.FILETIME
	Data       []byte
}

func (n *NewRecord) check(e *Engine, now filetime.FILETIME) error {
	switch {
	case n.Type == uuid.Nil || IsSystemType(n.Type):
		return fmt.Errorf("record type %s: %w", n.Type, peererr.ErrInvalidArg)
	case n.Flags&^record.FlagAutoRefresh != 0:
		return fmt.Errorf("record flags %#x: %w", n.Flags, peererr.ErrInvalidArg)
	case len(n.Data) > record.MaxDataSize:
		return fmt.Errorf("record of %d bytes: %w", len(n.Data), peererr.ErrMaxRecordSizeExceeded)
	case len(n.Attributes) > record.MaxAttributesSize:
		return fmt.Errorf("attributes of %d bytes: %w", len(n.Attributes), peererr.ErrInvalidAttributes)
	case n.Expires <= now:
		return fmt.Errorf("record expires in the past: %w", peererr.ErrInvalidRecordExpiration)
	case n.Expires > e.Chain().Leaf().NotAfter:
		return fmt.Errorf("record outlives the member's credential: %w", peererr.ErrInvalidRecordExpiration)
	}
	if _, err := search.ParseAttributes(n.Attributes); err != nil {
		return err
	}
	return nil
}

// AddRecord publishes a new record and returns its id.
func (e *Engine) AddRecord(n NewRecord) (uuid.UUID, error) { return e.For(uuid.Nil).AddRecord(n) }

// AddRecord publishes a new record and returns its id.
func (w Writer) AddRecord(n NewRecord) (uuid.UUID, error) {
	e := w.e
	if err := e.checkWritable(); err != nil {
		return uuid.Nil, err
	}
	now := filetime.Now()
	if err := n.check(e, now); err != nil {
		return uuid.Nil, err
	}
	if !e.canPublish() {
		return uuid.Nil, fmt.Errorf("add record: %w", peererr.ErrNotAuthorized)
	}
	r := &record.Record{
		Type: n.Type, ID: NewRecordID(e.groupName, e.id.PeerName), Version: 1, Flags: n.Flags,
		CreatorID: e.id.PeerName, ModifiedByID: e.id.PeerName, Attributes: n.Attributes,
		Created: now, Expires: n.Expires, Modified: now, Data: n.Data,
	}
	r.Sign(e.groupName, e.id.Key)
	if err := e.storeLocal(r, w.request(r.ID[:])); err != nil {
		if ans, ok := answered(err); ok && len(ans) == 16 {
			return uuid.UUID(ans), nil
		}
		return uuid.Nil, fmt.Errorf("add record: %w", err)
	}
	return r.ID, nil
}

// AddRecords publishes several new records in one transaction (one
// durable commit for all), for Go programs that write in bulk; it is
// AddRecord's batch form and fails as a whole.
func (e *Engine) AddRecords(ns []NewRecord) ([]uuid.UUID, error) {
	return e.For(uuid.Nil).AddRecords(ns)
}

// AddRecords publishes several new records in one transaction.
func (w Writer) AddRecords(ns []NewRecord) ([]uuid.UUID, error) {
	e := w.e
	if err := e.checkWritable(); err != nil {
		return nil, err
	}
	if !e.canPublish() {
		return nil, fmt.Errorf("add records: %w", peererr.ErrNotAuthorized)
	}
	now := filetime.Now()
	recs := make([]*record.Record, len(ns))
	ids := make([]uuid.UUID, len(ns))
	for i := range ns {
		if err := ns[i].check(e, now); err != nil {
			return nil, fmt.Errorf("add records: record %d: %w", i, err)
		}
		r := &record.Record{
			Type: ns[i].Type, ID: NewRecordID(e.groupName, e.id.PeerName), Version: 1, Flags: ns[i].Flags,
			CreatorID: e.id.PeerName, ModifiedByID: e.id.PeerName, Attributes: ns[i].Attributes,
			Created: now, Expires: ns[i].Expires, Modified: now, Data: ns[i].Data,
		}
		recs[i], ids[i] = r, r.ID
	}
	parallel(len(recs), func(i int) error {
		recs[i].Sign(e.groupName, e.id.Key)
		return nil
	})
	answer := make([]byte, 0, 16*len(ids))
	for _, id := range ids {
		answer = append(answer, id[:]...)
	}
	out, err := e.db.PutFor(w.request(answer), nil, recs...)
	if err != nil {
		if ans, ok := answered(err); ok && len(ans)%16 == 0 {
			ids = make([]uuid.UUID, len(ans)/16)
			for i := range ids {
				ids[i] = uuid.UUID(ans[16*i:])
			}
			return ids, nil
		}
		return nil, fmt.Errorf("add records: %w", err)
	}
	e.afterStore(recs, out, nil)
	return ids, nil
}

// UpdateRecord replaces the data, attributes, flags and expiry of a live
// record: its creator or an administrator only. The read of the current
// version and the write of the next happen in one write transaction, so
// concurrent updates each build on the one before (the last wins) and an
// update never undoes a delete.
func (e *Engine) UpdateRecord(n NewRecord) error { return e.For(uuid.Nil).UpdateRecord(n) }

// UpdateRecord replaces the data, attributes, flags and expiry of a live
// record (see Engine.UpdateRecord).
func (w Writer) UpdateRecord(n NewRecord) error {
	e := w.e
	if err := e.checkWritable(); err != nil {
		return err
	}
	now := filetime.Now()
	if err := n.check(e, now); err != nil {
		return err
	}
	err := e.modifyLive(n.ID, now, w.request(nil), func(cur *record.Record) (*record.Record, error) {
		if cur.Type != n.Type {
			return nil, fmt.Errorf("type cannot change: %w", peererr.ErrInvalidArg)
		}
		r := cur.Clone()
		r.Flags = n.Flags
		r.Attributes = n.Attributes
		r.Expires = n.Expires
		r.Data = n.Data
		return r, nil
	})
	if err != nil {
		return fmt.Errorf("update record %s: %w", n.ID, err)
	}
	return nil
}

// DeleteRecord replaces a live record with a tombstone: its creator or an
// administrator only. Like UpdateRecord it reads and writes in one
// transaction, so of concurrent deletes of one record exactly one
// succeeds; the others find no live record (PEER_E_RECORD_NOT_FOUND).
func (e *Engine) DeleteRecord(id uuid.UUID) error { return e.For(uuid.Nil).DeleteRecord(id) }

// DeleteRecord replaces a live record with a tombstone (see
// Engine.DeleteRecord).
func (w Writer) DeleteRecord(id uuid.UUID) error {
	e := w.e
	if err := e.checkWritable(); err != nil {
		return err
	}
	err := e.modifyLive(id, filetime.Now(), w.request(nil), func(cur *record.Record) (*record.Record, error) {
		r := cur.Clone()
		r.Flags = record.FlagDeleted
		r.Data = nil
		return r, nil
	})
	if err != nil {
		return fmt.Errorf("delete record %s: %w", id, err)
	}
	return nil
}

// modifyLive writes the next version of the live application record id:
// inside one write transaction it reads the current version, lets change
// make the next from a copy of it, and signs and stores that as modified
// by this member now. A record that is gone, or not this member's to
// change, is an error and nothing is written.
func (e *Engine) modifyLive(id uuid.UUID, now filetime.FILETIME, req *store.Request, change func(cur *record.Record) (*record.Record, error)) error {
	var next *record.Record
	out, err := e.db.ModifyFor(req, id, func(cur *record.Record) (*record.Record, error) {
		if !isLive(cur, now) {
			return nil, peererr.ErrRecordNotFound
		}
		if err := e.checkOwner(cur); err != nil {
			return nil, err
		}
		r, err := change(cur)
		if err != nil {
			return nil, err
		}
		r.Version = cur.Version + 1
		r.ModifiedByID = e.id.PeerName
		r.Modified = later(now, cur.Modified)
		r.Sign(e.groupName, e.id.Key)
		next = r
		return r, nil
	})
	if _, ok := answered(err); ok {
		return nil // applied when the request was made before
	}
	if err != nil {
		return err
	}
	if !out.Applied {
		// Only a record that is newer than what this transaction read
		// could win over it: impossible while it holds the write lock.
		return fmt.Errorf("a newer version is stored: %w", peererr.ErrInvalidRecord)
	}
	e.afterStore([]*record.Record{next}, []store.Outcome{out}, nil)
	return nil
}

// GetRecord returns a live application record.
func (e *Engine) GetRecord(id uuid.UUID) (*record.Record, error) {
	if e.Closed() {
		return nil, fmt.Errorf("group %s is closed: %w", e.groupName, peererr.ErrInvalidGroup)
	}
	r, err := e.liveRecord(id, filetime.Now())
	if err != nil {
		return nil, fmt.Errorf("get record: %w", err)
	}
	return r, nil
}

// RecordIDs lists the live application records, of one type if typ is
// not nil, oldest first.
func (e *Engine) RecordIDs(typ *uuid.UUID) ([]uuid.UUID, error) {
	if e.Closed() {
		return nil, fmt.Errorf("group %s is closed: %w", e.groupName, peererr.ErrInvalidGroup)
	}
	if typ != nil && IsSystemType(*typ) {
		return nil, nil
	}
	return e.db.IDs(store.Query{Type: typ, ExcludeTypes: systemTypes, LiveAt: filetime.Now()})
}

// SearchRecords lists the live application records whose attributes match
// the criteria document (the "Record Search Query Format").
func (e *Engine) SearchRecords(criteria string) ([]uuid.UUID, error) {
	if e.Closed() {
		return nil, fmt.Errorf("group %s is closed: %w", e.groupName, peererr.ErrInvalidGroup)
	}
	q, err := search.Parse(criteria)
	if err != nil {
		return nil, err
	}
	recs, err := e.db.List(store.Query{ExcludeTypes: systemTypes, LiveAt: filetime.Now()})
	if err != nil {
		return nil, err
	}
	var ids []uuid.UUID
	for _, r := range recs {
		attrs, err := search.ParseAttributes(r.Attributes)
		if err != nil {
			continue // a record is checked when stored; skip rather than fail the search
		}
		if q.Match(attrs, r) {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

func (e *Engine) liveRecord(id uuid.UUID, now filetime.FILETIME) (*record.Record, error) {
	r, err := e.db.Get(id)
	if err != nil {
		return nil, err
	}
	if !isLive(r, now) {
		return nil, fmt.Errorf("record %s: %w", id, peererr.ErrRecordNotFound)
	}
	return r, nil
}

// isLive reports whether r is an application record that is neither
// deleted nor expired.
func isLive(r *record.Record, now filetime.FILETIME) bool {
	return r != nil && !r.Deleted() && !r.Expired(now) && !IsSystemType(r.Type)
}

// canPublish reports whether this member's roles allow publishing records.
func (e *Engine) canPublish() bool {
	leaf := e.Chain().Leaf()
	return leaf.HasRole(credential.RoleMember) || leaf.HasRole(credential.RoleAdmin)
}

// checkOwner fails unless this member created cur or is an administrator.
func (e *Engine) checkOwner(cur *record.Record) error {
	if cur.CreatorID == e.id.PeerName || e.Chain().Leaf().HasRole(credential.RoleAdmin) {
		return nil
	}
	return peererr.ErrNotAuthorized
}

// writeSystem signs and stores a system record written by this member,
// as a new version of what is stored under id.
func (e *Engine) writeSystem(typ, id uuid.UUID, data []byte, expires filetime.FILETIME) error {
	return e.writeSystemFlags(typ, id, data, expires, 0, nil)
}

// writeSystemFlags writes the next version of a system record (the first
// if there is none) as this member, reading the current version and
// writing the next in one write transaction.
func (e *Engine) writeSystemFlags(typ, id uuid.UUID, data []byte, expires filetime.FILETIME, flags uint32, req *store.Request) error {
	now := filetime.Now()
	var next *record.Record
	out, err := e.db.ModifyFor(req, id, func(cur *record.Record) (*record.Record, error) {
		r := &record.Record{Type: typ, ID: id, Version: 1, Flags: flags, CreatorID: e.id.PeerName,
			Created: now, Modified: now}
		if cur != nil {
			r.Version, r.CreatorID, r.Created = cur.Version+1, cur.CreatorID, cur.Created
			r.Modified = later(now, cur.Modified)
		}
		r.ModifiedByID, r.Expires, r.Data = e.id.PeerName, expires, data
		r.Sign(e.groupName, e.id.Key)
		next = r
		return r, nil
	})
	if _, ok := answered(err); ok {
		return nil
	}
	if err != nil {
		return err
	}
	if !out.Applied {
		return fmt.Errorf("record %s: a newer version is stored: %w", id, peererr.ErrInvalidRecord)
	}
	e.afterStore([]*record.Record{next}, []store.Outcome{out}, nil)
	return nil
}

// publishSelf writes this member's member record: its credential chain
// and friendly name, signed by itself. It lives for the group's member
// data lifetime (ulMemberDataLifetime; 0 means as long as the credential)
// and is renewed while the member is online.
func (e *Engine) publishSelf() error {
	chain := e.Chain()
	if len(chain) == 0 {
		return nil // a password joiner before it got its credential
	}
	chainBytes, err := chain.MarshalBinary()
	if err != nil {
		return err
	}
	expires := chain.Leaf().NotAfter
	if e.props != nil {
		if l := e.Properties().MemberDataLifetime; l != 0 {
			expires = min(expires, filetime.Now().Add(time.Duration(l)*time.Second))
		}
	}
	d := memberData{FriendlyName: e.id.FriendlyName, Chain: chainBytes}
	return e.writeSystem(MemberType, MemberRecordID(e.groupName, e.id.PeerName), d.marshal(), expires)
}

// RefreshMember renews this member's member record when less than half
// of its lifetime is left; the network calls it while online.
func (e *Engine) RefreshMember() error {
	if len(e.Chain()) == 0 {
		return nil
	}
	r, err := e.db.Get(MemberRecordID(e.groupName, e.id.PeerName))
	if err != nil || r.Deleted() {
		return e.publishSelf()
	}
	now := filetime.Now()
	if r.Expires-now > (r.Expires-r.Modified)/2 {
		return nil
	}
	return e.publishSelf()
}

// storeLocal stores a record this member wrote and announces it.
func (e *Engine) storeLocal(r *record.Record, req *store.Request) error {
	out, err := e.db.PutFor(req, nil, r)
	if err != nil {
		return err
	}
	if !out[0].Applied {
		return fmt.Errorf("record %s: a newer version is stored: %w", r.ID, peererr.ErrInvalidRecord)
	}
	e.afterStore([]*record.Record{r}, out, nil)
	return nil
}

// Apply verifies records received from elsewhere (origin: the neighbour
// that sent them, or nil for an imported file) and stores those that pass
// and win the conflict rule, in one transaction. It returns how many were
// stored and how many were rejected; rejected records are logged, never
// stored, and stored ones are handed to the network for every neighbour
// but origin.
func (e *Engine) Apply(recs []*record.Record, origin any) (stored, rejected int, err error) {
	return e.Store(e.Check(recs, nil, nil), origin)
}

// Store stores the records of a checked batch that win the conflict rule,
// in one transaction, and hands them to the network for every neighbour
// but origin. It returns how many were stored and how many were rejected
// (by Check, or here by the conflict rule).
func (e *Engine) Store(c *Checked, origin any) (stored, rejected int, err error) {
	if len(c.recs) == 0 {
		return 0, c.rejected, nil
	}
	out, err := e.db.PutHashed(sameOwner, c.recs, c.hashes)
	if err != nil {
		return 0, c.rejected, err
	}
	for i, o := range out {
		switch {
		case o.Refused != nil:
			c.reject(e, c.recs[i], o.Refused)
		case o.Applied:
			stored++
		}
	}
	e.afterStore(c.recs, out, origin)
	return stored, c.rejected, nil
}

// sameOwner refuses a version whose creator or type differs from the
// stored record's: a record's creator never changes, so a different one
// under a known id is an attempt to take over someone else's record.
func sameOwner(prev, next *record.Record) error {
	if prev != nil && (prev.CreatorID != next.CreatorID || prev.Type != next.Type) {
		return fmt.Errorf("record %s: creator or type changed: %w", next.ID, peererr.ErrNotAuthorized)
	}
	return nil
}

// afterStore updates caches, raises events and hands stored records to
// the network.
func (e *Engine) afterStore(recs []*record.Record, out []store.Outcome, origin any) {
	var published []*record.Record
	for i, r := range recs {
		if !out[i].Applied {
			continue
		}
		published = append(published, r)
		prev := out[i].Prev
		switch r.Type {
		case PropertiesType:
			if p, err := unmarshalProperties(r.Data); err == nil {
				e.mu.Lock()
				e.props = p
				e.mu.Unlock()
				e.bus.Publish(event.Event{Type: event.PropertyChanged})
			}
		case MemberType:
			m := e.cacheMember(r)
			change := event.MemberUpdated
			if prev == nil {
				change = event.MemberJoined
			}
			if m != nil && m.PeerName == e.id.PeerName {
				e.mu.Lock()
				e.chain = m.Chain
				e.mu.Unlock()
			}
			if m != nil {
				e.bus.Publish(event.Event{Type: event.MemberChanged, Member: event.MemberChange{Change: change, Identity: m.PeerName}})
			}
		case CredentialType:
			if r.CreatorID != e.id.PeerName && r.ID == credentialRecordID(e.groupName, e.id.PeerName) {
				defer e.adoptCredential(r.Data) // after this batch's events
			}
		case PresenceType:
			e.presenceChanged(r, false)
		default:
			change := event.RecordUpdated
			switch {
			case r.Deleted():
				change = event.RecordDeleted
			case prev == nil || prev.Deleted():
				change = event.RecordAdded
			}
			if r.Deleted() && (prev == nil || prev.Deleted()) {
				continue // a tombstone for a record this member never saw
			}
			e.bus.Publish(event.Event{Type: event.RecordChanged, Record: event.RecordChange{Change: change,
				RecordID: r.ID, RecordType: r.Type, Version: r.Version, Seq: out[i].Seq}})
		}
	}
	e.pokeExpiry(recs, out)
	if n := e.network(); n != nil && len(published) > 0 {
		n.Publish(published, origin)
	}
}

// cacheMember decodes a member record and remembers it.
func (e *Engine) cacheMember(r *record.Record) *member {
	m, err := decodeMember(r.Data)
	if err != nil {
		return nil
	}
	e.mu.Lock()
	e.members[m.PeerName] = m
	e.mu.Unlock()
	return m
}

// pokeExpiry wakes the expiry loop if a record just stored expires
// before the loop next looks.
func (e *Engine) pokeExpiry(recs []*record.Record, out []store.Outcome) {
	wakeAt := filetime.FILETIME(e.wakeAt.Load())
	for i, r := range recs {
		if out[i].Applied && (wakeAt == 0 || r.Expires < wakeAt) {
			select {
			case e.poke <- struct{}{}:
			default:
			}
			return
		}
	}
}

// expiryLoop removes records as they expire and raises RECORD_CHANGED
// with PEER_RECORD_EXPIRED for application records.
func (e *Engine) expiryLoop() {
	defer e.wg.Done()
	var forgot time.Time
	for {
		if time.Since(forgot) > time.Hour {
			if err := e.db.ForgetRequests(); err != nil && e.ctx.Err() == nil {
				e.log.Warn("forget old requests", "err", err)
			}
			forgot = time.Now()
		}
		e.wakeAt.Store(0) // from here, every store pokes
		e.scans.Add(1)
		wait := time.Hour
		if next, ok, err := e.db.NextExpiry(); err == nil && ok {
			wait = time.Until(next.Time())
		}
		if wait > 0 {
			e.wakeAt.Store(int64(filetime.Now().Add(min(wait, time.Hour))))
			t := time.NewTimer(min(wait, time.Hour))
			select {
			case <-e.ctx.Done():
				t.Stop()
				return
			case <-e.poke:
				t.Stop()
				continue
			case <-t.C:
			}
		}
		expired, err := e.db.Expire(filetime.Now())
		if err != nil {
			if e.ctx.Err() != nil {
				return
			}
			e.log.Error("expire records", "err", err)
			select {
			case <-e.ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		if f, ok := e.network().(Forgetter); ok && len(expired) > 0 {
			f.Forget(expired)
		}
		for _, r := range expired {
			switch {
			case r.Deleted():
				// a tombstone that served its time: nothing to announce
			case r.Type == PresenceType:
				e.presenceChanged(r, true)
			case r.Type == MemberType:
				if m, err := decodeMember(r.Data); err == nil {
					e.mu.Lock()
					delete(e.members, m.PeerName)
					e.mu.Unlock()
					e.bus.Publish(event.Event{Type: event.MemberChanged, Member: event.MemberChange{Change: event.MemberLeft, Identity: m.PeerName}})
				}
			case !IsSystemType(r.Type):
				e.bus.Publish(event.Event{Type: event.RecordChanged, Record: event.RecordChange{Change: event.RecordExpired,
					RecordID: r.ID, RecordType: r.Type, Version: r.Version}})
			}
		}
	}
}

func later(a, b filetime.FILETIME) filetime.FILETIME {
	if a > b {
		return a
	}
	return b + 1
}

// maxChanges bounds the changes one call of Changes returns: more than
// an application can have missed in a host's last moments.
const maxChanges = 1 << 16

// ChangeSeq is the sequence number of the latest change stored in the
// group's database: the start of what a new event registration sees.
func (e *Engine) ChangeSeq() (uint64, error) {
	if e.Closed() {
		return 0, fmt.Errorf("group %s is closed: %w", e.groupName, peererr.ErrInvalidGroup)
	}
	return e.db.LastChange()
}

// Changes returns a RECORD_CHANGED event (with its sequence number) for
// each application record whose latest change came after the sequence
// number after, in sequence order: what a registration that moved to
// another host after seeing the events up to after may have missed. A
// record changed more than once meanwhile gives one event, its latest.
func (e *Engine) Changes(after uint64) ([]event.Event, error) {
	if e.Closed() {
		return nil, fmt.Errorf("group %s is closed: %w", e.groupName, peererr.ErrInvalidGroup)
	}
	cs, err := e.db.Changes(after, maxChanges)
	if err != nil {
		return nil, err
	}
	var out []event.Event
	for _, c := range cs {
		if IsSystemType(c.Type) {
			continue
		}
		change := event.RecordUpdated
		switch {
		case c.Deleted && c.Version == 1:
			continue // a tombstone of a record never seen live
		case c.Deleted:
			change = event.RecordDeleted
		case c.Version == 1:
			change = event.RecordAdded
		}
		out = append(out, event.Event{Type: event.RecordChanged, Record: event.RecordChange{Change: change,
			RecordID: c.ID, RecordType: c.Type, Version: c.Version, Seq: c.Seq}})
	}
	return out, nil
}
