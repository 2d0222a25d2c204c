package group

import (
	"p2p/core/record"
	"p2p/core/store"
)

// StoreOf is e's database, for the tests that look past the engine at
// what it stored.
func StoreOf(e *Engine) *store.DB { return e.db }

// ExpiryScans is how often e's expiry loop has looked at the database.
func ExpiryScans(e *Engine) int64 { return e.scans.Load() }

// CheckedHashes are the hashes Check computed for the records of c.
func CheckedHashes(c *Checked) [][32]byte { return c.hashes }

// CheckedRecords are the records of c that passed.
func CheckedRecords(c *Checked) []*record.Record { return c.recs }
