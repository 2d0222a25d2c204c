package group

import (
	"github.com/google/uuid"

	"p2p/core/record"
	"p2p/core/store"
)

// What the network layer reads of the database to replicate it: every
// stored record as it is, tombstones and expired ones included, which the
// application's reads (GetRecord, RecordIDs) never show.

// RecordDigests calls fn with the id and digest of every stored record,
// for the reconciliation index. fn must not call the engine.
func (e *Engine) RecordDigests(fn func(id, hash []byte)) error { return e.db.Digests(fn) }

// RecordsInRange calls fn with every stored record whose id is at least
// lower and below upper (compared as bytes; an empty upper has no limit),
// in id order, until fn returns false. fn must not call the engine.
func (e *Engine) RecordsInRange(lower, upper []byte, fn func(*record.Record) bool) error {
	return e.db.WithRange(lower, upper, fn)
}

// StoredRecord returns the record stored under id, whatever its kind or
// state.
func (e *Engine) StoredRecord(id uuid.UUID) (*record.Record, error) { return e.db.Get(id) }

// MemberRecord returns the stored member record of peerName, which a
// neighbour needs before it can verify that member's records.
func (e *Engine) MemberRecord(peerName string) (*record.Record, error) {
	return e.db.Get(MemberRecordID(e.groupName, peerName))
}

// CountRecords is how many records of type typ are stored, tombstones
// too if includeDeleted, expired ones included: for tests and benchmarks
// that check what replicated.
func (e *Engine) CountRecords(typ uuid.UUID, includeDeleted bool) (int, error) {
	return e.db.Count(store.Query{Type: &typ, IncludeDeleted: includeDeleted})
}

// IntegrityCheck checks the database file (SQLite's integrity_check).
func (e *Engine) IntegrityCheck() error { return e.db.IntegrityCheck() }
